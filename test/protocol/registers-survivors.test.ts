// The register map's rules one by one, for what registers.test.ts leaves open and mutation testing
// would find: every rule between two registers refuses a change that breaks it (with its own
// reason and both values) and takes one that keeps it by one step; pack limits against the cell
// limits at the tolerance; what a change plan names unchanged or skipped; the rest of the decoding
// (units, dates, function bits). The pack is the simulated BMS's fw20 EEPROM (test/sim/bms-eeprom.ts,
// its own defaults, written independently of the firmware's table).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  FIRST_REGISTER, REGISTERS, REGISTER_COUNT, RegisterState, SettingsSet, PACK_CELL_TOLERANCE_V, planChanges, registerIndex,
  changeValues, describeChange, decodeRegister, encodeRegister, balanceMode, writeSettingsValues, SETTINGS_FORMAT,
  registerReadRequest, registerWriteRequest, replyWord,
} from "../../modules/protocol/registers";
import { JsonWriter } from "../../modules/protocol/json";
import { SimulatedEeprom } from "../sim/bms-eeprom";

/** A 4S 100 Ah pack's every register as the simulated BMS stores it (large: a 1000 Ah pack, 100 mAh units). */
function simSet(capacityAh = 100, layout: "fw20" | "fw16" = "fw20"): SettingsSet {
  const eeprom = new SimulatedEeprom(layout, 4, capacityAh);
  const set = new SettingsSet();
  for (let i = 0; i < REGISTER_COUNT; i++) {
    const word = eeprom.saved(FIRST_REGISTER + i);
    if (word === undefined) set.state[i] = RegisterState.Absent;
    else { set.raw[i] = word; set.state[i] = RegisterState.Ok; }
  }
  return set;
}
const set = simSet();
const value = (s: SettingsSet, key: string) => decodeRegister(registerIndex(key), s.raw[registerIndex(key)], s.largeUnits);
const round = (n: number) => Math.round(n * 1000) / 1000;
const step = (key: string) => {
  const info = REGISTERS[registerIndex(key)];
  return info.unit === "°C" ? 0.1 : info.kind === 1 ? 0.01 : info.unit === "Ah" || info.unit === "A" ? 0.01 : 0.001;
};
const show = (key: string, v: number) => `${key} ${round(v)} ${REGISTERS[registerIndex(key)].unit}`;

test("the simulated pack breaks no rule: an unchanged value plans nothing and refuses nothing", () => {
  const values: Record<string, number> = {};
  for (const info of REGISTERS) if (info.writable && set.has(registerIndex(info.key))) values[info.key] = round(value(set, info.key));
  const p = planChanges(set, values);
  assert.deepEqual(p.errors, []);
  assert.deepEqual(p.changes, []);
  assert.deepEqual(p.unchanged.sort(), Object.keys(values).sort(), "every key named unchanged");
});

