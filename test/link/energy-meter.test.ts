// The energy meter and runtime estimates on their own (modules/link/energy-meter.ts): readings made
// up field by field, time given as the interval since the previous reading, a store that counts.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { BasicInfo } from "../../modules/protocol/basic-info";
import { reading } from "./energy-readings";
import { EnergyMeter, IDLE_A, RUNTIME_TAU_MS, SAVE_MIN_MS, SAVE_WH, idHash, type EnergyStore } from "../../modules/link/energy-meter";
import { JsonWriter } from "../../modules/protocol/json";
import { stateJson } from "../../modules/bridge/payloads";
import type { Clock } from "../../modules/bridge/ports";
import { FakeBms, SP04S034 } from "../bridge/fake-bms";

const POLL_MS = 5_000;
const HOUR_MS = 3600_000;


class CountingStore implements EnergyStore {
  readonly values = new Map<string, number>();
  readonly log: { key: string; value: number; at: number }[] = [];
  now = 0;
  fail = false;
  get(key: string): number | undefined { return this.values.get(key); }
  set(key: string, value: number): void {
    if (this.fail) throw new Error("nvs set fail");
    assert.ok(key.length <= 15 && (value | 0) === value, `${key}=${value}: NVS key, int32`);
    this.values.set(key, value);
    this.log.push({ key, value, at: this.now });
  }
}

/** Feed `info` every `stepMs` for `ms`; the store's clock follows. */
function run(meter: EnergyMeter, info: BasicInfo, ms: number, stepMs = POLL_MS, store?: CountingStore): void {
  for (let t = 0; t < ms; t += stepMs) { if (store) store.now += stepMs; meter.sample(info, stepMs, POLL_MS); }
}

test("trapezoid between readings: 1 kW for an hour is 1 kWh; the first reading integrates nothing", () => {
  const m = new EnergyMeter();
  m.sample(reading(50, 20), -1, POLL_MS);
  assert.equal(m.chargedWh, 0);
  run(m, reading(50, 20), HOUR_MS);
  assert.ok(Math.abs(m.chargedWh - 1000) < 1e-6, String(m.chargedWh));
  assert.equal(m.dischargedWh, 0);
  // a ramp: the mean of both ends
  const r = new EnergyMeter();
  r.sample(reading(50, 10), -1, POLL_MS);
  r.sample(reading(50, 30), 3600, POLL_MS); // 500 W → 1500 W over 3.6 s: 1 Wh
  assert.ok(Math.abs(r.chargedWh - 1) < 1e-9, String(r.chargedWh));
});

test("power that changes sign is split at the zero crossing: each total gets its own side", () => {
  const m = new EnergyMeter();
  m.sample(reading(50, 20), -1, POLL_MS);   // +1000 W
  m.sample(reading(50, -60), 7200, POLL_MS); // −3000 W, 7.2 s later: zero at 1.8 s
  assert.ok(Math.abs(m.chargedWh - 1000 / 2 * 1.8 / 3600) < 1e-9, String(m.chargedWh));
  assert.ok(Math.abs(m.dischargedWh - 3000 / 2 * 5.4 / 3600) < 1e-9, String(m.dischargedWh));
});

test("large units (×10 current) and discharge", () => {
  const m = new EnergyMeter();
  m.sample(reading(48, -100, 200, 280, undefined, true), -1, POLL_MS);
  run(m, reading(48, -100, 200, 280, undefined, true), HOUR_MS);
  assert.ok(Math.abs(m.dischargedWh - 4800) < 1e-6, String(m.dischargedWh));
});

test("gaps: an interval longer than 3 poll intervals (at least 15 s) is not integrated, and counted", () => {
  // the longest interval integrated: 15 s at 2 s and 5 s polls, 3 intervals at 30 s polls
  for (const [pollMs, longest] of [[2_000, 15_000], [5_000, 15_000], [30_000, 90_000]]) {
    const m = new EnergyMeter(), info = reading(50, 20);
    m.sample(info, -1, pollMs);
    m.sample(info, longest, pollMs);
    assert.equal(m.gaps, 0, `${pollMs} ms polls: ${longest} ms integrated`);
    m.sample(info, longest + 1, pollMs);
    assert.equal(m.gaps, 1, `${pollMs} ms polls: ${longest + 1} ms a gap`);
  }
  const m = new EnergyMeter();
  const info = reading(50, 20); // 1000 W
  m.sample(info, -1, POLL_MS);
  m.sample(info, 15_000, POLL_MS);
  assert.ok(Math.abs(m.chargedWh - 1000 * 15 / 3600) < 1e-9, "15 s is still integrated");
  const before = m.chargedWh;
  m.sample(info, 15_001, POLL_MS);
  assert.equal(m.chargedWh, before, "15.001 s is a gap");
  assert.equal(m.gaps, 1);
  m.sample(info, 0, POLL_MS);
  m.sample(info, -5, POLL_MS);
  assert.equal(m.chargedWh, before, "no time, or time backwards: nothing");
  m.sample(info, 5_000, POLL_MS);
  assert.ok(m.chargedWh > before, "and it goes on after the gap");
});

