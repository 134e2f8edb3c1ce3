// MOS commands queued per FET at the link (modules/link/mos-queue.ts, issue 11 part 4), on virtual
// time against simulated BMS: a waiting command for the same FET is superseded by a later one (its
// requester is told), a flood of ON/OFF toggles reaches the BMS at most once per MOS_INTERVAL_MS
// with the state asked for last, every requester gets exactly one answer, and commands are refused
// with the reason while a link is being set up or released. The E1 writes are counted where the
// simulated BMS receives them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";
import type { MosResult } from "../../modules/link/bms-view";

const SHED = "A4:C1:38:00:0b:01", LOFT = "A4:C1:37:00:0b:02";
const h = await startLinks([
  { address: SHED, id: "shed" },
  // an FF AA module that connects slowly: its setup (connecting, discovery, the login found out, then logged in) lasts
  { address: LOFT, id: "loft", connectDelayMs: 1_500, sim: { auth: { kind: "ffaa", userPassword: "Xy12ab", rootGate: true } },
    secrets: { modulePassword: "Xy12ab", bmsPin: "", rootPassword: "", passkey: "" } },
]);
const [shed, loft] = h.links;
const [shedSim, loftSim] = h.sims;
let MOS_INTERVAL_MS = 0, SUPERSEDED = "";
await h.device.invoke(() => {}); // the firmware's modules are loaded by now
({ MOS_INTERVAL_MS, SUPERSEDED } = await import("../../modules/link/mos-queue"));

/** Every 0xE1 write the simulated BMS receives: when, and its state byte (bit set = FET off). */
function recordE1(sim: typeof shedSim): { at: number; off: number }[] {
  const writes: { at: number; off: number }[] = [];
  const write = sim.write.bind(sim);
  sim.write = (bytes: Uint8Array) => {
    if (bytes[0] === 0xdd && bytes[1] === 0x5a && bytes[2] === 0xe1) writes.push({ at: h.clock.now(), off: bytes[5] });
    write(bytes);
  };
  return writes;
}
const shedE1 = recordE1(shedSim);
const loftE1 = recordE1(loftSim);

/** Commands given in one turn of the firmware; their answers as they come, with how many each requester got. */
async function commands(link: typeof shed, list: [fet: "charge" | "discharge", on: boolean][]): Promise<{ results: (MosResult | undefined)[]; counts: number[] }> {
  const results: (MosResult | undefined)[] = list.map(() => undefined);
  const counts = list.map(() => 0);
  await h.device.invoke(() => list.forEach(([fet, on], i) => link.setMos(fet, on, (r) => { results[i] = r; counts[i]++; })));
  return { results, counts };
}
/** Right after a poll cycle of `link` (its next poll is a poll interval away): nothing is in flight. */
async function afterReading(link: typeof shed): Promise<void> {
  const n = h.readings.filter((r) => r.id === link.id).length;
  await h.runUntil(() => h.readings.filter((r) => r.id === link.id).length > n, 20_000, 1);
}