/** [a, relation, b, reason]: what the firmware promises (registers.ts RELATIONS), written out again. */
const RULES: [string, "<" | "<=", string, string][] = [
  ["cellOvervoltageRelease", "<", "cellOvervoltage", "a release must be below its trip"],
  ["cellUndervoltage", "<", "cellUndervoltageRelease", "a release must be above its trip"],
  ["packOvervoltageRelease", "<", "packOvervoltage", "a release must be below its trip"],
  ["packUndervoltage", "<", "packUndervoltageRelease", "a release must be above its trip"],
  ["chargeOvertempRelease", "<", "chargeOvertemp", "a release must be below its trip"],
  ["chargeUndertemp", "<", "chargeUndertempRelease", "a release must be above its trip"],
  ["dischargeOvertempRelease", "<", "dischargeOvertemp", "a release must be below its trip"],
  ["dischargeUndertemp", "<", "dischargeUndertempRelease", "a release must be above its trip"],
  ["cellUndervoltageRelease", "<", "cellOvervoltageRelease", "under-voltage must be below over-voltage"],
  ["packUndervoltageRelease", "<", "packOvervoltageRelease", "under-voltage must be below over-voltage"],
  ["chargeUndertempRelease", "<", "chargeOvertempRelease", "under-temperature must be below over-temperature"],
  ["dischargeUndertempRelease", "<", "dischargeOvertempRelease", "under-temperature must be below over-temperature"],
  ["cellOvervoltage", "<", "hardwareCellOvervoltage", "the over-voltage must trip before the hardware protection"],
  ["hardwareCellUndervoltage", "<", "cellUndervoltage", "the under-voltage must trip before the hardware protection"],
  ["cellUndervoltage", "<", "balanceStartVoltage", "balancing must start above under-voltage"],
  ["balanceStartVoltage", "<", "cellOvervoltage", "balancing must start below over-voltage"],
  ["cycleCapacity", "<=", "designCapacity", "the cycle capacity cannot exceed the design capacity"],
  ["emptyVoltage", "<", "socVoltage10", "the capacity-voltage curve must rise"],
  ["socVoltage10", "<", "socVoltage20", "the capacity-voltage curve must rise"],
  ["socVoltage20", "<", "socVoltage30", "the capacity-voltage curve must rise"],
  ["socVoltage30", "<", "socVoltage40", "the capacity-voltage curve must rise"],
  ["socVoltage40", "<", "socVoltage50", "the capacity-voltage curve must rise"],
  ["socVoltage50", "<", "socVoltage60", "the capacity-voltage curve must rise"],
  ["socVoltage60", "<", "socVoltage70", "the capacity-voltage curve must rise"],
  ["socVoltage70", "<", "socVoltage80", "the capacity-voltage curve must rise"],
  ["socVoltage80", "<", "socVoltage90", "the capacity-voltage curve must rise"],
  ["socVoltage90", "<", "socVoltage100", "the capacity-voltage curve must rise"],
  ["socVoltage100", "<=", "fullVoltage", "the capacity-voltage curve must rise"],
];
/** The older firmware's curve (0, 20, 40, 60, 80 %, full): checked on a fw16 pack, which lacks the 10 % steps. */
const OLD_CURVE: [string, string][] = [
  ["emptyVoltage", "socVoltage20"], ["socVoltage20", "socVoltage40"], ["socVoltage40", "socVoltage60"],
  ["socVoltage60", "socVoltage80"], ["socVoltage80", "fullVoltage"],
];

/** Changes `a` (or `b` when `a` is read-only) to where the rule just breaks, or just holds. */
function probe(s: SettingsSet, a: string, relation: "<" | "<=", b: string, breaks: boolean): { values: Record<string, number>; va: number; vb: number } {
  let va = value(s, a), vb = value(s, b);
  const moveA = REGISTERS[registerIndex(a)].writable;
  const unit = step(moveA ? a : b);
  // "<": equal breaks it, one step below holds; "<=": one step above breaks it, equal holds
  const gap = relation === "<" ? (breaks ? 0 : unit) : (breaks ? -unit : 0);
  if (moveA) va = round(vb - gap); else vb = round(va + gap);
  return { values: moveA ? { [a]: va } : { [b]: vb }, va, vb };
}

for (const [a, relation, b, why] of RULES) {
  test(`rule: ${a} ${relation} ${b}, refused just past it with its reason and both values, taken just inside`, () => {
    const broken = probe(set, a, relation, b, true);
    const errors = planChanges(set, broken.values).errors;
    const expected = `${why}: ${show(a, broken.va)} ${relation === "<" ? "must be below" : "must not exceed"} ${show(b, broken.vb)}`;
    assert.ok(errors.includes(expected), `${JSON.stringify(broken.values)}: ${JSON.stringify(errors)}\nexpected ${expected}`);
    const kept = probe(set, a, relation, b, false);
    const ok = planChanges(set, kept.values).errors;
    assert.ok(!ok.some((e) => e.startsWith(why + ": " + a + " ")), `${JSON.stringify(kept.values)}: ${JSON.stringify(ok)}`);
  });
}

