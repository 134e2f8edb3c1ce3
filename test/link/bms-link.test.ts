// The persistent link on virtual time: one BMS, every fault a real radio throws at it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";
import type { MosResult } from "../../modules/link/bms-view";

const ADDRESS = "A4:C1:38:11:22:33";
const h = await startLinks([{ address: ADDRESS, id: "house" }]);
const link = () => h.links[0];
const sim = h.sims[0];
const peripheral = h.device.ble.find(ADDRESS)!;

function readingsBetween(from: number, to: number) { return h.readings.filter((r) => r.at >= from && r.at <= to).length; }

test("connects once and keeps the link across polls", async () => {
  await h.run(60_000);
  assert.equal(link().connected, true);
  assert.equal(link().stats.connects, 1, "one connection for the whole minute");
  assert.ok(h.readings.length >= 11, `readings every ${POLL_MS} ms, got ${h.readings.length}`);
  assert.ok(link().info.cellCount === 4 && link().cells.count === 4);
  assert.equal(link().hardware.text(), "JBD-SP04S034-L4S-200A-B-U");
  assert.ok(link().stats.latency.max < 1000, "a held link answers in under a second");
  assert.ok(link().rssi !== undefined && link().rssi! < -40);
  assert.equal(h.device.fatalErrors, 0);
});

test("a drop mid-frame is followed by a reconnect and a reading within two poll intervals", async () => {
  // drop right after the first notification of a multi-notification reply: the frame is cut off
  const before = link().stats.drops, truncated = link().assembler.stats.truncated, readings = h.readings.length;
  const deliver = sim.onNotify!;
  let cut: Uint8Array | undefined;
  sim.onNotify = (chunk) => {
    deliver(chunk);
    if (cut || chunk[0] !== 0xdd || chunk[3] + 7 <= chunk.length) return;
    cut = chunk.slice();
    h.device.ble.drop(peripheral);
  };
  try {
    for (let waited = 0; !cut && waited < 2 * POLL_MS; waited += 20) await h.run(20);
  } finally { sim.onNotify = deliver; }
  assert.ok(cut, "a reply longer than one notification was cut after its first part");
  assert.equal(h.readings.length, readings, "no reading from the cut frame");
  assert.equal(link().connected, false);
  assert.equal(link().stats.drops, before + 1);
  assert.equal(link().assembler.stats.truncated, truncated + 1, "the partial frame was discarded, not kept for the next link");
  await h.run(5_000);
  assert.equal(link().connected, true, "reconnected by itself");
  const upAt = h.clock.now() - 5_000 + link().stats.lastReconnectMs;
  await h.run(2 * POLL_MS);
  assert.ok(readingsBetween(upAt, upAt + 2 * POLL_MS) >= 1, "a reading followed the link's return");
});

test("unanswered requests: retries, then offline, then a forced clean reconnect", async () => {
  const forced = link().stats.forcedDisconnects;
  sim.faults.unanswered = 1;
  await h.run(30_000);
  assert.ok(link().stats.timeouts >= 3 && link().stats.retries >= 6);
  assert.ok(link().stats.forcedDisconnects > forced, "the link was closed after repeated timeouts");
  assert.equal(link().online, false);
  assert.equal(h.availability.at(-1)!.online, false, "availability reported offline");
  sim.faults.unanswered = 0;
  await h.run(30_000);
  assert.equal(link().online, true);
  assert.equal(h.availability.at(-1)!.online, true);
});

test("stray, corrupted and error-status replies are dropped and counted, never fatal", async () => {
  const ok = link().stats.pollsOk;
  Object.assign(sim.faults, { stray: 0.3, corrupt: 0.1, errorStatus: 0.05, truncated: 0.05 });
  await h.run(300_000);
  Object.assign(sim.faults, { stray: 0, corrupt: 0, errorStatus: 0, truncated: 0 });
  assert.ok(link().stats.strays > 0, "stray frames counted");
  assert.ok(link().assembler.stats.badChecksum > 0, "corrupted frames counted");
  assert.ok(link().stats.errorReplies > 0, "error statuses counted");
  assert.ok(link().stats.pollsOk - ok >= 50, `most polls still succeed (${link().stats.pollsOk - ok} of 60)`);
  assert.equal(h.device.fatalErrors, 0);
});

test("a device that vanishes is not connected to until it advertises again, then returns at once", async () => {
  const attempts = link().stats.connectAttempts;
  h.device.ble.vanish(peripheral);
  await h.run(40_000);
  assert.equal(link().connected, false);
  assert.equal(link().stats.connectAttempts, attempts, "no connect to a device that does not advertise (it would hang)");
  assert.equal(h.device.ble.pendingConnect, undefined);
  h.device.ble.appear(peripheral);
  const back = h.clock.now();
  await h.run(2 * POLL_MS);
  assert.equal(link().connected, true);
  assert.ok(h.readings.some((r) => r.at >= back), "a reading within two poll intervals of its return");
});

test("a NimBLE host reset (the SDK closes the client silently) is detected and the client created again", async () => {
  const resets = h.central.stackResets;
  h.device.ble.hostReset();
  await h.run(20_000);
  assert.ok(h.central.stackResets > resets, "client recreated");
  assert.equal(link().connected, true);
  assert.equal(link().online, true);
  assert.equal(h.device.fatalErrors, 0, "no panic: startScanning() was never called on the freed record");
});

test("MOS: charge off is written, confirmed by reading back, and on again", async () => {
  const results: MosResult[] = [];
  await h.device.invoke(() => link().setMos("charge", false, (r) => results.push(r)));
  await h.run(3_000);
  const result = results[0];
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(result.charge, false);
  assert.equal(result.discharge, true, "read-modify-write kept discharge on");
  assert.equal(sim.pack.read().fet.charge, false);
  assert.equal(link().info.isProtected(12), true, "software MOS lock bit set");
  await h.device.invoke(() => link().setMos("charge", true, (r) => results.push(r)));
  await h.run(3_000);
  const back = results[1];
  assert.equal(back.ok, true);
  assert.equal(sim.pack.read().fet.charge, true);
});

test("MOS: a command for the other FET while one runs is queued, not refused; then both run; not connected is refused", async () => {
  const results: MosResult[] = [];
  await h.device.invoke(() => {
    link().setMos("discharge", false, (r) => results.push(r));
    link().setMos("charge", false, (r) => results.push(r));
  });
  await h.run(5_000);
  assert.deepEqual(results.map((r) => [r.fet, r.ok, r.error]), [["discharge", true, undefined], ["charge", true, undefined]], "in the order they came");
  assert.deepEqual(sim.pack.read().fet, { charge: false, discharge: false });
  await h.device.invoke(() => {
    link().setMos("charge", true, (r) => results.push(r));
    link().setMos("discharge", true, (r) => results.push(r));
  });
  await h.run(5_000);
  assert.deepEqual(results.slice(2).map((r) => r.ok), [true, true]);
  assert.deepEqual(sim.pack.read().fet, { charge: true, discharge: true });
  h.device.ble.drop(peripheral);
  await h.run(1);
  await h.device.invoke(() => link().setMos("charge", false, (r) => results.push(r)));
  assert.match(results.at(-1)!.error ?? "", /not connected/);
  await h.run(10_000);
});
