// Readings as JSON, shared by the MQTT bridge and the decode CLI. The write* functions add fields to an
// object the caller has opened, so the bridge can add its own keys ("timestamp", "age"); the encode*
// functions return a complete object. Units: V, A, W, Ah, °C, % (keys documented in the README).
import { ALARM_NAMES, type BasicInfo, PROTECTION_NAMES } from "./basic-info";
import type { CellVoltages } from "./cells";
import { ERROR_COUNTER_NAMES, type ErrorCounters } from "./error-counters";
import type { HardwareVersion } from "./hardware";
import { JsonWriter, fixedText, joinText, toFixed } from "./json-writer";

export { JsonWriter } from "./json-writer";

function twoDigits(value: number): string {
  return value < 10 ? "0" + value : String(value);
}

// Parts of a reading that change rarely are most of a state payload's work: the writer keeps their
// text for the last few values of what they are made of (JsonWriter.keep) and writes it again as
// members of the open object. The tables below only name the kinds of part (Map keys, never written).
const IDENTITY = Object.freeze({ part: "productionDate, softwareVersion" });
const MOS = Object.freeze({ part: "mos, fetRaw" });
const BALANCING = Object.freeze({ part: "balancing" });

/** `"<key>":{"<name>":bool, ...},"<key>Raw":bits` (13 or 16 names). */
function flagMembers(w: JsonWriter, key: string, names: readonly string[], bits: number): string {
  const kept = w.cached(names, bits);
  if (kept !== undefined) return kept;
  const f = w.fragment().key(key).beginObject();
  for (let bit = 0; bit < names.length; bit++) f.key(names[bit]).bool(((bits >> bit) & 1) === 1);
  f.endObject().key(key === "protection" ? "protectionRaw" : "alarmRaw").number(bits);
  return w.keep(names, bits, f.text);
}

/** `"productionDate":"2021-03-04","softwareVersion":"1.0"`. */
function identityMembers(w: JsonWriter, info: BasicInfo): string {
  const identity = info.productionDateRaw * 256 + info.softwareVersionRaw;
  const kept = w.cached(IDENTITY, identity);
  if (kept !== undefined) return kept;
  const f = w.fragment().key("productionDate").string(
    `${info.productionYear}-${twoDigits(info.productionMonth)}-${twoDigits(info.productionDay)}`);
  f.key("softwareVersion").string(`${info.softwareMajor}.${info.softwareMinor}`);
  return w.keep(IDENTITY, identity, f.text);
}

/** `"mos":{"charge":true,"discharge":true},"fetRaw":3`. */
function mosMembers(w: JsonWriter, info: BasicInfo): string {
  const kept = w.cached(MOS, info.fetBits);
  if (kept !== undefined) return kept;
  const f = w.fragment().key("mos").beginObject().key("charge").bool(info.chargeOn).key("discharge").bool(info.dischargeOn).endObject();
  return w.keep(MOS, info.fetBits, f.key("fetRaw").number(info.fetBits).text);
}

/** `"balancing":[1,3]` (1-based cells). */
function balancingMembers(w: JsonWriter, info: BasicInfo): string {
  const balance = info.balanceBits >>> 0;
  const kept = w.cached(BALANCING, balance);
  if (kept !== undefined) return kept;
  const f = w.fragment().key("balancing").beginArray();
  for (let bits = balance, cell = 1; bits !== 0; bits >>>= 1, cell++) if (bits & 1) f.number(cell);
  return w.keep(BALANCING, balance, f.endArray().text);
}