test("rules of the older capacity-voltage curve (firmware without the 10 % steps)", () => {
  const old = simSet(100, "fw16");
  for (const [a, b] of OLD_CURVE) {
    const broken = probe(old, a, "<", b, true);
    const expected = `the capacity-voltage curve must rise: ${show(a, broken.va)} must be below ${show(b, broken.vb)}`;
    assert.ok(planChanges(old, broken.values).errors.includes(expected), `${a} < ${b}: ${JSON.stringify(planChanges(old, broken.values).errors)}`);
    const kept = probe(old, a, "<", b, false);
    assert.deepEqual(planChanges(old, kept.values).errors.filter((e) => e.includes(a + " ") && e.includes(b + " ")), [], `${a} < ${b} kept`);
  }
});

test("a rule is checked only when the change touches one of its registers and both are there", () => {
  const odd = simSet();
  odd.raw[registerIndex("cellOvervoltageRelease")] = odd.raw[registerIndex("cellOvervoltage")] + 10; // broken by someone else
  assert.deepEqual(planChanges(odd, { chargeOvertemp: 60 }).errors, []);
  assert.equal(planChanges(odd, { cellOvervoltage: 3.64 }).errors.length > 0, true, "touching the rule's trip");
  // the other side absent: a rule with one side only is not checked
  const absent = simSet();
  absent.state[registerIndex("hardwareCellOvervoltage")] = RegisterState.Absent;
  assert.ok(!planChanges(absent, { cellOvervoltage: 4.2 }).errors.some((e) => e.includes("hardware protection")));
  absent.state[registerIndex("hardwareCellOvervoltage")] = RegisterState.Ok;
  absent.state[registerIndex("balanceStartVoltage")] = RegisterState.Failed;
  assert.ok(!planChanges(absent, { cellUndervoltage: 3.45, cellUndervoltageRelease: 3.5 }).errors.some((e) => e.startsWith("balancing must start above")));
});

test("pack limits follow the cell limits times the cell count, within 0.25 V a cell", () => {
  const cells = 4, tolerance = PACK_CELL_TOLERANCE_V * cells;
  assert.equal(PACK_CELL_TOLERANCE_V, 0.25);
  for (const [pack, cell] of [["packOvervoltage", "cellOvervoltage"], ["packOvervoltageRelease", "cellOvervoltageRelease"],
    ["packUndervoltage", "cellUndervoltage"], ["packUndervoltageRelease", "cellUndervoltageRelease"]]) {
    const expected = value(set, cell) * cells;
    // at the tolerance: taken (a release may have to move too: only the pack-cell rule is looked at)
    for (const sign of [1, -1]) {
      const edge = round(expected + sign * tolerance);
      const at = planChanges(set, { [pack]: edge }).errors.filter((e) => e.startsWith("pack and cell"));
      assert.deepEqual(at, [], `${pack} ${edge}`);
      const past = round(edge + sign * 0.01);
      const errors = planChanges(set, { [pack]: past }).errors.filter((e) => e.startsWith("pack and cell"));
      assert.deepEqual(errors, [`pack and cell limits disagree for 4 cells: ${show(pack, past)} should be within 1 V of 4 x ${show(cell, value(set, cell))} = ${round(expected)} V`], `${pack} ${past}`);
    }
  }
  // the cell side moved: the pack side is checked too
  const moved = planChanges(set, { cellOvervoltage: 3.35, cellOvervoltageRelease: 3.3, balanceStartVoltage: 3.2 }).errors;
  assert.ok(moved.some((e) => e.startsWith("pack and cell limits disagree for 4 cells: packOvervoltage 14.6 V")), JSON.stringify(moved));
  // without a cell count (0x2F not read) the pack-cell rule is not checked
  const unknown = simSet();
  unknown.state[registerIndex("cellCount")] = RegisterState.Failed;
  assert.deepEqual(planChanges(unknown, { cellOvervoltage: 3.6 }).errors, []);
  // one side of the pair absent: not checked
  const noPack = simSet();
  noPack.state[registerIndex("packOvervoltage")] = RegisterState.Absent;
  assert.deepEqual(planChanges(noPack, { cellOvervoltage: 3.3, cellOvervoltageRelease: 3.25, balanceStartVoltage: 3.2 }).errors.filter((e) => e.startsWith("pack and cell limits disagree for 4 cells: packOvervoltage ")), []);
  const noCell = simSet();
  noCell.state[registerIndex("cellOvervoltage")] = RegisterState.Failed;
  assert.deepEqual(planChanges(noCell, { packOvervoltage: 16 }).errors.filter((e) => e.startsWith("pack and cell limits disagree for 4 cells: packOvervoltage ")), []);
});