test("refused with the reason while the link is being set up, and while it is released; nothing is written", async () => {
  const refusals: string[] = [];
  const ask = async () => {
    const { results } = await commands(loft, [["discharge", false]]);
    assert.ok(results[0], "answered at once");
    assert.equal(results[0].ok, false);
    refusals.push(results[0].error!);
  };
  await h.runUntil(() => loft.stateName === "connecting", 30_000, 1);
  await ask();
  await h.runUntil(() => loft.stateName === "discovering", 30_000, 1);
  await ask();
  await h.runUntil(() => loft.stateName === "settling", 30_000, 1);
  await ask();
  // up, but the first poll went unanswered: the FF AA login is being found out, the poller waits
  await h.runUntil(() => loft.connected && !loft.poller.running, 30_000, 1);
  await ask();
  await h.runUntil(() => loft.online, 30_000);
  // the next connect logs in at once (what the pack needs is known): the link's own "logging in" state
  await h.device.invoke(() => loft.reconnect());
  await h.runUntil(() => loft.stateName === "logging in", 30_000, 1);
  await ask();
  await h.runUntil(() => loft.online, 30_000);
  await h.device.invoke(() => loft.release(5));
  await ask();
  assert.deepEqual(refusals, [
    "link being set up (connecting): try again once it is up",
    "link being set up (discovering): try again once it is up",
    "link being set up (settling): try again once it is up",
    "link being set up (logging in): try again once it is up",
    "link being set up (logging in): try again once it is up",
    "released to another central for 5 more min: take it back first (release loft off)",
  ]);
  await h.runUntil(() => loft.stateName === "released", 10_000, 1);
  await ask();
  assert.equal(refusals.at(-1), refusals.at(-2), "the same while closing and once closed");
  assert.equal(loftE1.length, 0, "no MOS write reached the BMS");
  await h.device.invoke(() => { loft.resume(); });
  await h.runUntil(() => loft.online, 30_000);
  // up again: taken (the root login first on this module), written once, confirmed
  const { results } = await commands(loft, [["discharge", false]]);
  await h.runUntil(() => results[0] !== undefined, 20_000);
  assert.equal(results[0]!.ok, true, results[0]!.error ?? "");
  assert.equal(loftE1.length, 1);
  assert.equal(h.device.fatalErrors, 0);
});

test("a waiting command for a FET is superseded by a later one for it; the one under way finishes; one answer each", async () => {
  await h.runUntil(() => shed.online, 30_000);
  await afterReading(shed);
  const from = shedE1.length;
  const { results, counts } = await commands(shed, [["charge", false], ["charge", true], ["charge", false]]);
  assert.equal(results[1]?.error, SUPERSEDED, "the waiting ON is answered at once, when the later OFF comes");
  assert.deepEqual(results[1], { fet: "charge", requested: true, ok: false, error: SUPERSEDED });
  await h.runUntil(() => results.every((r) => r !== undefined), 20_000);
  await h.run(5_000);
  assert.deepEqual(counts, [1, 1, 1], "exactly one answer per requester");
  assert.equal(results[0]!.ok, true);
  assert.equal(results[2]!.ok, true);
  const writes = shedE1.slice(from);
  assert.equal(writes.length, 2, "the first, then the latest: the superseded ON never reached the BMS");
  assert.ok(writes[1].at - writes[0].at >= MOS_INTERVAL_MS - 1, `${writes[1].at - writes[0].at} ms apart`);
  assert.equal(shedSim.pack.read().fet.charge, false);
  await commands(shed, [["charge", true]]);
  await h.run(MOS_INTERVAL_MS + 2_000);
  assert.equal(shedSim.pack.read().fet.charge, true);
});

test("both FETs off in one go: both done, in the order they came, each confirmed; then both on", async () => {
  await afterReading(shed);
  const from = shedE1.length;
  const off = await commands(shed, [["charge", false], ["discharge", false]]);
  await h.runUntil(() => off.results.every((r) => r !== undefined), 20_000);
  assert.deepEqual(off.results.map((r) => [r!.fet, r!.ok, r!.charge, r!.discharge]), [["charge", true, false, true], ["discharge", true, false, false]]);
  assert.deepEqual(shedSim.pack.read().fet, { charge: false, discharge: false });
  const on = await commands(shed, [["discharge", true], ["charge", true]]);
  await h.runUntil(() => on.results.every((r) => r !== undefined), 20_000);
  assert.deepEqual(on.results.map((r) => [r!.fet, r!.ok]), [["discharge", true], ["charge", true]]);
  assert.deepEqual(shedSim.pack.read().fet, { charge: true, discharge: true });
  // E1 carries both FETs (bit set = off): read-modify-write from the state the previous command confirmed
  assert.deepEqual(shedE1.slice(from).map((w) => w.off), [0b01, 0b11, 0b01, 0b00]);
  // (the virtual clock's times have fractions; Time.ticks whole milliseconds)
  assert.deepEqual(diffs(shedE1.slice(from).map((w) => w.at)).map((d) => d >= MOS_INTERVAL_MS - 1), [true, true, true]);
});

