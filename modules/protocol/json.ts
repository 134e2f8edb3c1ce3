// Readings as JSON, shared by the MQTT bridge and the decode CLI. The write* functions add fields to an
// object the caller has opened, so the bridge can add its own keys ("timestamp", "age"); the encode*
// functions return a complete object. Units: V, A, W, Ah, °C, % (keys documented in the README).
import { ALARM_NAMES, type BasicInfo, PROTECTION_NAMES } from "./basic-info";
import type { CellVoltages } from "./cells";
import { ERROR_COUNTER_NAMES, type ErrorCounters } from "./error-counters";
import type { HardwareVersion } from "./hardware";
import { JsonWriter } from "./json-writer";

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
function writeFlags(w: JsonWriter, key: string, names: readonly string[], bits: number): void {
  if (w.writeCached(names, bits)) return;
  const f = w.fragment().key(key).beginObject();
  for (let bit = 0; bit < names.length; bit++) f.key(names[bit]).bool(((bits >> bit) & 1) === 1);
  f.endObject().key(key === "protection" ? "protectionRaw" : "alarmRaw").number(bits);
  w.raw(w.keep(names, bits, f.text));
}

export function writeBasicInfo(w: JsonWriter, info: BasicInfo): void {
  w.key("voltage").scaled(info.voltage10mV, 2);
  w.key("current").scaled(info.currentRaw * info.unitScale, 2);
  w.key("power").fixed(info.watts, 2);
  w.key("soc").number(info.soc);
  w.key("remainingCapacity").scaled(info.remainingRaw * info.unitScale, 2);
  w.key("nominalCapacity").scaled(info.nominalRaw * info.unitScale, 2);
  w.key("cycles").number(info.cycles);
  const identity = info.productionDateRaw * 256 + info.softwareVersionRaw;
  if (!w.writeCached(IDENTITY, identity)) {
    const f = w.fragment().key("productionDate").string(
      `${info.productionYear}-${twoDigits(info.productionMonth)}-${twoDigits(info.productionDay)}`);
    f.key("softwareVersion").string(`${info.softwareMajor}.${info.softwareMinor}`);
    w.raw(w.keep(IDENTITY, identity, f.text));
  }
  w.key("cellCount").number(info.cellCount);
  w.key("temperatures").beginArray();
  for (let i = 0; i < info.temperatureCount; i++) w.scaled(info.temperatures[i], 1);
  w.endArray();
  if (!w.writeCached(MOS, info.fetBits)) {
    const f = w.fragment().key("mos").beginObject().key("charge").bool(info.chargeOn).key("discharge").bool(info.dischargeOn).endObject();
    w.raw(w.keep(MOS, info.fetBits, f.key("fetRaw").number(info.fetBits).text));
  }
  const balance = info.balanceBits >>> 0;
  if (!w.writeCached(BALANCING, balance)) {
    const f = w.fragment().key("balancing").beginArray();
    for (let bits = balance, cell = 1; bits !== 0; bits >>>= 1, cell++) if (bits & 1) f.number(cell);
    w.raw(w.keep(BALANCING, balance, f.endArray().text));
  }
  writeFlags(w, "protection", PROTECTION_NAMES, info.protectionBits);
  if (!info.hasExtended) return;
  w.key("humidity").number(info.humidity);
  writeFlags(w, "alarm", ALARM_NAMES, info.alarmBits);
  w.key("fullChargeCapacity").scaled(info.fullChargeRaw * info.unitScale, 2);
  w.key("extendedRemainingCapacity").scaled(info.extendedRemainingRaw * info.unitScale, 2);
  w.key("balanceCurrent").thousandths(info.balanceCurrentMa);
}

export function writeCells(w: JsonWriter, cells: CellVoltages): void {
  w.key("cells").beginArray();
  for (let i = 0; i < cells.count; i++) w.thousandths(cells.millivolts[i]);
  w.endArray();
  if (cells.count === 0) return;
  const min = cells.minIndex();
  const max = cells.maxIndex();
  const minMv = cells.millivolts[min];
  const maxMv = cells.millivolts[max];
  w.key("cellMin").thousandths(minMv);
  w.key("cellMax").thousandths(maxMv);
  w.key("cellDelta").thousandths(maxMv - minMv);
  // Rounded to 0.1 mV as an integer first, so x.xxx5 averages print exactly.
  w.key("cellAverage").fixed(Math.round(cells.totalMillivolts() * 10 / cells.count) / 10000, 4);
  w.key("cellMinIndex").number(min + 1);
  w.key("cellMaxIndex").number(max + 1);
}

export function writeHardware(w: JsonWriter, hardware: HardwareVersion): void {
  w.key("hardwareVersion").string(hardware.text());
}

/** Named counters; any beyond the known names as "counter13", "counter14", ... (1-based). */
export function writeErrorCounters(w: JsonWriter, counters: ErrorCounters): void {
  for (let i = 0; i < counters.count; i++) {
    w.key(i < ERROR_COUNTER_NAMES.length ? ERROR_COUNTER_NAMES[i] : `counter${i + 1}`).number(counters.values[i]);
  }
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
