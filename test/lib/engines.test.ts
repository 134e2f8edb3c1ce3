// `npm ci` on the oldest Node the project claims (package.json engines, the README) must be
// clean: no locked package may ask for a newer Node (npm's EBADENGINE warning).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { ROOT } from "../../scripts/lib/xs";

const semver = createRequire(import.meta.url)("semver") as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

test("every locked package accepts the oldest Node 20 that package.json allows", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  const floor = semver.minVersion(pkg.engines.node)!.version;
  assert.equal(floor.split(".")[0], "20", "the README promises Node 20");
  assert.equal(lock.packages[""].engines?.node, pkg.engines.node, "package-lock.json is in step with package.json");
  const versions = [floor, ...(process.versions.node.startsWith("20.") ? [process.versions.node] : [])];
  const refused: string[] = [];
  for (const [name, entry] of Object.entries(lock.packages as Record<string, { engines?: { node?: string } }>)) {
    const range = entry.engines?.node;
    if (!name || !range) continue;
    for (const v of versions) if (!semver.satisfies(v, range)) refused.push(`${name.replace(/^.*node_modules\//, "")} wants node ${range}, not ${v}`);
  }
  assert.deepEqual(refused, []);
});
