// Protection, alarm and balancing state as words a person reads ("Cell 3 overvoltage (3.652 V)"),
// for the state payload's *Text keys and Home Assistant's text sensors.
import type { BasicInfo } from "./basic-info";
import type { CellVoltages } from "./cells";
import { type JsonWriter, joinText } from "./json-writer";

/** Human names of PROTECTION_NAMES, in the same (bit) order. */
export const PROTECTION_LABELS: readonly string[] = Object.freeze([
  "Cell overvoltage", "Cell undervoltage", "Pack overvoltage", "Pack undervoltage",
  "Charge overtemperature", "Charge undertemperature", "Discharge overtemperature", "Discharge undertemperature",
  "Charge overcurrent", "Discharge overcurrent", "Short circuit", "Front-end IC error",
  "MOS software lock", "Charge MOS fault", "Discharge MOS fault",
]);

/** Human names of ALARM_NAMES (V11 extended field), in bit order. */
export const ALARM_LABELS: readonly string[] = Object.freeze([
  "Cell high voltage", "Cell low voltage", "Pack high voltage", "Pack low voltage",
  "Charge high temperature", "Charge low temperature", "Discharge high temperature", "Discharge low temperature",
  "Charge high current", "Discharge high current", "Cell voltage difference", "Low capacity",
]);

/** Home Assistant keeps at most 255 characters of a state. */
export const MAX_STATE_TEXT = 255;
/** What the texts say when nothing is set. */
export const NOTHING = "none";

const CELL_OVERVOLTAGE = 0, CELL_UNDERVOLTAGE = 1;
/** Bit 12 (MOS software lock) is set whenever a FET was switched off by command: named, but not a fault. */
const SOFTWARE_LOCK = 12;

/** `"none"` as JSON: written as it is, so a pack with nothing set costs no string per reading. */
const NOTHING_JSON = "\"none\"";

/**
 * `"protectionText":"..."` (and `"alarmText"` for V11 packs), `"balancingText":"..."`, as one text
 * (no leading comma). Nothing is kept between readings (a cache that fills as new flag patterns
 * appear would grow the heap hours into a run): with no flag set each costs a constant; a set flag
 * builds its text anew, garbage that the next collection sweeps.
 */
export function problemTextMembers(info: BasicInfo, cells: CellVoltages): string {
  const protection = info.protectionBits & 0xffff;
  const protectionJson = protection === 0 ? NOTHING_JSON : JSON.stringify(protectionText(protection, cells));
  const balance = info.balanceBits >>> 0;
  const balancingJson = balance === 0 ? NOTHING_JSON : JSON.stringify(balancingText(balance));
  if (!info.hasExtended) return joinText.call("\"protectionText\":", protectionJson, ",\"balancingText\":", balancingJson);
  const alarm = info.alarmBits & 0xffff;
  const alarmJson = alarm === 0 ? NOTHING_JSON : JSON.stringify(flagText(alarm, ALARM_LABELS));
  return joinText.call("\"protectionText\":", protectionJson, ",\"alarmText\":", alarmJson, ",\"balancingText\":", balancingJson);
}

/** problemTextMembers into the open object. */
export function writeProblemTexts(w: JsonWriter, info: BasicInfo, cells: CellVoltages): void {
  w.members(problemTextMembers(info, cells));
}

/**
 * "none", or the set protections in bit order, comma separated; with the cell voltages, a cell
 * over/undervoltage names the highest/lowest cell ("Cell 3 overvoltage (3.652 V)"): the BMS reports
 * only that some cell tripped, and the extreme cell of the same reading is the one that did.
 */
export function protectionText(bits: number, cells?: CellVoltages): string {
  if ((bits & 0xffff) === 0) return NOTHING;
  let text = "";
  for (let bit = 0; bit < PROTECTION_LABELS.length; bit++) {
    if (((bits >> bit) & 1) === 0) continue;
    let label = PROTECTION_LABELS[bit];
    if (cells && cells.count > 0 && (bit === CELL_OVERVOLTAGE || bit === CELL_UNDERVOLTAGE)) {
      const index = bit === CELL_OVERVOLTAGE ? cells.maxIndex : cells.minIndex;
      label = "Cell " + (index + 1) + (bit === CELL_OVERVOLTAGE ? " overvoltage (" : " undervoltage (") + volts(cells.millivolts[index]) + " V)";
    }
    if (bit === SOFTWARE_LOCK) label += " (a FET switched off by command)";
    text = append(text, label);
  }
  return unknownBits(text, bits, PROTECTION_LABELS.length);
}

/** "none", or the set flags' labels in bit order; bits without a name as "bit 13". */
export function flagText(bits: number, labels: readonly string[]): string {
  if ((bits & 0xffff) === 0) return NOTHING;
  let text = "";
  for (let bit = 0; bit < labels.length; bit++) if ((bits >> bit) & 1) text = append(text, labels[bit]);
  return unknownBits(text, bits, labels.length);
}

/** "none", or "cells 3, 5" (1-based, spec order). */
export function balancingText(bits: number): string {
  bits >>>= 0;
  if (bits === 0) return NOTHING;
  let list = "";
  for (let cell = 1; bits !== 0; bits >>>= 1, cell++) if (bits & 1) list += (list ? ", " : "") + cell;
  return cap((list.indexOf(",") < 0 ? "cell " : "cells ") + list);
}

function unknownBits(text: string, bits: number, named: number): string {
  for (let bit = named; bit < 16; bit++) if ((bits >> bit) & 1) text = append(text, "bit " + bit);
  return cap(text);
}

function append(text: string, label: string): string {
  return text ? text + ", " + label : label;
}

function cap(text: string): string {
  return text.length <= MAX_STATE_TEXT ? text : text.slice(0, MAX_STATE_TEXT - 1) + "…";
}

function volts(millivolts: number): string {
  const whole = Math.floor(millivolts / 1000), fraction = millivolts - whole * 1000;
  return whole + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
}
