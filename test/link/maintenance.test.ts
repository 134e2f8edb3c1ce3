// Maintenance functions (0x0A, issue 12 part 6) over the link, on virtual time against the simulated
// BMS (test/sim/bms-control.ts): nothing is sent unless the `maintenance` setting allows the function;
// each runs as an exclusive session (root login first on a gated FF AA module) and is confirmed by
// reading the effect back; a firmware without the functions, a condition that persists, a drop and
// a second request at once each get their own answer; the codes that cut power are never sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";
import type { MaintenanceResult } from "../../modules/link/maintenance";
import { CONTROL } from "../sim/bms-control";

const h = await startLinks([
  { address: "A4:C1:38:00:0A:01", id: "v11", sim: { controlFunctions: true } },
  { address: "A4:C1:38:00:0A:02", id: "old", sim: { controlFunctions: false } },
  { address: "A4:C1:37:00:0A:03", id: "gated", sim: { controlFunctions: true, auth: { kind: "ffaa", userPassword: "Xy12ab", rootGate: true } },
    secrets: { modulePassword: "Xy12ab", bmsPin: "", rootPassword: "", passkey: "" } },
]);
const [v11, old, gated] = h.links;
const [v11Sim, oldSim, gatedSim] = h.sims;

async function maintain(link: typeof v11, name: string, ms = 20_000): Promise<MaintenanceResult> {
  let result: MaintenanceResult | undefined;
  await h.device.invoke(() => link.maintain(name, (r) => { result = r; }));
  await h.runUntil(() => result !== undefined, ms);
  return result!;
}
/** Up, read, and the connection's settings read over (a session of its own). */
const ready = (link: typeof v11) => h.runUntil(() => link.online && link.infoAt !== -1 && !link.settings.busy, 60_000);
const controls = (sim: typeof v11Sim) => Object.values(sim.stats.controls).reduce((a, b) => a + b, 0);

test("nothing allowed by default: refused with the setting to change, nothing sent", async () => {
  await ready(v11);
  for (const name of ["capacity", "protection", "counters"]) {
    const r = await maintain(v11, name);
    assert.deepEqual(r, { function: name, ok: false, error: `not allowed by the configuration (on the serial console: config set maintenance ${name})` });
  }
  h.maintenance = "capacity,counters";
  assert.match((await maintain(v11, "protection")).error!, /not allowed/, "only what the list names");
  assert.match((await maintain(v11, "sleep")).error!, /^unknown function 'sleep'/);
  assert.equal(controls(v11Sim), 0);
});

test("capacity reset: the BMS re-estimates its charge from the cells; before and after are reported", async () => {
  h.maintenance = "capacity,protection,counters";
  v11Sim.pack.driftCounter(20); // the coulomb counter has drifted; the cells still sit at ~60 %
  await h.run(6_000); // a poll shows the drift
  const sent: number[][] = [];
  v11.capture = (direction, bytes) => { if (direction === "tx") sent.push(Array.from(bytes)); };
  const r = await maintain(v11, "capacity");
  v11.capture = undefined;
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.before!.soc, 20);
  assert.ok(r.after!.soc! >= 55 && r.after!.soc! <= 65, `re-estimated near the cells' 60 %: ${r.after!.soc}`);
  assert.equal(v11Sim.stats.controls[CONTROL.resetCapacity], 1);
  const write = sent.findIndex((f) => f[1] === 0x5a && f[2] === 0x0a);
  assert.deepEqual(sent[write], [0xdd, 0x5a, 0x0a, 0x02, 0x01, 0x00, 0xff, 0xf3, 0x77], "DD 5A 0A 02 01 00 with its checksum");
  assert.deepEqual(sent[write + 1].slice(0, 3), [0xdd, 0xa5, 0x03], "the next request is the read-back");
});