test("flash: written when 10 Wh more and 10 minutes since the last write, only the keys that changed", () => {
  const store = new CountingStore();
  const m = new EnergyMeter();
  m.keepIn(store, 1, "shed");
  m.sample(reading(50, 0.5), -1, POLL_MS); // 25 W: 10 Wh take 24 min
  run(m, reading(50, 0.5), 20 * 60_000, POLL_MS, store);
  assert.equal(store.log.length, 0, "8.3 Wh: nothing written yet");
  run(m, reading(50, 0.5), 4 * 60_000 + POLL_MS, POLL_MS, store);
  assert.deepEqual(store.log.map((e) => e.key), ["c1", "d1", "h1"], "the first write writes every key (the slot was empty)");
  assert.equal(store.values.get("c1"), 10);
  assert.equal(store.values.get("h1"), idHash("shed"));
  store.log.length = 0;
  // 1 kW: 10 Wh in 36 s, but at most every 10 minutes; discharge unchanged: not written
  run(m, reading(50, 20), 24 * HOUR_MS, POLL_MS, store);
  assert.ok(store.log.every((e) => e.key === "c1"), "only the total that changed");
  assert.equal(store.log.length, 24 * 6);
  for (let i = 1; i < store.log.length; i++) assert.ok(store.log[i].at - store.log[i - 1].at >= SAVE_MIN_MS, "10 minutes apart");
  assert.equal(m.writes, 3 + 24 * 6);
  // what flash lacks: at most 10 minutes of it (and less than a Wh of fraction)
  assert.ok(m.chargedWh - store.values.get("c1")! < 1000 * SAVE_MIN_MS / HOUR_MS + 1);
  assert.ok(SAVE_WH === 10);
});

test("flash: totals come back for the same pack, not for another one in the slot; a renamed pack writes its new id", () => {
  const store = new CountingStore();
  store.values.set("c2", 1234).set("d2", 567).set("h2", idHash("house"));
  const same = new EnergyMeter();
  same.keepIn(store, 2, "house");
  assert.deepEqual([same.chargedWh, same.dischargedWh], [1234, 567]);
  const other = new EnergyMeter();
  other.keepIn(store, 2, "garage");
  assert.deepEqual([other.chargedWh, other.dischargedWh], [0, 0]);
  other.sample(reading(50, -20), -1, POLL_MS);
  other.flush();
  assert.deepEqual([store.values.get("c2"), store.values.get("d2"), store.values.get("h2")], [0, 0, idHash("garage")], "every key, the zeros too");
  const found = new EnergyMeter();
  found.keepIn(store, 2, "bms2");
  found.rename("a4c138000002");
  found.flush();
  assert.equal(store.values.get("h2"), idHash("a4c138000002"));
  const empty = new EnergyMeter();
  empty.keepIn(new CountingStore(), 3, "x");
  assert.deepEqual([empty.chargedWh, empty.dischargedWh], [0, 0]);
});

test("reset: both totals to zero, written at once; a failing flash is counted, never thrown", () => {
  const store = new CountingStore();
  const m = new EnergyMeter();
  m.keepIn(store, 1, "shed");
  m.sample(reading(50, 20), -1, POLL_MS);
  run(m, reading(50, 20), HOUR_MS, POLL_MS, store);
  assert.ok(store.values.get("c1")! > 900);
  m.reset();
  assert.deepEqual([m.chargedWh, m.dischargedWh, store.values.get("c1"), store.values.get("d1")], [0, 0, 0, 0]);
  store.fail = true;
  run(m, reading(50, 20), HOUR_MS, POLL_MS, store);
  assert.doesNotThrow(() => m.flush());
  assert.ok(m.writeFailures > 1);
  assert.ok(m.chargedWh > 900, "RAM keeps counting");
  store.fail = false;
  m.flush();
  assert.equal(store.values.get("c1"), Math.floor(m.chargedWh));
});

