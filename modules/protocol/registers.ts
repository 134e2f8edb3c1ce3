// The BMS's EEPROM parameters (protection limits, capacities, the capacity-voltage curve, function
// bits): registers 0x10-0x47, two bytes big-endian each, read and written only in factory mode
// (../shared/jbd-field-facts.md §4.5, §4.6; JBD_REGISTER_MAP.md and Capacity_parameter_registers.md
// of FurTrader/OverkillSolarBMS). Platform-free: runs unchanged on XS and Node.
//
// Firmware differences: 0x42-0x47 (the 10 % steps of the capacity-voltage curve) exist from firmware
// 0x20 on, and 0x40/0x41 not on every firmware; a register the firmware lacks answers status 0x80 and
// is reported absent, never as 0. Bits 6-10 of 0x2D have different names in every source, so only
// the bits all sources agree on are named (the rest are in functionsRaw) and only the balance bits
// can be written. Bit 12 of 0x2D switches capacities to 100 mAh and currents to 100 mA units.
//
// Nothing here runs on the poll path: a settings session is rare, and may allocate.
import { FRAME_END, FRAME_OVERHEAD, FRAME_START, READ, WRITE, checksum } from "./frame";
import type { JsonWriter } from "./json-writer";

export const FIRST_REGISTER = 0x10;
export const REGISTER_COUNT = 0x48 - FIRST_REGISTER;
/** The settings payload and backup document say which layout they follow. */
export const SETTINGS_FORMAT = "jbd-settings/1";

/** How a register's two bytes become a value. */
const enum Kind {
  /** 1 mV -> V */ MilliVolt, /** 10 mV -> V */ CentiVolt, /** 0.1 K -> °C */ DeciKelvin,
  /** S16 10 mA (100 mA with the unit bit) -> A */ Current, /** the same, stored negative, shown as its size */ NegCurrent,
  /** 10 mAh (100 mAh with the unit bit) -> Ah */ Capacity, /** 0.1 % */ Permille, /** whole numbers (s, counts) */ Count,
  /** date bits -> "YYYY-MM-DD" */ Date, /** bits, shown as a number */ Bits, /** two bytes, each a number of seconds */ BytePair,
  /** 0.1 mΩ (0.01 mΩ with the unit bit) -> mΩ */ Shunt,
}

export interface RegisterInfo {
  /** Key in the settings JSON. */
  readonly key: string;
  readonly reg: number;
  readonly kind: Kind;
  readonly unit: string;
  /** May be changed (protection and capacity parameters); the rest are read for the backup only. */
  readonly writable: boolean;
  /** Physical bounds in the value's unit, for writable numbers ("pack": the cell bounds times the cell count). */
  readonly min: number;
  readonly max: number;
  /** BytePair: the names of the first and second byte. */
  readonly pair?: readonly [string, string];
}

// Physical bounds (in the value's unit): what any lithium chemistry a JBD board serves can need
// (LTO cells from 1.5 V, high-voltage LiPo to 4.35 V), temperatures a pack may see.
const CELL_V_MIN = 1.0, CELL_V_MAX = 4.5;
const TEMP_MIN = -40, TEMP_MAX = 100;

function entry(key: string, reg: number, kind: Kind, unit: string, writable: boolean, min = 0, max = 0,
  pair?: readonly [string, string]): RegisterInfo {
  return Object.freeze({ key, reg, kind, unit, writable, min, max, pair: pair && Object.freeze(pair) });
}
const cellV = (key: string, reg: number) => entry(key, reg, Kind.MilliVolt, "V", true, CELL_V_MIN, CELL_V_MAX);
const packV = (key: string, reg: number) => entry(key, reg, Kind.CentiVolt, "V", true, CELL_V_MIN, CELL_V_MAX);
const temp = (key: string, reg: number) => entry(key, reg, Kind.DeciKelvin, "°C", true, TEMP_MIN, TEMP_MAX);
const readOnly = (key: string, reg: number, kind: Kind, unit = "") => entry(key, reg, kind, unit, false);
const UNDER_OVER = Object.freeze(["underRelease", "overRelease"] as const);
const DELAY_RELEASE = Object.freeze(["delay", "release"] as const);

