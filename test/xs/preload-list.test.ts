// Which modules the device build preloads, as mcconfig decides it: a `*` pattern matches JavaScript
// files only (tools/mcconfig.js filterPreload), so our TypeScript modules must be named one by one.
// A `modules/link/*` pattern preloaded nothing on the real build: every module was instantiated in
// RAM at boot (about 7,900 slots on the lin build), while the virtual device preloaded them all.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { ROOT, preloadedModules } from "../../scripts/lib/xs";

test("a * pattern selects no TypeScript module, as in mcconfig", () => {
  assert.deepEqual(preloadedModules(["modules/link/*", "modules/protocol/*"]), []);
  assert.deepEqual(preloadedModules(["modules/link/bms-link"]), ["modules/link/bms-link"]);
});

test("the manifest preloads every firmware module by name", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8")) as { preload: string[] };
  const preloaded = new Set(preloadedModules(manifest.preload));
  const modules = fs.readdirSync(path.join(ROOT, "modules")).flatMap((dir) =>
    fs.readdirSync(path.join(ROOT, "modules", dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => `modules/${dir}/${f.slice(0, -3)}`));
  assert.ok(modules.length > 50);
  assert.deepEqual(modules.filter((m) => !preloaded.has(m)), [], "modules the device build would instantiate in RAM");
  for (const name of preloaded) assert.ok(fs.existsSync(path.join(ROOT, name + ".ts")), `${name}: no such module`);
});