test("a plan: changes in register order, unchanged keys named, a restore names what it skips and why", () => {
  const p = planChanges(set, { cellUndervoltage: 2.5, cellOvervoltage: 3.6, designCapacity: 100 });
  assert.deepEqual(p.errors, []);
  assert.deepEqual(p.changes.map((c) => REGISTERS[c.index].key), ["cellOvervoltage"]);
  assert.deepEqual(p.unchanged, ["cellUndervoltage", "designCapacity"]);
  assert.deepEqual(p.skipped, []);
  // several changes come out in register order, whatever order they were asked in
  const q = planChanges(set, { balanceWindow: 0.02, designCapacity: 90, cellOvervoltage: 3.6, cycleCapacity: 70 });
  assert.deepEqual(q.errors, []);
  assert.deepEqual(q.changes.map((c) => REGISTERS[c.index].key), ["designCapacity", "cycleCapacity", "cellOvervoltage", "balanceWindow"]);
  // the balance mode unchanged is named as such
  assert.deepEqual(planChanges(set, { balanceMode: balanceMode(set.raw[registerIndex("functionsRaw")]) }).unchanged, ["balanceMode"]);
  // restore: unknown and not-read keys skipped with why; read-only ones left as they are; "functions" ignored
  const failed = simSet();
  failed.state[registerIndex("ledTime")] = RegisterState.Failed;
  failed.state[registerIndex("chargeOvertemp")] = RegisterState.Failed;
  const r = planChanges(failed, { nonsense: 1, chargeOvertemp: 70, cycleCount: 9, functions: { balance: true }, cellOvervoltage: 3.6 }, true);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.skipped, ["nonsense (unknown)", "chargeOvertemp (not read)"]);
  assert.deepEqual(r.changes.map((c) => REGISTERS[c.index].key), ["cellOvervoltage"]);
  // not a restore: each of these is an error
  const w = planChanges(failed, { nonsense: 1, chargeOvertemp: 70, cycleCount: 9, functions: {} });
  assert.deepEqual(w.errors, ["unknown setting 'nonsense'", "chargeOvertemp: not read", "cycleCount is read-only", "unknown setting 'functions'"]);
  assert.deepEqual(w.changes, []);
  // values that are no objects
  for (const v of [null, "x", 3, [1]]) assert.deepEqual(planChanges(set, v).errors, ["expected an object of settings, e.g. {\"cellOvervoltage\":3.6}"]);
  // a value that is not a finite number
  assert.deepEqual(planChanges(set, { cellOvervoltage: Infinity }).errors, ["cellOvervoltage: expected a number in V"]);
  // the bounds named, with the cell count for pack limits
  assert.deepEqual(planChanges(set, { packUndervoltage: 3.99 }).errors, ["packUndervoltage: 3.99 V is outside 4..18 V (4 cells)"]);
  assert.deepEqual(planChanges(set, { cellOvervoltage: 0.999 }).errors, ["cellOvervoltage: 0.999 V is outside 1..4.5 V"]);
  assert.deepEqual(planChanges(set, { balanceWindow: 0.004 }).errors, ["balanceWindow: 0.004 V is outside 0.005..0.5 V"]);
  // a balance mode without the function bits
  const noBits = simSet();
  noBits.state[registerIndex("functionsRaw")] = RegisterState.Absent;
  assert.deepEqual(planChanges(noBits, { balanceMode: "off" }).errors, ["balanceMode: function bits (0x2D) not read"]);
  assert.deepEqual(planChanges(set, { balanceMode: 1 }).errors, ["balanceMode: one of off, always, charging"]);
});