/** Index = register - FIRST_REGISTER. */
export const REGISTERS: readonly RegisterInfo[] = Object.freeze([
  entry("designCapacity", 0x10, Kind.Capacity, "Ah", true, 0.1, 6553.5),
  entry("cycleCapacity", 0x11, Kind.Capacity, "Ah", true, 0.1, 6553.5),
  cellV("fullVoltage", 0x12),
  cellV("emptyVoltage", 0x13),
  entry("selfDischargeRate", 0x14, Kind.Permille, "%", true, 0, 10),
  readOnly("manufactureDate", 0x15, Kind.Date),
  readOnly("serialNumber", 0x16, Kind.Count),
  readOnly("cycleCount", 0x17, Kind.Count),
  temp("chargeOvertemp", 0x18), temp("chargeOvertempRelease", 0x19),
  temp("chargeUndertemp", 0x1a), temp("chargeUndertempRelease", 0x1b),
  temp("dischargeOvertemp", 0x1c), temp("dischargeOvertempRelease", 0x1d),
  temp("dischargeUndertemp", 0x1e), temp("dischargeUndertempRelease", 0x1f),
  packV("packOvervoltage", 0x20), packV("packOvervoltageRelease", 0x21),
  packV("packUndervoltage", 0x22), packV("packUndervoltageRelease", 0x23),
  cellV("cellOvervoltage", 0x24), cellV("cellOvervoltageRelease", 0x25),
  cellV("cellUndervoltage", 0x26), cellV("cellUndervoltageRelease", 0x27),
  entry("chargeOvercurrent", 0x28, Kind.Current, "A", true, 0.5, 3000),
  entry("dischargeOvercurrent", 0x29, Kind.NegCurrent, "A", true, 0.5, 3000),
  cellV("balanceStartVoltage", 0x2a),
  entry("balanceWindow", 0x2b, Kind.MilliVolt, "V", true, 0.005, 0.5),
  readOnly("shuntResistance", 0x2c, Kind.Shunt, "mΩ"),
  readOnly("functionsRaw", 0x2d, Kind.Bits),
  readOnly("ntcEnabledRaw", 0x2e, Kind.Bits),
  readOnly("cellCount", 0x2f, Kind.Count),
  readOnly("fetControlTime", 0x30, Kind.Count, "s"),
  readOnly("ledTime", 0x31, Kind.Count, "s"),
  cellV("socVoltage80", 0x32), cellV("socVoltage60", 0x33), cellV("socVoltage40", 0x34), cellV("socVoltage20", 0x35),
  readOnly("hardwareCellOvervoltage", 0x36, Kind.MilliVolt, "V"),
  readOnly("hardwareCellUndervoltage", 0x37, Kind.MilliVolt, "V"),
  readOnly("shortCircuitRaw", 0x38, Kind.Bits),
  readOnly("hardwareDelaysRaw", 0x39, Kind.Bits),
  entry("chargeTempReleaseDelays", 0x3a, Kind.BytePair, "s", false, 0, 0, UNDER_OVER),
  entry("dischargeTempReleaseDelays", 0x3b, Kind.BytePair, "s", false, 0, 0, UNDER_OVER),
  entry("packVoltageReleaseDelays", 0x3c, Kind.BytePair, "s", false, 0, 0, UNDER_OVER),
  entry("cellVoltageReleaseDelays", 0x3d, Kind.BytePair, "s", false, 0, 0, UNDER_OVER),
  entry("chargeOvercurrentDelays", 0x3e, Kind.BytePair, "s", false, 0, 0, DELAY_RELEASE),
  entry("dischargeOvercurrentDelays", 0x3f, Kind.BytePair, "s", false, 0, 0, DELAY_RELEASE),
  readOnly("gpsOffVoltageRaw", 0x40, Kind.Count),
  readOnly("gpsOffDelayRaw", 0x41, Kind.Count),
  cellV("socVoltage90", 0x42), cellV("socVoltage70", 0x43), cellV("socVoltage50", 0x44),
  cellV("socVoltage30", 0x45), cellV("socVoltage10", 0x46), cellV("socVoltage100", 0x47),
]);

