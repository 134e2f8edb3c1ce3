// The frame assembler's staging is sized for notifications of at most MAX_NOTIFICATION bytes (ATT
// MTU − 3). That holds because the firmware never asks for a larger MTU and NimBLE offers 256 at
// most (CONFIG_BT_NIMBLE_ATT_PREFERRED_MTU=256 in the SDK's esp32 sdkconfig.defaults; ours does not
// change it). Either changing would need the staging buffer to grow with it.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../../scripts/lib/xs";
import { MAX_NOTIFICATION } from "../../modules/protocol/assembler";

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

test("no MTU exchange is asked for, and our sdkconfig keeps NimBLE's preferred MTU of 256", () => {
  const sources = [path.join(ROOT, "main.ts"), ...files(path.join(ROOT, "modules")).filter((f) => f.endsWith(".ts"))];
  for (const file of sources) assert.ok(!fs.readFileSync(file, "utf8").includes("exchangeMTU"), path.relative(ROOT, file));
  for (const file of files(path.join(ROOT, "sdkconfig"))) assert.ok(!fs.readFileSync(file, "utf8").includes("ATT_PREFERRED_MTU"), path.relative(ROOT, file));
  assert.equal(MAX_NOTIFICATION, 256 - 3);
});
