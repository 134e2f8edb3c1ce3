// A typed array, ArrayBuffer or DataView made at the top level of a preloaded module is read-only on
// a device (xs/tools/xslSlot.c fxPrepareHeap freezes what cannot be aliased into RAM; a write then
// throws "read-only buffer", xsDataView.c), and so is any such buffer inside an object made there.
// Indexed writes cannot be caught in script (test/virtual/preload-heap.ts catches Map and Set), so
// the preloaded modules' top level may make no object with `new` but those collections.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { parse } from "@babel/parser";
import { ROOT, preloadedModules } from "../../scripts/lib/xs";

const COLLECTIONS = new Set(["Map", "Set", "WeakMap", "WeakSet"]);

function preloadedFiles(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8")) as { preload: string[] };
  return preloadedModules(manifest.preload).map((name) => name + ".ts");
}

/**
 * Visit every node of `file`'s syntax tree with whether it sits inside a function (or other code
 * that runs later than the module's load, as `isDeferred` says of a node).
 */
function walk(file: string, isDeferred: (node: any) => boolean, onNode: (node: any, inFunction: boolean) => boolean | void): any {
  const ast = parse(fs.readFileSync(path.join(ROOT, file), "utf8"), { sourceType: "module", plugins: ["typescript"] });
  const visit = (node: any, inFunction: boolean): void => {
    if (!node || typeof node.type !== "string") return;
    if (onNode(node, inFunction) === false) return; // not below this node
    const inner = inFunction || isDeferred(node);
    for (const key of Object.keys(node)) {
      if (key === "loc" || key === "start" || key === "end") continue;
      const value = node[key];
      if (Array.isArray(value)) value.forEach((child) => visit(child, inner));
      else if (value && typeof value === "object") visit(value, inner);
    }
  };
  visit(ast.program, false);
  return ast;
}

/** `new X(...)` evaluated when the module loads: in top-level statements, not inside functions or classes' methods. */
function topLevelNews(file: string): string[] {
  const found: string[] = [];
  walk(file, (node) => /Function|ClassMethod|ClassPrivateMethod|ObjectMethod/.test(node.type), (node, inFunction) => {
    // class field initialisers run per instance, static ones at load time
    if ((node.type === "ClassProperty" || node.type === "ClassPrivateProperty") && !node.static) return false;
    if (node.type === "NewExpression" && !inFunction) {
      const name = node.callee.type === "Identifier" ? node.callee.name : "(expression)";
      if (!COLLECTIONS.has(name)) found.push(`${file}:${node.loc.start.line} new ${name}`);
    }
  });
  return found;
}

test("preloaded modules make no buffers or objects at load time (only Map/Set, which the virtual device checks)", () => {
  const files = preloadedFiles();
  assert.ok(files.length > 30, `preloaded files found: ${files.length}`);
  assert.deepEqual(files.flatMap(topLevelNews), []);
});

/** Module-level `let`/`var` bindings assigned inside a function: on a device they are constants once preloaded. */
function reassignedBindings(file: string): string[] {
  const names = new Set<string>();
  const assigned: { name: string; line: number }[] = [];
  const ast = walk(file, (node) => /Function|ClassMethod|ClassPrivateMethod|ObjectMethod|ClassProperty|ClassPrivateProperty/.test(node.type), (node, inFunction) => {
    const target = node.type === "AssignmentExpression" ? node.left : node.type === "UpdateExpression" ? node.argument : undefined;
    if (inFunction && target?.type === "Identifier") assigned.push({ name: target.name, line: node.loc.start.line });
  });
  for (const statement of ast.program.body as any[]) {
    const declaration = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (declaration?.type === "VariableDeclaration" && declaration.kind !== "const") {
      for (const d of declaration.declarations) if (d.id.type === "Identifier") names.add(d.id.name);
    }
  }
  return assigned.filter((a) => names.has(a.name)).map((a) => `${file}:${a.line} ${a.name}`);
}

test("preloaded modules assign no module-level binding after loading (xsl makes them constants: 'set x: const')", () => {
  assert.deepEqual(preloadedFiles().flatMap(reassignedBindings), []);
});

/** Private methods (`#name() {}`): every object holds a slot per private method of its class, plus one (measured on
 *  the real lin build: 257 of 3,008 live slots with 3 BMS; on xsnap each name is a string made at run time too). */
function privateMethods(file: string): string[] {
  const found: string[] = [];
  walk(file, () => false, (node) => {
    if (node.type === "ClassPrivateMethod") found.push(`${file}:${node.loc.start.line} #${node.key.id.name}`);
  });
  return found;
}

test("firmware classes have no private methods (TypeScript `private` instead: the same check, nothing made at run time)", () => {
  assert.deepEqual(preloadedFiles().flatMap(privateMethods), []);
});

test("the scan sees what it must refuse", () => {
  const probe = path.join(ROOT, "test/xs/.preload-scan-probe.ts");
  fs.writeFileSync(probe, "const TABLE = new Uint8Array(4);\nexport const w = new Writer();\nexport function f() { return new Uint8Array(2); }\nclass C { buf = new Uint8Array(3); static S = new DataView(new ArrayBuffer(2)); }\n" +
    "let count = 0;\nlet fixed = 1;\nfixed = 2;\nexport function g() { count++; const h = () => { count = 5; }; }\n" +
    "class D { #hidden() { return 1; } #field = 2; private open() { return this.#hidden(); } }\n");
  try {
    assert.deepEqual(topLevelNews("test/xs/.preload-scan-probe.ts").map((s) => s.replace(/^.*:(\d+) /, "$1 ")),
      ["1 new Uint8Array", "2 new Writer", "4 new DataView", "4 new ArrayBuffer"]);
    assert.deepEqual(reassignedBindings("test/xs/.preload-scan-probe.ts").map((s) => s.replace(/^.*:(\d+) /, "$1 ")), ["8 count", "8 count"]);
    assert.deepEqual(privateMethods("test/xs/.preload-scan-probe.ts").map((s) => s.replace(/^.*:(\d+) /, "$1 ")), ["9 #hidden"]);
  } finally { fs.unlinkSync(probe); }
});