const FUNCTIONS = 0x2d - FIRST_REGISTER;
const CELL_COUNT = 0x2f - FIRST_REGISTER;
/** 0x2D bits every source names alike (bits 6-10 differ between sources: functionsRaw only). */
export const FUNCTION_BITS: readonly (readonly [string, number])[] = Object.freeze([
  Object.freeze(["switch", 0] as const), Object.freeze(["loadLock", 1] as const), Object.freeze(["balance", 2] as const),
  Object.freeze(["balanceWhileChargingOnly", 3] as const), Object.freeze(["led", 4] as const), Object.freeze(["ledCapacity", 5] as const),
  Object.freeze(["startBattery", 11] as const), Object.freeze(["largeUnits", 12] as const), Object.freeze(["bluetoothPower", 13] as const),
]);
const BALANCE_BIT = 1 << 2, BALANCE_CHARGING_BIT = 1 << 3, LARGE_UNITS_BIT = 1 << 12;
/** The one 0x2D setting that may be written: balancing off, always, or only while charging (bits 2, 3). */
export const BALANCE_MODES: readonly string[] = Object.freeze(["off", "always", "charging"]);
export const BALANCE_MODE_KEY = "balanceMode";

/** What a register of one read came to. */
export const enum RegisterState { Unread = 0, Ok = 1, Absent = 2, Failed = 3 }

/** One pack's parameters as read in one factory session: the raw words and what each read came to. */
export class SettingsSet {
  readonly raw = new Uint16Array(REGISTER_COUNT);
  readonly state = new Uint8Array(REGISTER_COUNT);

  has(index: number): boolean { return this.state[index] === RegisterState.Ok; }

  /** Every register answered, with a value or as absent. */
  get complete(): boolean {
    for (let i = 0; i < REGISTER_COUNT; i++) if (this.state[i] !== RegisterState.Ok && this.state[i] !== RegisterState.Absent) return false;
    return true;
  }

  get largeUnits(): boolean { return this.has(FUNCTIONS) && (this.raw[FUNCTIONS] & LARGE_UNITS_BIT) !== 0; }
  /** From register 0x2F; 0 when not read. */
  get cellCount(): number { return this.has(CELL_COUNT) ? this.raw[CELL_COUNT] : 0; }

  copyFrom(other: SettingsSet): void {
    this.raw.set(other.raw);
    this.state.set(other.state);
  }
}

/** The index of a register key, or -1. */
export function registerIndex(key: string): number {
  for (let i = 0; i < REGISTER_COUNT; i++) if (REGISTERS[i].key === key) return i;
  return -1;
}

/** The size of one raw step of a numeric register in its unit (0 for non-numeric kinds). */
function stepOf(kind: Kind, large: boolean): number {
  switch (kind) {
    case Kind.MilliVolt: return 0.001;
    case Kind.CentiVolt: return 0.01;
    case Kind.DeciKelvin: case Kind.Permille: return 0.1;
    case Kind.Current: case Kind.NegCurrent: case Kind.Capacity: return large ? 0.1 : 0.01;
    case Kind.Shunt: return large ? 0.01 : 0.1;
    case Kind.Count: return 1;
    default: return 0;
  }
}

/** A numeric register's value in its unit (NaN for dates, bits and pairs). */
export function decodeRegister(index: number, raw: number, large: boolean): number {
  const kind = REGISTERS[index].kind;
  switch (kind) {
    case Kind.DeciKelvin: return (raw - 2731) / 10;
    case Kind.Current: return (raw >= 0x8000 ? raw - 0x10000 : raw) * stepOf(kind, large);
    case Kind.NegCurrent: return Math.abs(raw >= 0x8000 ? raw - 0x10000 : raw) * stepOf(kind, large);
    case Kind.Date: case Kind.Bits: case Kind.BytePair: return NaN;
    default: return raw * stepOf(kind, large);
  }
}