test("runtime: time to empty = remaining / discharge current, time to full = (full-charge − remaining) / charge current", () => {
  const m = new EnergyMeter();
  m.sample(reading(13, -10, 50), -1, POLL_MS);
  assert.equal(m.timeToEmptyS, 5 * 3600);
  assert.equal(m.timeToFullS, -1);
  const c = new EnergyMeter();
  c.sample(reading(13, 20, 50, 100), -1, POLL_MS);
  assert.equal(c.timeToFullS, 2.5 * 3600, "nominal capacity without the extended block");
  assert.equal(c.timeToEmptyS, -1);
  c.sample(reading(13, 20, 50, 100, 90), POLL_MS, POLL_MS);
  assert.equal(c.timeToFullS, 2 * 3600, "full-charge capacity when the BMS reports it");
  c.sample(reading(13, 20, 95, 100, 90), POLL_MS, POLL_MS);
  assert.equal(c.timeToFullS, 0, "remaining above full-charge: 0, never negative");
});

test("runtime: a step in current moves the estimate smoothly (EMA, 3 min), not at once", () => {
  const m = new EnergyMeter();
  m.sample(reading(13, -10, 50), -1, POLL_MS);
  run(m, reading(13, -10, 50), 10 * 60_000);
  assert.equal(m.timeToEmptyS, 18_000);
  m.sample(reading(13, -20, 50), POLL_MS, POLL_MS); // the load doubles
  const after = m.timeToEmptyS;
  assert.ok(after < 18_000 && after > 18_000 * 0.95, `one reading later: ${after} s, not 9000`);
  let last = after;
  for (let t = 0; t < 15 * 60_000; t += POLL_MS) {
    m.sample(reading(13, -20, 50), POLL_MS, POLL_MS);
    assert.ok(m.timeToEmptyS <= last && last - m.timeToEmptyS < 18_000 * 0.03, "no jumps on the way");
    last = m.timeToEmptyS;
  }
  assert.ok(Math.abs(m.timeToEmptyS - 9000) < 9000 * 0.01, `after 5 time constants: ${m.timeToEmptyS}`);
  assert.equal(RUNTIME_TAU_MS, 180_000);
});

test("runtime: none (null) while idle, after a gap it starts again from the reading; a change of direction restarts it", () => {
  const m = new EnergyMeter();
  m.sample(reading(13, -10, 50), -1, POLL_MS);
  m.sample(reading(13, -IDLE_A / 2, 50), POLL_MS, POLL_MS);
  assert.deepEqual([m.timeToEmptyS, m.timeToFullS], [-1, -1], "idle");
  m.sample(reading(13, IDLE_A / 2 + 0.01, 50), POLL_MS, POLL_MS);
  assert.deepEqual([m.timeToEmptyS, m.timeToFullS], [-1, -1], "below the threshold either way");
  m.sample(reading(13, -10, 50), POLL_MS, POLL_MS);
  assert.equal(m.timeToEmptyS, 18_000, "after idle: from this reading");
  m.sample(reading(13, 25, 50), POLL_MS, POLL_MS);
  assert.deepEqual([m.timeToEmptyS, m.timeToFullS], [-1, 7200], "charging now: time to full from the new current");
  m.sample(reading(13, 10, 50), 60_000, POLL_MS);
  assert.equal(m.timeToFullS, 18_000, "after a gap: from this reading");
  m.stale();
  assert.deepEqual([m.timeToEmptyS, m.timeToFullS], [-1, -1], "readings stopped");
});

test("state JSON: energyCharged / energyDischarged in kWh (whole Wh), timeToEmpty / timeToFull in seconds or null", () => {
  let ticks = 1_000;
  const clock: Clock = { ticks: () => ticks, since: (t) => ticks - t, epochMs: () => Date.UTC(2026, 11, 1) };
  const bms = new FakeBms("house", "House", "A4:C1:38:00:00:01", clock).load(SP04S034);
  const parse = () => JSON.parse(new TextDecoder().decode(stateJson(new JsonWriter(), bms, clock)));
  assert.deepEqual(pick(parse()), { energyCharged: null, energyDischarged: null, timeToEmpty: null, timeToFull: null }, "a view without a meter: null, not absent");
  const m = new EnergyMeter();
  (bms as { energy?: EnergyMeter }).energy = m;
  assert.deepEqual(pick(parse()), { energyCharged: 0, energyDischarged: 0, timeToEmpty: null, timeToFull: null });
  m.chargedWh = 12345.9; m.dischargedWh = 7.2;
  m.sample(reading(13, -10, 50), -1, POLL_MS);
  const text = new TextDecoder().decode(stateJson(new JsonWriter(), bms, clock));
  assert.match(text, /"energyCharged":12\.345,"energyDischarged":0\.007,"timeToEmpty":18000,"timeToFull":null/);
  ticks += 1;
});

function pick(state: Record<string, unknown>) {
  const { energyCharged, energyDischarged, timeToEmpty, timeToFull } = state;
  return { energyCharged, energyDischarged, timeToEmpty, timeToFull };
}
