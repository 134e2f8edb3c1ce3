// Readings as JSON, shared by the MQTT bridge and the decode CLI. The *Members functions return a
// reading's members as one text (the bridge's state joins them with its own keys: "age", "timestamp");
// the write* functions add them to an object the caller has opened in a JsonWriter; the encode*
// functions return a complete object. Units: V, A, W, Ah, °C, % (keys documented in the README).
import { ALARM_NAMES, type BasicInfo, PROTECTION_NAMES } from "./basic-info";
import type { CellVoltages } from "./cells";
import { ERROR_COUNTER_NAMES, type ErrorCounters } from "./error-counters";
import type { HardwareVersion } from "./hardware";
import { JsonWriter, decimalArrayText, fixedText, joinText, toFixed } from "./json-writer";

export { JsonWriter } from "./json-writer";

function twoDigits(value: number): string {
  return value < 10 ? "0" + value : String(value);
}

// Parts of a reading that change rarely are most of a state payload's work: the writer keeps their
// text for the last few values of what they are made of (JsonWriter.keep, shared by every pack, so
// packs alike hold one copy) and writes it again as members of the open object. The tables below
// only name the kinds of part (Map keys, never written).
const IDENTITY = Object.freeze({ part: "productionDate, softwareVersion" });
const MOS = Object.freeze({ part: "mos, fetRaw" });
const BALANCING = Object.freeze({ part: "balancing" });

/**
 * One pack's rarely changing parts: the raw value each text was last written for, and the text (the
 * writer's kept string, not a copy). basicInfoMembers compares the raw value and takes the text as it
 * is, without a call or the writer's lookup (together about 60 XS units a part, per poll cycle).
 */
export class ReadingTexts {
  identityKey = -1;
  identity = "";
  fetKey = -1;
  mos = "";
  balanceKey = -1;
  balancing = "";
  protectionKey = -1;
  protection = "";
  alarmKey = -1;
  alarm = "";
}

/** `"<key>":{"<name>":bool, ...},"<key>Raw":bits` (13 or 16 names). */
function flagMembers(w: JsonWriter, key: string, names: readonly string[], bits: number): string {
  const kept = w.cached(names, bits);
  if (kept !== undefined) return kept;
  const f = w.fragment().key(key).beginObject();
  for (let bit = 0; bit < names.length; bit++) f.key(names[bit]).bool(((bits >> bit) & 1) === 1);
  f.endObject().key(key === "protection" ? "protectionRaw" : "alarmRaw").number(bits);
  return w.keep(names, bits, f.text);
}

function protectionMembers(w: JsonWriter, texts: ReadingTexts, bits: number): string {
  texts.protectionKey = bits;
  return texts.protection = flagMembers(w, "protection", PROTECTION_NAMES, bits);
}

function alarmMembers(w: JsonWriter, texts: ReadingTexts, bits: number): string {
  texts.alarmKey = bits;
  return texts.alarm = flagMembers(w, "alarm", ALARM_NAMES, bits);
}

/** `"productionDate":"2021-03-04","softwareVersion":"1.0"`. */
function identityMembers(w: JsonWriter, info: BasicInfo, texts: ReadingTexts, identity: number): string {
  texts.identityKey = identity;
  const kept = w.cached(IDENTITY, identity);
  if (kept !== undefined) return texts.identity = kept;
  const f = w.fragment().key("productionDate").string(
    `${info.productionYear}-${twoDigits(info.productionMonth)}-${twoDigits(info.productionDay)}`);
  f.key("softwareVersion").string(`${info.softwareMajor}.${info.softwareMinor}`);
  return texts.identity = w.keep(IDENTITY, identity, f.text);
}

/** `"mos":{"charge":true,"discharge":true},"fetRaw":3`. */
function mosMembers(w: JsonWriter, info: BasicInfo, texts: ReadingTexts): string {
  const fet = texts.fetKey = info.fetBits;
  const kept = w.cached(MOS, fet);
  if (kept !== undefined) return texts.mos = kept;
  const f = w.fragment().key("mos").beginObject().key("charge").bool(info.chargeOn).key("discharge").bool(info.dischargeOn).endObject();
  return texts.mos = w.keep(MOS, fet, f.key("fetRaw").number(fet).text);
}

/** `"balancing":[1,3]` (1-based cells). */
function balancingMembers(w: JsonWriter, texts: ReadingTexts, balance: number): string {
  texts.balanceKey = balance;
  const kept = w.cached(BALANCING, balance);
  if (kept !== undefined) return texts.balancing = kept;
  const f = w.fragment().key("balancing").beginArray();
  for (let bits = balance, cell = 1; bits !== 0; bits >>>= 1, cell++) if (bits & 1) f.number(cell);
  return texts.balancing = w.keep(BALANCING, balance, f.endArray().text);
}