/** The raw word for `value`, or a reason it cannot be written to the register. */
export function encodeRegister(index: number, value: number, large: boolean): number | string {
  const info = REGISTERS[index], step = stepOf(info.kind, large);
  if (step === 0) return `${info.key} is not a number register`;
  const steps = info.kind === Kind.DeciKelvin ? value * 10 + 2731 : Math.abs(value) / step;
  const raw = Math.round(steps);
  if (Math.abs(raw - steps) > 1e-6) return `${info.key}: ${value} ${info.unit} is not a multiple of ${step} ${info.unit}`;
  switch (info.kind) {
    case Kind.Current: if (value < 0 || raw > 0x7fff) return `${info.key}: ${value} A does not fit the register`; return raw;
    case Kind.NegCurrent: if (value < 0 || raw > 0x8000) return `${info.key}: give its size (${Math.abs(value)} A)`; return (0x10000 - raw) & 0xffff;
    default: return raw >= 0 && raw <= 0xffff ? raw : `${info.key}: ${value} ${info.unit} does not fit the register`;
  }
}

/** 0x2D's balance bits as a mode name. */
export function balanceMode(functions: number): string {
  return (functions & BALANCE_BIT) === 0 ? "off" : (functions & BALANCE_CHARGING_BIT) === 0 ? "always" : "charging";
}

function withBalanceMode(functions: number, mode: string): number {
  const bits = mode === "off" ? 0 : mode === "always" ? BALANCE_BIT : BALANCE_BIT | BALANCE_CHARGING_BIT;
  return (functions & ~(BALANCE_BIT | BALANCE_CHARGING_BIT)) | bits;
}

function twoDigits(n: number): string { return n < 10 ? "0" + n : String(n); }

/** `"values": {...}, "absent": [...]` of a set: numbers in their units, dates, named function bits. */
export function writeSettingsValues(w: JsonWriter, set: SettingsSet): void {
  const large = set.largeUnits;
  w.key("values").beginObject();
  for (let i = 0; i < REGISTER_COUNT; i++) {
    if (!set.has(i)) continue;
    const info = REGISTERS[i], raw = set.raw[i];
    w.key(info.key);
    switch (info.kind) {
      case Kind.Date: w.string((2000 + (raw >> 9)) + "-" + twoDigits((raw >> 5) & 0x0f) + "-" + twoDigits(raw & 0x1f)); break;
      case Kind.Bits: case Kind.Count: w.number(raw); break;
      case Kind.BytePair: w.beginObject().key(info.pair![0]).number(raw >> 8).key(info.pair![1]).number(raw & 0xff).endObject(); break;
      case Kind.DeciKelvin: w.scaled(raw - 2731, 1); break;
      default: w.fixed(decodeRegister(i, raw, large), decimalsOf(stepOf(info.kind, large)));
    }
    if (i === FUNCTIONS) {
      w.key("functions").beginObject();
      for (const [name, bit] of FUNCTION_BITS) w.key(name).bool((raw & (1 << bit)) !== 0);
      w.endObject();
      w.key(BALANCE_MODE_KEY).string(balanceMode(raw));
    }
  }
  w.endObject().key("absent").beginArray();
  for (let i = 0; i < REGISTER_COUNT; i++) if (set.state[i] === RegisterState.Absent) w.string(REGISTERS[i].key);
  w.endArray();
}

function decimalsOf(step: number): number { return step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3; }

/** One register to write: its index and the raw word wanted. */
export interface RegisterChange { readonly index: number; readonly raw: number }

export interface ChangePlan {
  /** Registers whose value changes, in register order. */
  readonly changes: RegisterChange[];
  /** Keys asked for that the pack already has (nothing to write). */
  readonly unchanged: string[];
  /** Why the request (or some of it) cannot be written: nothing is written when there is any. */
  readonly errors: string[];
  /** Keys of the request that are not written, with why (read-only, absent on this firmware). */
  readonly skipped: string[];
}

/**
 * What `values` ({"cellOvervoltage": 3.6, "balanceMode": "charging", ...}, natural units) would
 * change in `set`, checked against each register's physical bounds and against the registers it
 * relates to (see checkRelations). `restore`: a whole backup, whose read-only and absent keys are
 * skipped (a different cell count refuses it) rather than refused one by one.
 */
