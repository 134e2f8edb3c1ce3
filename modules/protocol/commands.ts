// Requests to the BMS, built once: the BLE write API sends a whole ArrayBuffer, so each command is an
// exactly-sized buffer. Shared: never write into them.
import { CMD_BASIC_INFO, CMD_CELLS, CMD_CONTROL, CMD_ERROR_COUNTERS, CMD_FACTORY_ENTER, CMD_FACTORY_EXIT, CMD_HARDWARE, CMD_MOS,
  CMD_MOS_FB, FRAME_END, FRAME_OVERHEAD, FRAME_START, MAX_PAYLOAD, READ, WRITE, checksum } from "./frame";

export { parseHex, toHex } from "./hex";

/** DD | A5/5A | reg | len | data | checksum | 77 in an exactly-sized buffer. */
export function buildRequest(write: boolean, reg: number, data: ArrayLike<number>): ArrayBuffer {
  if (!(reg >= 0 && reg <= 0xff)) throw new RangeError(`register ${reg} is not a byte`);
  if (data.length > MAX_PAYLOAD) throw new RangeError(`${data.length} data bytes, at most ${MAX_PAYLOAD}`);
  const frame = new Uint8Array(data.length + FRAME_OVERHEAD);
  frame[0] = FRAME_START;
  frame[1] = write ? WRITE : READ;
  frame[2] = reg;
  frame[3] = data.length;
  for (let i = 0; i < data.length; i++) {
    if (!(data[i] >= 0 && data[i] <= 0xff)) throw new RangeError(`data byte ${data[i]} is not a byte`);
    frame[4 + i] = data[i];
  }
  const sum = checksum(frame, 2, 4 + data.length);
  frame[4 + data.length] = sum >> 8;
  frame[5 + data.length] = sum & 0xff;
  frame[6 + data.length] = FRAME_END;
  return frame.buffer;
}

export const READ_BASIC_INFO = buildRequest(false, CMD_BASIC_INFO, []);
export const READ_CELLS = buildRequest(false, CMD_CELLS, []);
export const READ_HARDWARE = buildRequest(false, CMD_HARDWARE, []);
export const READ_ERROR_COUNTERS = buildRequest(false, CMD_ERROR_COUNTERS, []);
/** Enter factory mode: write 0x5678 to register 0x00. */
export const ENTER_FACTORY = buildRequest(true, CMD_FACTORY_ENTER, [0x56, 0x78]);
/** Leave factory mode without saving (0x2828 would save to EEPROM and clear the 0xAA counters). */
export const EXIT_FACTORY = buildRequest(true, CMD_FACTORY_EXIT, [0x00, 0x00]);

// 0xE1 data byte: bit 0 = charge FET off, bit 1 = discharge FET off (the opposite sense of the 0x03 FET bits).
const MOS_REQUESTS = Object.freeze([0, 1, 2, 3].map((offBits) => buildRequest(true, CMD_MOS, [0x00, offBits])));

/** 0xE1 request for the wanted FET states. */
export function mosRequest(chargeOn: boolean, dischargeOn: boolean): ArrayBuffer {
  return MOS_REQUESTS[(chargeOn ? 0 : 1) | (dischargeOn ? 0 : 2)];
}

/** 0xFB targets (V11). */
export const FB_DISCHARGE = 0x00;
export const FB_CHARGE = 0x01;
export const FB_PRE_DISCHARGE = 0x03;
export const FB_BOTH = 0x0a;
const FB_TARGETS = Object.freeze([FB_DISCHARGE, FB_CHARGE, FB_PRE_DISCHARGE, FB_BOTH]);
// Data: target, then 0x00 = on (unlock) / 0x01 = software off. Two per target: on, off.
const FB_REQUESTS = Object.freeze(FB_TARGETS.flatMap((fet) => [0x00, 0x01].map((off) => buildRequest(true, CMD_MOS_FB, [fet, off]))));

/** 0xFB request switching one FET (FB_DISCHARGE, FB_CHARGE, FB_PRE_DISCHARGE or FB_BOTH) on or off. */
export function mosFbRequest(fet: number, on: boolean): ArrayBuffer {
  const target = FB_TARGETS.indexOf(fet);
  if (target < 0) throw new RangeError(`0xFB has no FET target 0x${fet.toString(16)}`);
  return FB_REQUESTS[target * 2 + (on ? 0 : 1)];
}

/** 0x0A control function `code` (V11: 0x0100 reset capacity, 0x0200 clear counters, 0x0400 clear status, ...), made when asked. */
export function controlRequest(code: number): ArrayBuffer {
  if (!(Number.isInteger(code) && code >= 0 && code <= 0xffff)) throw new RangeError(`control function ${code} is not 16 bits`);
  return buildRequest(true, CMD_CONTROL, [code >> 8, code & 0xff]);
}
