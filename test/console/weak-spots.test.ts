// Console commands against real links (the BLE side of the firmware on virtual time, simulated
// BMS), for what no other test pinned down: `cells` shows the BMS it is asked for, `capture off`
// stops the capture, and the answer of a remote command is cut at its limit and not before.
// Each test here was checked to fail with a small plausible bug put into modules/console by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "../link/harness";
import { CommandRegistry } from "../../modules/console/registry";
import { CaptureOutput, TRUNCATED } from "../../modules/console/output";
import { runCaptured, REMOTE_OUTPUT_LIMIT } from "../../modules/console/capture";
import { registerGatewayCommands } from "../../modules/console/gateway-commands";
import type { WifiManager } from "../../modules/net/wifi-manager";

const h = await startLinks([
  { address: "A4:C1:38:00:02:01", id: "house", sim: { cellCount: 8 } },
  { address: "A4:C1:38:00:02:02", id: "garage", sim: { cellCount: 4 } },
]);
const printed: string[] = [];
const registry = new CommandRegistry();
registerGatewayCommands(registry, {
  links: h.links, central: h.central,
  wifi: { configured: false, up: false, lastError: "" } as unknown as WifiManager,
  mqttStatus: () => ["mqtt not configured"], mqttReconnect: () => {}, mosControl: () => true,
  print: (text) => printed.push(text), restart: () => false, uptimeSeconds: () => 0,
});

function run(line: string): string {
  const out = new CaptureOutput(1 << 16);
  const pending = registry.run(line, out);
  assert.equal(pending, undefined, `${line}: answers at once`);
  return out.text();
}

/** "1:3.301 2:3.299* ..." of a link as the console prints it. */
function cellList(i: number): string[] {
  const link = h.links[i];
  return Array.from(link.cells.millivolts.slice(0, link.cells.count), (mv, c) => `${c + 1}:${(mv / 1000).toFixed(3)}${link.info.isBalancing(c + 1) ? "*" : ""}`);
}

test("both links are up with readings", async () => {
  await h.run(30_000);
  for (const link of h.links) assert.equal(link.connected && link.cellsAt !== -1, true, link.id);
});

test("cells <bms>: the cells of the BMS named, by id, name or address; no BMS named is a usage error", () => {
  for (const [i, names] of [[0, ["house", "\"BMS 1\"", "a4:c1:38:00:02:01"]], [1, ["garage", "\"BMS 2\"", "A4:C1:38:00:02:02"]]] as const) {
    for (const name of names) {
      const text = run("cells " + name);
      const listed = /cells (.*)  \(\* balancing\)/.exec(text)?.[1].split(" ");
      assert.deepEqual(listed, cellList(i), `cells ${name}: ${text}`);
      const mv = Array.from(h.links[i].cells.millivolts.slice(0, h.links[i].cells.count));
      const min = Math.min(...mv), max = Math.max(...mv);
      assert.match(text, new RegExp(`min ${(min / 1000).toFixed(3)} V, max ${(max / 1000).toFixed(3)} V, delta ${max - min} mV`), `cells ${name}`);
    }
  }
  assert.match(run("cells"), /which BMS\? one of: house, garage\nusage: cells \[bms\]/);
  assert.match(run("cells attic"), /no BMS 'attic' \(configured: house, garage\)/);
  assert.match(run("cells house garage"), /^usage: cells \[bms\]/);
});

test("capture on prints every frame in and out; capture off stops it; capture alone toggles", async () => {
  const capturedFor = async (ms: number) => { const from = printed.length; await h.run(ms); return printed.slice(from); };
  assert.equal(run("capture off"), "capture off\n");
  assert.deepEqual(await capturedFor(2 * POLL_MS), [], "nothing while off");

  assert.equal(run("capture on"), "capture on\n");
  const on = await capturedFor(2 * POLL_MS);
  for (const id of ["house", "garage"]) {
    assert.ok(on.includes(`${id} tx dda50300fffd77`), `${id}: the 0x03 request: ${on.slice(0, 4).join(" | ")}`);
    assert.ok(on.some((l) => l.startsWith(`${id} rx dd`)), `${id}: a reply`);
  }

  assert.equal(run("capture OFF"), "capture off\n");
  assert.deepEqual(await capturedFor(2 * POLL_MS), [], "nothing after capture off");
  for (const link of h.links) assert.equal(link.capture, undefined, link.id);

  assert.equal(run("capture"), "capture on\n", "toggles on when it was off");
  assert.ok((await capturedFor(POLL_MS)).length > 0);
  assert.equal(run("capture"), "capture off\n", "toggles off when it was on");
  assert.deepEqual(await capturedFor(2 * POLL_MS), []);
  assert.match(run("capture maybe"), /^usage: capture \[on\|off\]/);
  assert.deepEqual(await capturedFor(POLL_MS), [], "a bad argument switches nothing on");
});

test("a remote command's answer: whole up to the limit, cut at exactly the limit beyond it", async () => {
  assert.equal(REMOTE_OUTPUT_LIMIT, 2048);
  const r = new CommandRegistry();
  r.register("say", "say <n> [char]", "n characters", (args, out) => { out.write((args[1] ?? "x").repeat(Number(args[0]))); });
  r.register("later", "later <n>", "n characters, asynchronously", (args, out) => Promise.resolve().then(() => out.write("y".repeat(Number(args[0])))));
  assert.equal(runCaptured(r, "say 2048"), "x".repeat(2048), "exactly the limit: whole, no mark");
  assert.equal(runCaptured(r, "say 2049"), "x".repeat(2048) + TRUNCATED, "one byte over: cut at the limit");
  assert.equal(runCaptured(r, "say 10000"), "x".repeat(2048) + TRUNCATED);
  assert.equal(await runCaptured(r, "later 3000"), "y".repeat(2048) + TRUNCATED, "asynchronous answers are cut too");
  // bytes, not characters: "é" is two UTF-8 bytes, and a character is never split
  assert.equal(runCaptured(r, "say 1024 é"), "é".repeat(1024));
  assert.equal(runCaptured(r, "say 1025 é"), "é".repeat(1024) + TRUNCATED);
  assert.equal(runCaptured(r, "say 10 x", 5), "xxxxx" + TRUNCATED, "a smaller limit is honoured");
  // a real command through the same path: all of its lines, in order
  const status = runCaptured(registry, "cells house");
  assert.equal(status, run("cells house"));
});