export function planChanges(set: SettingsSet, values: unknown, restore = false): ChangePlan {
  const plan: ChangePlan = { changes: [], unchanged: [], errors: [], skipped: [] };
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    plan.errors.push("expected an object of settings, e.g. {\"cellOvervoltage\":3.6}");
    return plan;
  }
  const large = set.largeUnits, proposed = new Uint16Array(set.raw);
  const cells = set.cellCount;
  for (const key of Object.keys(values)) {
    const value = (values as Record<string, unknown>)[key];
    if (key === BALANCE_MODE_KEY) { planBalanceMode(set, value, proposed, plan); continue; }
    if (key === "functions" && restore) continue; // the named bits of functionsRaw: written through balanceMode only
    const index = registerIndex(key);
    if (index < 0) { if (restore) plan.skipped.push(key + " (unknown)"); else plan.errors.push(`unknown setting '${key}'`); continue; }
    const info = REGISTERS[index];
    if (!set.has(index)) {
      const why = set.state[index] === RegisterState.Absent ? " (this firmware lacks it)" : " (not read)";
      if (restore) plan.skipped.push(key + why); else plan.errors.push(key + why.replace(/[()]/g, "").replace(" ", ": "));
      continue;
    }
    if (!info.writable) {
      // a backup carries every register; what cannot be written is left as the pack has it
      if (!restore) plan.errors.push(`${key} is read-only`);
      else if (index === CELL_COUNT && value !== set.raw[index]) plan.errors.push(`a backup of a ${String(value)}-cell pack: this pack has ${set.raw[index]} cells`);
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) { plan.errors.push(`${key}: expected a number in ${info.unit}`); continue; }
    const pack = info.kind === Kind.CentiVolt;
    const min = pack ? info.min * cells : info.min, max = pack ? info.max * cells : info.max;
    if (value < min || value > max) {
      plan.errors.push(`${key}: ${value} ${info.unit} is outside ${round(min)}..${round(max)} ${info.unit}${pack ? ` (${cells} cells)` : ""}`);
      continue;
    }
    const raw = encodeRegister(index, value, large);
    if (typeof raw === "string") { plan.errors.push(raw); continue; }
    proposed[index] = raw;
  }
  if (plan.errors.length) return plan;
  for (let i = 0; i < REGISTER_COUNT; i++) {
    if (proposed[i] !== set.raw[i]) plan.changes.push({ index: i, raw: proposed[i] });
  }
  for (const key of Object.keys(values as object)) {
    const index = key === BALANCE_MODE_KEY ? FUNCTIONS : registerIndex(key);
    const writable = key === BALANCE_MODE_KEY || (index >= 0 && REGISTERS[index].writable);
    if (writable && set.has(index) && proposed[index] === set.raw[index]) plan.unchanged.push(key);
  }
  if (plan.changes.length) checkRelations(set, proposed, plan.changes, plan.errors);
  return plan;
}

function round(n: number): number { return Math.round(n * 1000) / 1000; }

function planBalanceMode(set: SettingsSet, value: unknown, proposed: Uint16Array, plan: ChangePlan): void {
  if (!set.has(FUNCTIONS)) { plan.errors.push(BALANCE_MODE_KEY + ": function bits (0x2D) not read"); return; }
  if (typeof value !== "string" || BALANCE_MODES.indexOf(value) < 0) {
    plan.errors.push(`${BALANCE_MODE_KEY}: one of ${BALANCE_MODES.join(", ")}`);
    return;
  }
  proposed[FUNCTIONS] = withBalanceMode(set.raw[FUNCTIONS], value);
}