test("the balance mode in the function bits: off, always, only while charging; the other bits kept", () => {
  const functions = registerIndex("functionsRaw");
  for (const [mode, bits] of [["off", 0], ["always", 0x4], ["charging", 0xc]] as const) {
    const p = planChanges(set, { balanceMode: mode });
    const raw = p.changes.length ? p.changes[0].raw : set.raw[functions];
    assert.equal(raw & 0xc, bits, mode);
    assert.equal(raw & ~0xc, set.raw[functions] & ~0xc, "the other bits as they were");
    assert.equal(balanceMode(raw), mode);
  }
  assert.equal(balanceMode(0x8), "off", "the charging bit alone is not balancing");
  const change = planChanges(set, { balanceMode: "charging" }).changes[0];
  assert.equal(describeChange(set, change), "balanceMode charging");
  assert.deepEqual(changeValues(set, change), { key: "balanceMode", from: "off", to: "charging" });
  const v = planChanges(set, { cellOvervoltage: 3.6 }).changes[0];
  assert.equal(describeChange(set, v), "cellOvervoltage 3.6 V");
});

test("units: 10 mAh and 10 mA, or 100 mAh and 100 mA with the unit bit; 0.1 K temperatures; shunt", () => {
  const big = simSet(1000);
  assert.equal(big.largeUnits, true);
  assert.equal(set.largeUnits, false);
  assert.equal(value(big, "designCapacity"), 1000);
  assert.equal(value(set, "designCapacity"), 100);
  assert.equal(round(value(big, "chargeOvercurrent")), 100);
  assert.equal(round(value(big, "dischargeOvercurrent")), 150);
  assert.equal(encodeRegister(registerIndex("designCapacity"), 1000, true), 10000);
  assert.equal(encodeRegister(registerIndex("designCapacity"), 100, false), 10000);
  assert.equal(encodeRegister(registerIndex("designCapacity"), 100.05, true), "designCapacity: 100.05 Ah is not a multiple of 0.1 Ah");
  assert.equal(decodeRegister(registerIndex("shuntResistance"), 10, false), 1, "0.1 mΩ");
  assert.equal(round(decodeRegister(registerIndex("shuntResistance"), 10, true)), 0.1, "0.01 mΩ");
  assert.equal(decodeRegister(registerIndex("chargeOvertemp"), 2731, false), 0);
  assert.equal(round(decodeRegister(registerIndex("chargeOvertemp"), 2631, false)), -10);
  assert.equal(encodeRegister(registerIndex("chargeOvertemp"), -10, false), 2631);
  assert.equal(round(decodeRegister(registerIndex("chargeOvercurrent"), 0xfff6, false)), -0.1, "S16");
  assert.equal(decodeRegister(registerIndex("selfDischargeRate"), 25, false), 2.5);
  assert.equal(decodeRegister(registerIndex("packOvervoltage"), 1460, false), 14.6);
  assert.equal(decodeRegister(registerIndex("cycleCount"), 7, false), 7);
  for (const key of ["manufactureDate", "functionsRaw", "chargeOvercurrentDelays"]) assert.ok(Number.isNaN(decodeRegister(registerIndex(key), 1, false)), key);
  assert.equal(encodeRegister(registerIndex("functionsRaw"), 1, false), "functionsRaw is not a number register");
  assert.equal(encodeRegister(registerIndex("chargeOvercurrent"), 327.68, false), "chargeOvercurrent: 327.68 A does not fit the register");
  assert.equal(encodeRegister(registerIndex("chargeOvercurrent"), 327.67, false), 0x7fff);
  assert.equal(encodeRegister(registerIndex("chargeOvercurrent"), -1, false), "chargeOvercurrent: -1 A does not fit the register");
  assert.equal(encodeRegister(registerIndex("dischargeOvercurrent"), 327.68, false), 0x8000);
  assert.equal(encodeRegister(registerIndex("dischargeOvercurrent"), 327.69, false), "dischargeOvercurrent: give its size (327.69 A)");
  assert.equal(encodeRegister(registerIndex("dischargeOvercurrent"), -1, false), "dischargeOvercurrent: give its size (1 A)");
  assert.equal(encodeRegister(registerIndex("designCapacity"), 655.35, false), 0xffff);
  assert.equal(encodeRegister(registerIndex("designCapacity"), 655.36, false), "designCapacity: 655.36 Ah does not fit the register");
});