test("clear protection: confirmed when the read-back shows none; named when what tripped it persists", async () => {
  // a discharge overcurrent trips (discharge FET off), the load goes away: the BMS would wait 30 s
  v11Sim.setCurrent(-250);
  await h.run(6_000);
  v11Sim.setCurrent(0);
  await h.run(6_000);
  assert.ok(v11.info.isProtected(9), "tripped");
  let r = await maintain(v11, "protection");
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.before!.protection, "Discharge overcurrent");
  assert.equal(r.after!.protection, "none");
  // a cell over its limit: the BMS clears the flag and trips again at once
  v11Sim.pack.setSoc(103);
  await h.run(6_000);
  r = await maintain(v11, "protection");
  assert.equal(r.ok, false);
  assert.match(r.error!, /^still set after the clear: Cell 1 overvoltage|^still set after the clear: .*overvoltage.*\(what tripped it persists\)$/);
  v11Sim.pack.setSoc(60);
  await h.run(6_000);
});

test("clear counters: the 0xAA counters read 0 afterwards", async () => {
  const before = v11Sim.pack.read().errorCounts.reduce((a, b) => a + b, 0);
  assert.ok(before > 0, "the sim has counted something");
  const r = await maintain(v11, "counters");
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(r.after, { errorCounters: 0 });
  assert.equal(v11Sim.pack.read().errorCounts.every((n) => n === 0), true);
});

test("a firmware without control functions answers 0x80: said in words", async () => {
  await ready(old);
  const r = await maintain(old, "counters");
  assert.equal(r.ok, false);
  assert.match(r.error!, /^this BMS does not have the function/);
  assert.equal(oldSim.stats.controls[CONTROL.clearHistory], 1, "asked once");
  assert.ok(old.online, "the link goes on polling");
});

test("an FF AA module that gates writes: the root login comes first, then the write takes effect", async () => {
  await ready(gated);
  const roots = gatedSim.stats.auth.rootLogins;
  const r = await maintain(gated, "counters");
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(gatedSim.stats.auth.rootLogins, roots + 1);
  assert.equal(gatedSim.stats.auth.rootGated, 0, "no write dropped for want of it");
});

test("one session at a time: a second request while one runs is refused; polls wait and then go on", async () => {
  const results: MaintenanceResult[] = [];
  await h.device.invoke(() => { v11.maintain("counters", (r) => results.push(r)); v11.maintain("capacity", (r) => results.push(r)); });
  await h.runUntil(() => results.length === 2, 20_000);
  assert.equal(results[0].function, "capacity", "refused at once");
  assert.match(results[0].error!, /^busy: a settings or maintenance session is under way/);
  assert.equal(results[1].ok, true);
  const readings = h.readings.filter((r) => r.id === "v11").length;
  await h.run(11_000);
  assert.ok(h.readings.filter((r) => r.id === "v11").length >= readings + 2, "polling resumed");
});

test("the link drops between the write and its read-back: answered as such, and the link comes back", async () => {
  let result: MaintenanceResult | undefined;
  const writes = v11Sim.stats.controls[CONTROL.clearStatus] ?? 0;
  await h.device.invoke(() => v11.maintain("protection", (r) => { result = r; }));
  await h.runUntil(() => (v11Sim.stats.controls[CONTROL.clearStatus] ?? 0) > writes, 20_000, 1);
  h.device.ble.drop(h.device.ble.find("A4:C1:38:00:0A:01")!);
  await h.runUntil(() => result !== undefined, 5_000);
  assert.equal(result!.ok, false);
  assert.match(result!.error!, /the link dropped before the BMS confirmed$/);
  await ready(v11);
});

test("refused while the link is down or released, with the reason", async () => {
  v11.release(5);
  await h.run(1_000);
  assert.match((await maintain(v11, "counters")).error!, /^released to another central/);
  v11.resume();
  await ready(v11);
});

test("the codes that cut power (MCU reset, sleep, power-down, storage, forced switches) were never sent", () => {
  const allowed = new Set<number>([CONTROL.resetCapacity, CONTROL.clearHistory, CONTROL.clearStatus]);
  for (const sim of h.sims) for (const code of Object.keys(sim.stats.controls)) assert.ok(allowed.has(Number(code)), `0x${Number(code).toString(16)}`);
  assert.equal(h.logs.filter((l) => l.startsWith("E ")).length, 0, h.logs.filter((l) => l.startsWith("E ")).join("\n"));
});
