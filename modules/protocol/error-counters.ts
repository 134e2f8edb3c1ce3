// 0xAA error counters: big-endian U16 event counts (22 bytes; V11 firmware adds a 12th, system restarts).
import { CMD_ERROR_COUNTERS, PAYLOAD_OFFSET, STATUS_OK } from "./frame";

/** Counter n = name n (V11 §0xAA). Counters beyond these have no known meaning. */
export const ERROR_COUNTER_NAMES = Object.freeze([
  "shortCircuit", "chargeOvercurrent", "dischargeOvercurrent", "cellOvervoltage", "cellUndervoltage",
  "chargeOvertemperature", "chargeUndertemperature", "dischargeOvertemperature", "dischargeUndertemperature",
  "packOvervoltage", "packUndervoltage", "restarts",
] as const);

/** Room for a few counters newer firmware may add. */
export const MAX_ERROR_COUNTERS = 16;

export class ErrorCounters {
  /** 0 until read. */
  count = 0;
  /** The first `count` are valid. */
  readonly values = new Uint16Array(MAX_ERROR_COUNTERS);
}

/** Decode a 0xAA reply into `out`. False (and `out` untouched) unless an OK 0xAA reply of whole U16s. */
export function decodeErrorCounters(frame: Uint8Array, out: ErrorCounters): boolean {
  const length = frame[3];
  if (frame[1] !== CMD_ERROR_COUNTERS || frame[2] !== STATUS_OK || (length & 1) !== 0 ||
    length > 2 * MAX_ERROR_COUNTERS) return false;
  const count = length >> 1;
  const values = out.values;
  for (let i = 0; i < count; i++) values[i] = (frame[PAYLOAD_OFFSET + 2 * i] << 8) | frame[PAYLOAD_OFFSET + 1 + 2 * i];
  out.count = count;
  return true;
}