test("the settings values: every kind written as the payload promises", () => {
  const s = simSet();
  s.raw[registerIndex("manufactureDate")] = (24 << 9) | (3 << 5) | 7;
  s.raw[registerIndex("functionsRaw")] = (1 << 0) | (1 << 2) | (1 << 12) | (1 << 13);
  const w = new JsonWriter().beginObject();
  writeSettingsValues(w, s);
  const text = w.endObject().text;
  const doc = JSON.parse(text);
  assert.equal(doc.values.manufactureDate, "2024-03-07");
  assert.deepEqual(doc.values.functions, { switch: true, loadLock: false, balance: true, balanceWhileChargingOnly: false, led: false, ledCapacity: false, startBattery: false, largeUnits: true, bluetoothPower: true });
  assert.equal(doc.values.balanceMode, "always");
  assert.deepEqual(doc.values.chargeOvercurrentDelays, { delay: 10, release: 30 });
  assert.deepEqual(doc.values.cellVoltageReleaseDelays, { underRelease: 2, overRelease: 2 });
  assert.equal(doc.values.chargeOvertemp, 75);
  assert.equal(doc.values.chargeUndertemp, -10);
  assert.equal(doc.values.functionsRaw, s.raw[registerIndex("functionsRaw")]);
  assert.equal(doc.values.cellCount, 4);
  assert.deepEqual(doc.absent, []);
  assert.match(text, /"designCapacity":1000\.0,/, "0.1 Ah steps with the unit bit: one decimal");
  assert.match(text, /"cellOvervoltage":3\.650,/, "mV: three decimals");
  assert.match(text, /"packOvervoltage":14\.60,/, "10 mV: two decimals");
  assert.match(text, /"selfDischargeRate":0\.2,/);
  assert.match(text, /"chargeOvertemp":75\.0,/);
  const old = simSet(100, "fw16");
  const w2 = new JsonWriter().beginObject();
  writeSettingsValues(w2, old);
  const doc2 = JSON.parse(w2.endObject().text);
  assert.deepEqual(doc2.absent, ["gpsOffVoltageRaw", "gpsOffDelayRaw", "socVoltage90", "socVoltage70", "socVoltage50", "socVoltage30", "socVoltage10", "socVoltage100"]);
  assert.equal(SETTINGS_FORMAT, "jbd-settings/1");
  // a failed register is neither a value nor absent
  old.state[registerIndex("ledTime")] = RegisterState.Failed;
  assert.equal(old.complete, false);
  const w3 = new JsonWriter().beginObject();
  writeSettingsValues(w3, old);
  const doc3 = JSON.parse(w3.endObject().text);
  assert.equal(doc3.values.ledTime, undefined);
  assert.ok(!doc3.absent.includes("ledTime"));
});

test("edges: bounds are inclusive, a value between steps is refused, one error writes nothing, what counts as unchanged", () => {
  assert.deepEqual(planChanges(set, { balanceWindow: 0.005 }).errors, []);
  assert.deepEqual(planChanges(set, { balanceWindow: 0.5 }).errors, []);
  assert.deepEqual(planChanges(set, { balanceWindow: 0.5001 }).errors, ["balanceWindow: 0.5001 V is outside 0.005..0.5 V"]);
  assert.deepEqual(planChanges(set, { cellOvervoltage: 3.6005 }).errors, ["cellOvervoltage: 3.6005 V is not a multiple of 0.001 V"]);
  const mixed = planChanges(set, { cellOvervoltage: 3.6, balanceWindow: 9 });
  assert.equal(mixed.errors.length, 1);
  assert.deepEqual(mixed.changes, [], "nothing planned while anything is refused");
  assert.deepEqual(mixed.unchanged, []);
  // a restore lists as unchanged only what could have been written
  const r = planChanges(set, { cycleCount: value(set, "cycleCount"), cellOvervoltage: 3.65 }, true);
  assert.deepEqual(r.unchanged, ["cellOvervoltage"]);
  const old = simSet(100, "fw16");
  const o = planChanges(old, { socVoltage10: 0, cellOvervoltage: 3.65 }, true);
  assert.deepEqual(o.unchanged, ["cellOvervoltage"], "an absent register is not unchanged");
  assert.deepEqual(o.skipped, ["socVoltage10 (this firmware lacks it)"]);
});