const diffs = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]);

test("a flood of ON/OFF toggles: one 0xE1 write per interval at most, the last state asked for wins, every requester answered once", async () => {
  await h.run(MOS_INTERVAL_MS);
  const from = shedE1.length;
  const polls = shedSim.stats.requests[0x03];
  const start = h.clock.now();
  const all: { results: (MosResult | undefined)[]; counts: number[] }[] = [];
  // 101 toggles of the charge FET, one every 100 ms (10 s), the last one OFF
  for (let i = 0; i <= 100; i++) {
    all.push(await commands(shed, [["charge", i % 2 === 1]]));
    await h.run(100);
  }
  const results = () => all.map((a) => a.results[0]);
  await h.runUntil(() => results().every((r) => r !== undefined), 20_000);
  await h.run(5_000);
  const writes = shedE1.slice(from);
  const spacing = diffs(writes.map((w) => w.at));
  const superseded = results().filter((r) => r!.error === SUPERSEDED).length;
  console.log(`flood: 101 commands in ${10_100} ms -> ${writes.length} E1 writes, spacing ${Math.round(Math.min(...spacing))}..${Math.round(Math.max(...spacing))} ms, ${superseded} superseded`);
  assert.ok(spacing.every((d) => d >= MOS_INTERVAL_MS - 1), `spacing ${spacing.join(", ")}`);
  assert.ok(writes.length >= 5 && writes.length <= Math.ceil((h.clock.now() - start) / MOS_INTERVAL_MS), `${writes.length} writes`);
  assert.deepEqual(all.map((a) => a.counts[0]), all.map(() => 1), "each requester got exactly one answer");
  assert.equal(superseded + writes.length, 101, "a command is either written once or superseded");
  assert.ok(results().filter((r) => r!.error !== SUPERSEDED).every((r) => r!.ok), "every command that ran was confirmed");
  assert.equal(results().at(-1)!.ok, true, "the last one ran");
  assert.equal(writes.at(-1)!.off & 1, 1, "the last write switches the charge FET off");
  assert.equal(shedSim.pack.read().fet.charge, false, "the last state asked for");
  assert.ok(shedSim.stats.requests[0x03] - polls >= 5, "polling went on meanwhile");
  assert.equal(h.device.fatalErrors, 0);
  await commands(shed, [["charge", true]]);
  await h.run(MOS_INTERVAL_MS + 2_000);
});

test("a link that drops or is released answers what waits (not sent) and what runs; nothing is written after", async () => {
  await afterReading(shed);
  await h.run(MOS_INTERVAL_MS);
  await afterReading(shed);
  let from = shedE1.length;
  const dropped = await commands(shed, [["charge", false], ["discharge", false]]);
  h.device.ble.drop(h.device.ble.find(SHED)!);
  await h.run(1);
  assert.deepEqual(dropped.results.map((r) => r?.error), [
    "not connected: the link dropped before the BMS confirmed",
    "not connected: not sent (the link stopped before its turn)",
  ]);
  await h.runUntil(() => shed.online, 30_000);
  await h.run(MOS_INTERVAL_MS);
  assert.equal(shedE1.length - from, 1, "only the first was written");
  await afterReading(shed);
  from = shedE1.length;
  const released = await commands(shed, [["discharge", false], ["charge", true]]);
  await h.device.invoke(() => shed.release(1));
  await h.runUntil(() => released.results.every((r) => r !== undefined), 10_000, 1);
  assert.match(released.results[0]!.error ?? "", /^released: the link dropped before the BMS confirmed$/);
  assert.equal(released.results[1]!.error, "released: not sent (the link stopped before its turn)");
  assert.deepEqual(released.counts, [1, 1]);
  await h.run(5_000);
  assert.equal(shedE1.length - from, 1, "the waiting one never reached the BMS");
  await h.device.invoke(() => { shed.resume(); });
  await h.runUntil(() => shed.online, 30_000);
  assert.equal(h.device.fatalErrors, 0);
});