// The reading is written every poll cycle: its members are one text made by joinText calls (one
// string made by the engine from all the pieces), not a key() and a value call each, and its decoded
// fields (integers: 10 mV, 10 mA, mV, mA) are printed by toFixed.call(m / 10^k, k), exactly m's decimal.
// `texts`: the pack's (one per pack, kept between its readings); a new one writes every part afresh.
// `w` keeps the rarely changing parts' texts (shared by the packs); its payload is not touched.

/** The 0x03 reading's members, `"voltage":...` to the last one (no braces, no leading comma). */
export function basicInfoMembers(w: JsonWriter, info: BasicInfo, texts: ReadingTexts = new ReadingTexts()): string {
  const scale = info.unitScale;
  const identity = info.productionDateRaw * 256 + info.softwareVersionRaw;
  const balance = info.balanceBits >>> 0, protection = info.protectionBits;
  return joinText.call("\"voltage\":", toFixed.call(info.voltage10mV / 100, 2),
    ",\"current\":", toFixed.call(info.currentRaw * scale / 100, 2),
    ",\"power\":", fixedText(info.voltage10mV * info.currentRaw * scale / 10000, 2), // info.watts, its getters inline
    ",\"soc\":", info.soc,
    ",\"remainingCapacity\":", toFixed.call(info.remainingRaw * scale / 100, 2),
    ",\"nominalCapacity\":", toFixed.call(info.nominalRaw * scale / 100, 2),
    ",\"cycles\":", info.cycles,
    ",", texts.identityKey === identity ? texts.identity : identityMembers(w, info, texts, identity),
    ",\"cellCount\":", info.cellCount,
    ",\"temperatures\":", decimalArrayText(info.temperatures, info.temperatureCount, 1),
    ",", texts.fetKey === info.fetBits ? texts.mos : mosMembers(w, info, texts),
    ",", texts.balanceKey === balance ? texts.balancing : balancingMembers(w, texts, balance),
    ",", texts.protectionKey === protection ? texts.protection : protectionMembers(w, texts, protection),
    info.hasExtended ? extendedMembers(w, info, texts, scale) : "");
}

/** `,"humidity":...` to `"balanceCurrent"`: the V11 extended block's members, with a leading comma. */
function extendedMembers(w: JsonWriter, info: BasicInfo, texts: ReadingTexts, scale: number): string {
  const alarm = info.alarmBits;
  return joinText.call(",\"humidity\":", info.humidity,
    ",", texts.alarmKey === alarm ? texts.alarm : alarmMembers(w, texts, alarm),
    ",\"fullChargeCapacity\":", toFixed.call(info.fullChargeRaw * scale / 100, 2),
    ",\"extendedRemainingCapacity\":", toFixed.call(info.extendedRemainingRaw * scale / 100, 2),
    ",\"balanceCurrent\":", toFixed.call(info.balanceCurrentMa / 1000, 3));
}

export function writeBasicInfo(w: JsonWriter, info: BasicInfo, texts?: ReadingTexts): void {
  w.members(basicInfoMembers(w, info, texts));
}

/** `"cells":[...]`, then with cells their lowest, highest, spread, average and where the extremes are. */
export function cellsMembers(cells: CellVoltages): string {
  const count = cells.count, millivolts = cells.millivolts;
  if (count === 0) return "\"cells\":[]";
  // lowest, highest and sum: kept by decodeCells (CellVoltages.summarize)
  const min = cells.minIndex, max = cells.maxIndex, minMv = millivolts[min], maxMv = millivolts[max], total = cells.totalMillivolts;
  return joinText.call("\"cells\":", decimalArrayText(millivolts, count, 3),
    ",\"cellMin\":", toFixed.call(minMv / 1000, 3),
    ",\"cellMax\":", toFixed.call(maxMv / 1000, 3),
    ",\"cellDelta\":", toFixed.call((maxMv - minMv) / 1000, 3),
    // rounded to 0.1 mV as an integer first, so x.xxx5 averages print exactly
    ",\"cellAverage\":", toFixed.call(Math.round(total * 10 / count) / 10000, 4),
    ",\"cellMinIndex\":", min + 1,
    ",\"cellMaxIndex\":", max + 1);
}

export function writeCells(w: JsonWriter, cells: CellVoltages): void {
  w.members(cellsMembers(cells));
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