test("encoding edges: zero, below absolute zero, the S16 current's sign", () => {
  assert.equal(encodeRegister(registerIndex("cellOvervoltage"), 0, false), 0);
  assert.equal(encodeRegister(registerIndex("chargeOvercurrent"), 0, false), 0);
  assert.equal(encodeRegister(registerIndex("dischargeOvercurrent"), 0, false), 0);
  assert.equal(encodeRegister(registerIndex("chargeOvertemp"), -273.1, false), 0);
  assert.equal(encodeRegister(registerIndex("chargeOvertemp"), -300, false), "chargeOvertemp: -300 °C does not fit the register");
  assert.equal(round(decodeRegister(registerIndex("chargeOvercurrent"), 0x8000, false)), -327.68);
  assert.equal(round(decodeRegister(registerIndex("chargeOvercurrent"), 0x7fff, false)), 327.67);
});

test("dates with two-digit months and days; the units and writability each register is shown with", () => {
  const s = simSet();
  s.raw[registerIndex("manufactureDate")] = (23 << 9) | (10 << 5) | 10;
  const w = new JsonWriter().beginObject();
  writeSettingsValues(w, s);
  assert.equal(JSON.parse(w.endObject().text).values.manufactureDate, "2023-10-10");
  const units: Record<string, string> = {
    designCapacity: "Ah", selfDischargeRate: "%", chargeOvercurrent: "A", dischargeOvercurrent: "A", shuntResistance: "mΩ",
    fetControlTime: "s", ledTime: "s", hardwareCellOvervoltage: "V", hardwareCellUndervoltage: "V", hardwareDelaysRaw: "",
    chargeTempReleaseDelays: "s", dischargeTempReleaseDelays: "s", packVoltageReleaseDelays: "s", cellVoltageReleaseDelays: "s",
    chargeOvercurrentDelays: "s", dischargeOvercurrentDelays: "s", cycleCount: "", manufactureDate: "",
  };
  for (const [key, unit] of Object.entries(units)) assert.equal(REGISTERS[registerIndex(key)].unit, unit, key);
  const writable = ["designCapacity", "selfDischargeRate", "chargeOvercurrent", "dischargeOvercurrent"];
  for (const key of writable) assert.equal(REGISTERS[registerIndex(key)].writable, true, key);
  for (const key of ["shuntResistance", "hardwareCellOvervoltage", "chargeOvercurrentDelays"]) assert.equal(REGISTERS[registerIndex(key)].writable, false, key);
  assert.equal(REGISTERS[registerIndex("cycleCapacity")].pair, undefined, "only the delay pairs have byte names");
  assert.deepEqual(planChanges(set, { selfDischargeRate: 0.3 }).changes.map((c) => changeValues(set, c)), [{ key: "selfDischargeRate", from: 0.2, to: 0.3 }]);
});

test("requests: a write of 0 carries its word; a reply word only from a good status with two bytes", () => {
  assert.equal(Buffer.from(registerWriteRequest(0x24, 0)).toString("hex"), "dd5a24020000ffda77");
  assert.equal(new Uint8Array(registerWriteRequest(0x24, 0)).length, 9);
  assert.equal(new Uint8Array(registerReadRequest(0x24)).length, 7);
  assert.equal(replyWord(new Uint8Array([0xdd, 0x24, 0x00, 0x02, 0x0e, 0x42, 0, 0, 0x77])), 0x0e42);
  assert.equal(replyWord(new Uint8Array([0xdd, 0x24, 0x80, 0x02, 0x0e, 0x42, 0, 0, 0x77])), -1);
  assert.equal(replyWord(new Uint8Array([0xdd, 0x24, 0x00, 0x01, 0x0e, 0, 0, 0x77])), -1);
});
