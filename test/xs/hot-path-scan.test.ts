// Heap-slot counts cannot see the bytes of strings and ArrayBuffers, so the hot path is also checked by
// construction: the source of every function a notification or a decoded frame runs through may not
// contain anything that makes a string, array, object, closure, view or buffer. Calls are allowed only
// to the typed-array methods that copy or search in place, to the sink, and to other scanned functions.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { parse } from "@babel/parser";
import { ROOT } from "../../scripts/lib/xs";

/** file -> functions (class methods by name, `#name` for private ones) on the hot path. */
const HOT: Record<string, string[]> = {
  "modules/protocol/assembler.ts": ["push", "drain", "shiftToNextStart", "loneStart", "expire", "checksumMatches", "moduleSumMatches", "reset"],
  "modules/protocol/frame.ts": ["isFrameHeader"],
  "modules/protocol/basic-info.ts": ["decodeBasicInfo"],
  "modules/protocol/cells.ts": ["decodeCells"],
  "modules/protocol/hardware.ts": ["decodeHardware"],
  "modules/protocol/error-counters.ts": ["decodeErrorCounters"],
  // every new 0x03 reading goes through the energy meter (bms-link onReading)
  "modules/link/energy-meter.ts": ["sample", "integrate", "estimate"],
};
/** Native methods that work in place on typed arrays, Math.round (a number), and the sink. */
const ALLOWED_METHODS = new Set(["indexOf", "set", "copyWithin", "round", "onFrame", "onModuleFrame"]);
/** Calls that leave the hot path on purpose. */
const COLD_CALLS: Record<string, string> = {
  "pushInPieces": "pushes longer than a notification (253 bytes) only: logs, never BLE",
  "pushUntyped": "an ArrayBuffer notification: only when the manifest's bleservices typing is missing",
  "persist": "the energy meter's flash write: at most once per 10 minutes per pack",
};
const FORBIDDEN = new Set(["StringLiteral", "TemplateLiteral", "TaggedTemplateExpression", "ArrayExpression",
  "ObjectExpression", "ArrowFunctionExpression", "FunctionExpression", "ClassExpression", "NewExpression",
  "RegExpLiteral", "BigIntLiteral", "SpreadElement", "ForOfStatement", "ForInStatement", "ObjectPattern", "ArrayPattern",
  "AwaitExpression", "YieldExpression"]);

type Node = { type: string; start?: number | null; [key: string]: unknown };

function children(node: Node): Node[] {
  return Object.entries(node).filter(([key]) => key !== "loc" && !key.endsWith("Comments"))
    .flatMap(([, value]) => (Array.isArray(value) ? value : [value]))
    .filter((value): value is Node => typeof value === "object" && value !== null && typeof (value as Node).type === "string");
}

function nameOf(node: Node): string | undefined {
  if (node.type === "FunctionDeclaration") return (node.id as { name: string }).name;
  if (node.type === "ClassMethod") return (node.key as { name: string }).name;
  if (node.type === "ClassPrivateMethod") return "#" + ((node.key as Node).id as { name: string }).name;
  return undefined;
}

/** Functions declared in `source`, by name. */
function functionsIn(source: string): Map<string, Node> {
  const found = new Map<string, Node>();
  const visit = (node: Node) => {
    const name = nameOf(node);
    if (name) found.set(name, node);
    children(node).forEach(visit);
  };
  visit(parse(source, { sourceType: "module", plugins: ["typescript"] }).program as unknown as Node);
  return found;
}

/** Callee name as the allow-lists spell it: "indexOf", "#drain", "isFrameHeader"... */
function calleeName(callee: Node): string {
  if (callee.type === "Identifier") return callee.name as string;
  if (callee.type === "MemberExpression") {
    const property = callee.property as Node;
    if (property.type === "PrivateName") return "#" + (property.id as { name: string }).name;
    if (property.type === "Identifier" && !callee.computed) return property.name as string;
  }
  return "(computed)";
}

/** What allocates in one function's body, and which functions it calls. */
function scan(fn: Node, source: string): { violations: string[]; calls: string[] } {
  const violations: string[] = [];
  const calls: string[] = [];
  const where = (node: Node) => source.slice(node.start ?? 0, (node.start ?? 0) + 40).split("\n")[0];
  const visit = (node: Node) => {
    if (FORBIDDEN.has(node.type)) violations.push(`${node.type}: ${where(node)}`);
    if (node.type === "CallExpression" || node.type === "OptionalCallExpression") calls.push(calleeName(node.callee as Node));
    // Type annotations are erased, not run (but `x as T` and `x!` wrap code that runs).
    for (const child of children(node)) {
      if (child.type.startsWith("TS") && child.type !== "TSAsExpression" && child.type !== "TSNonNullExpression") continue;
      visit(child);
    }
  };
  visit(fn.body as Node);
  return { violations, calls };
}

describe("hot path, by construction", () => {
  const scanned = new Map<string, { violations: string[]; calls: string[] }>();
  for (const [file, names] of Object.entries(HOT)) {
    const source = fs.readFileSync(path.join(ROOT, file), "utf8");
    const functions = functionsIn(source);
    for (const name of names) {
      const fn = functions.get(name);
      test(`${file} ${name}: found`, () => assert.ok(fn, `${name} not found in ${file}`));
      if (fn) scanned.set(name, scan(fn, source));
    }
  }

  for (const [name, result] of scanned) {
    test(`${name}: makes no strings, arrays, objects, closures, views or buffers`, () => {
      assert.deepEqual(result.violations, []);
    });
    test(`${name}: calls only in-place natives, the sink and other hot functions`, () => {
      const unknown = result.calls.filter((call) => !ALLOWED_METHODS.has(call) && !scanned.has(call) && !(call in COLD_CALLS));
      assert.deepEqual(unknown, []);
    });
  }

  test("the scanner catches what it looks for", () => {
    const source = `function bad(frame) { const t = \`x\${frame[0]}\`; const v = frame.subarray(1); const f = () => 1;
      const a = [1]; const o = { a }; const b = new Uint8Array(2); for (const x of frame) {} return "s" + t; }`;
    const { violations, calls } = scan(functionsIn(source).get("bad")!, source);
    assert.deepEqual(violations.map((v) => v.split(":")[0]).sort(), ["ArrayExpression", "ArrowFunctionExpression",
      "ForOfStatement", "NewExpression", "ObjectExpression", "StringLiteral", "TemplateLiteral"]);
    assert.deepEqual(calls, ["subarray"]);
  });
});