// The reading is written every poll cycle: its members go in a few joinText calls (one string made
// by the engine from all the pieces), not a key() and a value call each, and its decoded fields
// (integers: 10 mV, 10 mA, mV, mA) are printed by toFixed.call(m / 10^k, k), exactly m's decimal.
export function writeBasicInfo(w: JsonWriter, info: BasicInfo): void {
  const scale = info.unitScale;
  w.members(joinText.call("\"voltage\":", toFixed.call(info.voltage10mV / 100, 2),
    ",\"current\":", toFixed.call(info.currentRaw * scale / 100, 2),
    ",\"power\":", fixedText(info.watts, 2),
    ",\"soc\":", info.soc,
    ",\"remainingCapacity\":", toFixed.call(info.remainingRaw * scale / 100, 2),
    ",\"nominalCapacity\":", toFixed.call(info.nominalRaw * scale / 100, 2),
    ",\"cycles\":", info.cycles,
    ",", identityMembers(w, info),
    ",\"cellCount\":", info.cellCount));
  w.key("temperatures").decimalArray(info.temperatures, info.temperatureCount, 1);
  w.members(joinText.call(mosMembers(w, info), ",", balancingMembers(w, info), ",", flagMembers(w, "protection", PROTECTION_NAMES, info.protectionBits)));
  if (!info.hasExtended) return;
  w.members(joinText.call("\"humidity\":", info.humidity,
    ",", flagMembers(w, "alarm", ALARM_NAMES, info.alarmBits),
    ",\"fullChargeCapacity\":", toFixed.call(info.fullChargeRaw * scale / 100, 2),
    ",\"extendedRemainingCapacity\":", toFixed.call(info.extendedRemainingRaw * scale / 100, 2),
    ",\"balanceCurrent\":", toFixed.call(info.balanceCurrentMa / 1000, 3)));
}

export function writeCells(w: JsonWriter, cells: CellVoltages): void {
  const count = cells.count, millivolts = cells.millivolts;
  w.key("cells").decimalArray(millivolts, count, 3);
  if (count === 0) return;
  // lowest, highest and sum: kept by decodeCells (CellVoltages.summarize)
  const min = cells.minIndex, max = cells.maxIndex, minMv = millivolts[min], maxMv = millivolts[max], total = cells.totalMillivolts;
  w.members(joinText.call("\"cellMin\":", toFixed.call(minMv / 1000, 3),
    ",\"cellMax\":", toFixed.call(maxMv / 1000, 3),
    ",\"cellDelta\":", toFixed.call((maxMv - minMv) / 1000, 3),
    // rounded to 0.1 mV as an integer first, so x.xxx5 averages print exactly
    ",\"cellAverage\":", toFixed.call(Math.round(total * 10 / count) / 10000, 4),
    ",\"cellMinIndex\":", min + 1,
    ",\"cellMaxIndex\":", max + 1));
}

export function writeHardware(w: JsonWriter, hardware: HardwareVersion): void {
  w.key("hardwareVersion").string(hardware.text());
}

/** Named counters; any beyond the known names as "counter13", "counter14", ... (1-based). */
export function writeErrorCounters(w: JsonWriter, counters: ErrorCounters): void {
  const count = counters.count, v = counters.values;
  let i = 0;
  // every firmware sends at least the first 11: those in one joinText call (a key() and a number()
  // per counter cost XS about 170 units each; the diag is written every minute for every pack)
  if (count >= 11) {
    w.members(joinText.call("\"shortCircuit\":", v[0], ",\"chargeOvercurrent\":", v[1], ",\"dischargeOvercurrent\":", v[2],
      ",\"cellOvervoltage\":", v[3], ",\"cellUndervoltage\":", v[4], ",\"chargeOvertemperature\":", v[5],
      ",\"chargeUndertemperature\":", v[6], ",\"dischargeOvertemperature\":", v[7], ",\"dischargeUndertemperature\":", v[8],
      ",\"packOvervoltage\":", v[9], ",\"packUndervoltage\":", v[10]));
    i = 11;
  }
  for (; i < count; i++) w.key(i < ERROR_COUNTER_NAMES.length ? ERROR_COUNTER_NAMES[i] : `counter${i + 1}`).number(v[i]);
}

function encode<T>(write: (w: JsonWriter, reading: T) => void, reading: T): string {
  const w = new JsonWriter().beginObject();
  write(w, reading);
  return w.endObject().text;
}

export function encodeBasicInfo(info: BasicInfo): string { return encode(writeBasicInfo, info); }
export function encodeCells(cells: CellVoltages): string { return encode(writeCells, cells); }
export function encodeHardware(hardware: HardwareVersion): string { return encode(writeHardware, hardware); }
export function encodeErrorCounters(counters: ErrorCounters): string { return encode(writeErrorCounters, counters); }
