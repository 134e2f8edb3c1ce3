// The energy meter (modules/link/energy-meter.ts) where mutation testing found its tests loose: the
// id hash, what a slot's contents mean on keepIn, which keys a write touches, no store at all, the
// idle bound, the EMA's weight, which capacity "full" is, and a restart after the readings stopped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { reading } from "./energy-readings";
import { EnergyMeter, RUNTIME_TAU_MS, SAVE_MIN_MS, idHash, type EnergyStore } from "../../modules/link/energy-meter";

const POLL_MS = 5_000;

class Store implements EnergyStore {
  readonly values = new Map<string, number>();
  readonly written: string[] = [];
  get(key: string): number | undefined { return this.values.get(key); }
  set(key: string, value: number): void { this.values.set(key, value); this.written.push(`${key}=${value}`); }
}

test("idHash is 32-bit FNV-1a of the id as an int32 (what flash keeps as the owner)", () => {
  assert.equal(idHash(""), 0x811c9dc5 | 0);
  assert.equal(idHash("a"), 0xe40c292c | 0);
  assert.equal(idHash("house"), ((): number => {
    let h = 0x811c9dc5;
    for (const c of Buffer.from("house")) { h ^= c; h = Math.imul(h, 0x01000193); }
    return h | 0;
  })());
  assert.notEqual(idHash("house"), idHash("housf"));
});

test("keepIn: the same owner's totals come back and only what changes is written; the owner is not written again", () => {
  const store = new Store();
  store.values.set("c2", 1000).set("d2", 0).set("h2", idHash("house"));
  const m = new EnergyMeter();
  m.keepIn(store, 2, "house");
  assert.deepEqual([m.chargedWh, m.dischargedWh], [1000, 0], "a stored 0 is a total like any other");
  // 30 W: 5.5 Wh more in 11 minutes, under the 10 Wh rule (what flash has already is not counted again)
  m.sample(reading(50, 0.6), -1, POLL_MS);
  for (let t = 0; t < 11 * 60_000; t += POLL_MS) m.sample(reading(50, 0.6), POLL_MS, POLL_MS);
  assert.equal(store.written.length, 0, "5.5 Wh: not yet");
  for (let t = 0; t < 10 * 60_000; t += POLL_MS) m.sample(reading(50, 0.6), POLL_MS, POLL_MS);
  assert.equal(store.written.length, 1, "10 Wh more: one write");
  const [key, value] = store.written[0].split("=");
  assert.equal(key, "c2", "only the charged total changed: not the discharged total, not the owner");
  assert.ok(Number(value) >= 1010 && Number(value) <= 1011, store.written[0]);
  m.flush();
  assert.equal(store.written.length, 1, "flush: nothing changed since");
  m.reset();
  assert.deepEqual(store.written.slice(1), ["c2=0"], "reset writes the charged total only (the discharged one was 0 already)");
});

test("keepIn: an empty slot, another pack's, or a total that is no count, are not taken back, and the first write writes every key", () => {
  for (const [label, values] of [
    ["empty", {}],
    ["another pack", { c1: 500, d1: 7, h1: idHash("boat") }],
    ["no owner", { c1: 500, d1: 7 }],
    ["a negative total", { c1: -5, d1: 7, h1: idHash("house") }],
  ] as const) {
    const store = new Store();
    for (const [k, v] of Object.entries(values)) store.values.set(k, v);
    const m = new EnergyMeter();
    m.keepIn(store, 1, "house");
    assert.deepEqual([m.chargedWh, m.dischargedWh], [0, 0], label);
    m.flush();
    assert.deepEqual(store.written, ["c1=0", "d1=0", `h1=${idHash("house")}`], label);
    assert.equal(m.writes, 3, label);
  }
  // a store that throws on reading: nothing taken back, every key written
  const failing = new Store();
  failing.get = () => { throw new Error("nvs"); };
  const m = new EnergyMeter();
  m.keepIn(failing, 3, "van");
  m.flush();
  assert.deepEqual(failing.written, ["c3=0", "d3=0", `h3=${idHash("van")}`]);
});

test("no store: flush, reset and long sampling write nothing and fail nothing", () => {
  const m = new EnergyMeter();
  m.sample(reading(50, 10), -1, POLL_MS);
  for (let t = 0; t < SAVE_MIN_MS + 60_000; t += POLL_MS) m.sample(reading(50, 10), POLL_MS, POLL_MS);
  m.flush();
  m.reset();
  assert.deepEqual([m.writes, m.writeFailures], [0, 0]);
  assert.deepEqual([m.chargedWh, m.dischargedWh], [0, 0]);
});

test("runtime: 0.2 A either way is not idle; below it is", () => {
  const m = new EnergyMeter();
  m.sample(reading(50, 0.2), -1, POLL_MS);
  assert.equal(m.timeToFullS, Math.round(50 / 0.2 * 3600));
  m.sample(reading(50, -0.2), POLL_MS, POLL_MS);
  assert.equal(m.timeToEmptyS, Math.round(50 / 0.2 * 3600));
  m.sample(reading(50, 0.19), POLL_MS, POLL_MS);
  assert.deepEqual([m.timeToEmptyS, m.timeToFullS], [-1, -1]);
});

test("runtime: the EMA weighs a new reading by elapsed / (3 min + elapsed), from the first reading as it is", () => {
  const m = new EnergyMeter();
  m.sample(reading(50, -10), -1, POLL_MS);
  assert.equal(m.timeToEmptyS, 50 / 10 * 3600, "the first reading as it is: 10 A");
  m.sample(reading(50, -20), POLL_MS, POLL_MS);
  const ema = 10 + (20 - 10) * (POLL_MS / (RUNTIME_TAU_MS + POLL_MS));
  assert.equal(m.timeToEmptyS, Math.round(50 / ema * 3600));
  // stale (link down): the next reading starts the EMA again from itself
  m.stale();
  assert.deepEqual([m.timeToEmptyS, m.timeToFullS], [-1, -1]);
  m.sample(reading(50, -25), POLL_MS, POLL_MS);
  assert.equal(m.timeToEmptyS, 50 / 25 * 3600);
  // a change of direction restarts it too
  m.sample(reading(50, 5, 50, 100), POLL_MS, POLL_MS);
  assert.equal(m.timeToFullS, 50 / 5 * 3600);
});

test("runtime: full is the extended full-charge capacity when the BMS reports one above 0, else the nominal; none once full", () => {
  const m = new EnergyMeter();
  m.sample(reading(50, 10, 50, 100, 80), -1, POLL_MS);
  assert.equal(m.timeToFullS, 30 / 10 * 3600, "full-charge 80 Ah");
  const zero = new EnergyMeter();
  zero.sample(reading(50, 10, 50, 100, 0), -1, POLL_MS);
  assert.equal(zero.timeToFullS, 50 / 10 * 3600, "a full-charge capacity of 0: the nominal 100 Ah");
  const stale = reading(50, 10, 50, 100);
  stale.fullChargeRaw = 8000; // left from an earlier extended reading, not valid now
  const n = new EnergyMeter();
  n.sample(stale, -1, POLL_MS);
  assert.equal(n.timeToFullS, 50 / 10 * 3600, "without the extended block: the nominal");
  const full = new EnergyMeter();
  full.sample(reading(50, 10, 100, 100), -1, POLL_MS);
  assert.equal(full.timeToFullS, 0, "remaining = full: 0 s");
});