/** Rules between registers: [a, relation, b], checked when a change touches a or b and both are present. */
const RELATIONS: readonly (readonly [string, "<" | "<=", string, string])[] = Object.freeze([
  // a release on the safe side of its trip
  rule("cellOvervoltageRelease", "<", "cellOvervoltage", "a release must be below its trip"),
  rule("cellUndervoltage", "<", "cellUndervoltageRelease", "a release must be above its trip"),
  rule("packOvervoltageRelease", "<", "packOvervoltage", "a release must be below its trip"),
  rule("packUndervoltage", "<", "packUndervoltageRelease", "a release must be above its trip"),
  rule("chargeOvertempRelease", "<", "chargeOvertemp", "a release must be below its trip"),
  rule("chargeUndertemp", "<", "chargeUndertempRelease", "a release must be above its trip"),
  rule("dischargeOvertempRelease", "<", "dischargeOvertemp", "a release must be below its trip"),
  rule("dischargeUndertemp", "<", "dischargeUndertempRelease", "a release must be above its trip"),
  // under below over
  rule("cellUndervoltageRelease", "<", "cellOvervoltageRelease", "under-voltage must be below over-voltage"),
  rule("packUndervoltageRelease", "<", "packOvervoltageRelease", "under-voltage must be below over-voltage"),
  rule("chargeUndertempRelease", "<", "chargeOvertempRelease", "under-temperature must be below over-temperature"),
  rule("dischargeUndertempRelease", "<", "dischargeOvertempRelease", "under-temperature must be below over-temperature"),
  // the BMS's own protection trips before the front end's hardware one
  rule("cellOvervoltage", "<", "hardwareCellOvervoltage", "the over-voltage must trip before the hardware protection"),
  rule("hardwareCellUndervoltage", "<", "cellUndervoltage", "the under-voltage must trip before the hardware protection"),
  // balancing happens inside the normal range
  rule("cellUndervoltage", "<", "balanceStartVoltage", "balancing must start above under-voltage"),
  rule("balanceStartVoltage", "<", "cellOvervoltage", "balancing must start below over-voltage"),
  rule("cycleCapacity", "<=", "designCapacity", "the cycle capacity cannot exceed the design capacity"),
  // the capacity-voltage curve rises with the charge
  rule("emptyVoltage", "<", "socVoltage10", "the capacity-voltage curve must rise"),
  rule("socVoltage10", "<", "socVoltage20", "the capacity-voltage curve must rise"),
  rule("socVoltage20", "<", "socVoltage30", "the capacity-voltage curve must rise"),
  rule("socVoltage30", "<", "socVoltage40", "the capacity-voltage curve must rise"),
  rule("socVoltage40", "<", "socVoltage50", "the capacity-voltage curve must rise"),
  rule("socVoltage50", "<", "socVoltage60", "the capacity-voltage curve must rise"),
  rule("socVoltage60", "<", "socVoltage70", "the capacity-voltage curve must rise"),
  rule("socVoltage70", "<", "socVoltage80", "the capacity-voltage curve must rise"),
  rule("socVoltage80", "<", "socVoltage90", "the capacity-voltage curve must rise"),
  rule("socVoltage90", "<", "socVoltage100", "the capacity-voltage curve must rise"),
  rule("socVoltage100", "<=", "fullVoltage", "the capacity-voltage curve must rise"),
  // an older firmware's curve: 0, 20, 40, 60, 80 %, full
  rule("emptyVoltage", "<", "socVoltage20", "the capacity-voltage curve must rise"),
  rule("socVoltage20", "<", "socVoltage40", "the capacity-voltage curve must rise"),
  rule("socVoltage40", "<", "socVoltage60", "the capacity-voltage curve must rise"),
  rule("socVoltage60", "<", "socVoltage80", "the capacity-voltage curve must rise"),
  rule("socVoltage80", "<", "fullVoltage", "the capacity-voltage curve must rise"),
]);

function rule(a: string, relation: "<" | "<=", b: string, why: string): readonly [string, "<" | "<=", string, string] {
  return Object.freeze([a, relation, b, why] as const);
}

/** Pack limits and the cell limits they must match for the pack's cell count. */
const PACK_CELL: readonly (readonly [string, string])[] = Object.freeze([
  Object.freeze(["packOvervoltage", "cellOvervoltage"] as const), Object.freeze(["packOvervoltageRelease", "cellOvervoltageRelease"] as const),
  Object.freeze(["packUndervoltage", "cellUndervoltage"] as const), Object.freeze(["packUndervoltageRelease", "cellUndervoltageRelease"] as const),
]);
/** How far a pack limit may be from the cell limit times the cell count, per cell (V). */
export const PACK_CELL_TOLERANCE_V = 0.25;

function checkRelations(set: SettingsSet, proposed: Uint16Array, changes: RegisterChange[], errors: string[]): void {
  const large = set.largeUnits;
  const changed = (index: number) => changes.some((c) => c.index === index);
  const value = (index: number) => decodeRegister(index, proposed[index], large);
  const show = (index: number) => REGISTERS[index].key + " " + round(value(index)) + " " + REGISTERS[index].unit;
  for (const [a, relation, b, why] of RELATIONS) {
    const ia = registerIndex(a), ib = registerIndex(b);
    if (!set.has(ia) || !set.has(ib) || !(changed(ia) || changed(ib))) continue;
    const ok = relation === "<" ? proposed[ia] !== proposed[ib] && value(ia) < value(ib) : value(ia) <= value(ib);
    if (!ok) errors.push(`${why}: ${show(ia)} ${relation === "<" ? "must be below" : "must not exceed"} ${show(ib)}`);
  }
  const cells = set.cellCount;
  for (const [packKey, cellKey] of PACK_CELL) {
    const ip = registerIndex(packKey), ic = registerIndex(cellKey);
    if (!cells || !set.has(ip) || !set.has(ic) || !(changed(ip) || changed(ic))) continue;
    const expected = value(ic) * cells;
    if (Math.abs(value(ip) - expected) > PACK_CELL_TOLERANCE_V * cells + 1e-9) {
      errors.push(`pack and cell limits disagree for ${cells} cells: ${show(ip)} should be within ${round(PACK_CELL_TOLERANCE_V * cells)} V of ${cells} x ${show(ic)} = ${round(expected)} V`);
    }
  }
}

/** The key and value of a change, in words ("cellOvervoltage 3.6 V"). */
export function describeChange(set: SettingsSet, change: RegisterChange): string {
  const info = REGISTERS[change.index];
  if (change.index === FUNCTIONS) return BALANCE_MODE_KEY + " " + balanceMode(change.raw);
  return info.key + " " + round(decodeRegister(change.index, change.raw, set.largeUnits)) + " " + info.unit;
}

/** The changed key's value before and after, in its unit (balanceMode: the mode names). */
export function changeValues(set: SettingsSet, change: RegisterChange): { key: string; from: number | string; to: number | string } {
  if (change.index === FUNCTIONS) return { key: BALANCE_MODE_KEY, from: balanceMode(set.raw[FUNCTIONS]), to: balanceMode(change.raw) };
  const large = set.largeUnits;
  return { key: REGISTERS[change.index].key, from: round(decodeRegister(change.index, set.raw[change.index], large)), to: round(decodeRegister(change.index, change.raw, large)) };
}

/** DD A5 <reg> 00 chk 77 */
export function registerReadRequest(reg: number): ArrayBuffer { return request(READ, reg, -1); }
/** DD 5A <reg> 02 hi lo chk 77 */
export function registerWriteRequest(reg: number, raw: number): ArrayBuffer { return request(WRITE, reg, raw); }
/** Leave factory mode and save to EEPROM (0x2828; this also clears the 0xAA error counters). */
export function exitAndSaveRequest(): ArrayBuffer { return request(WRITE, 0x01, 0x2828); }

function request(mode: number, reg: number, raw: number): ArrayBuffer {
  const len = raw < 0 ? 0 : 2;
  const frame = new Uint8Array(len + FRAME_OVERHEAD);
  frame[0] = FRAME_START; frame[1] = mode; frame[2] = reg; frame[3] = len;
  if (len) { frame[4] = raw >> 8; frame[5] = raw & 0xff; }
  const sum = checksum(frame, 2, 4 + len);
  frame[4 + len] = sum >> 8; frame[5 + len] = sum & 0xff; frame[6 + len] = FRAME_END;
  return frame.buffer;
}

/** The word of a register reply (status 0, two data bytes), or -1. */
export function replyWord(frame: Uint8Array): number {
  return frame[2] === 0 && frame[3] === 2 ? (frame[4] << 8) | frame[5] : -1;
}
