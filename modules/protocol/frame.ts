// JBD frame layout and checksum. Platform-free: runs unchanged on XS and Node.
//
// Request:  DD | A5 (read) / 5A (write) | reg | len | data... | chk_hi chk_lo | 77
// Response: DD | cmd | status | len | data... | chk_hi chk_lo | 77
// Checksum: (0x10000 - sum of bytes[2 .. 3+len]) & 0xFFFF, big-endian. Write ACKs carry 0x0000,
// which is the same formula masked to 16 bits, so no special case is needed.

export const FRAME_START = 0xdd;
export const FRAME_END = 0x77;
export const READ = 0xa5;
export const WRITE = 0x5a;

/** Bytes around the payload: start, cmd, status, len, 2 checksum bytes, end. */
export const FRAME_OVERHEAD = 7;
/** Offset of the first payload byte in a frame. */
export const PAYLOAD_OFFSET = 4;
/** The length byte is 8 bits, so no frame can be longer than this. */
export const MAX_PAYLOAD = 255;
export const MAX_FRAME = MAX_PAYLOAD + FRAME_OVERHEAD;

/** Frames of the BLE module itself (FF AA login replies): FF AA cmd len data... sum8(cmd, len, data). */
export const FFAA_START = 0xff;
export const FFAA_SECOND = 0xaa;
/** Bytes around an FF AA frame's data: FF, AA, cmd, len, sum. */
export const FFAA_OVERHEAD = 5;
/** Offset of the first data byte in an FF AA frame. */
export const FFAA_DATA_OFFSET = 4;

export const CMD_BASIC_INFO = 0x03;
export const CMD_CELLS = 0x04;
export const CMD_HARDWARE = 0x05;
export const CMD_ERROR_COUNTERS = 0xaa;
export const CMD_FACTORY_ENTER = 0x00;
export const CMD_FACTORY_EXIT = 0x01;
export const CMD_MOS = 0xe1;
export const CMD_MOS_FB = 0xfb;
/** V11 control functions (`DD 5A 0A 02 hi lo`): capacity reset, clear counters, clear status, ... */
export const CMD_CONTROL = 0x0a;

export const STATUS_OK = 0x00;
export const STATUS_UNSUPPORTED = 0x80;
export const STATUS_INVALID = 0x81;
export const STATUS_CHECKSUM = 0x82;
export const STATUS_PASSWORD = 0x83;

/** Sum-based JBD checksum over bytes[start, end). */
export function checksum(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i];
  return (0x10000 - sum) & 0xffff;
}

/**
 * Whether the two bytes after 0xDD can start a frame: a reply carries status 0x00 or 0x80-0x83; an echoed
 * request (modules that echo writes, esphome-jbd-bms #245) carries A5/5A. Anything else is not a frame,
 * which lets the assembler drop a stray 0xDD at once instead of waiting for up to 262 bytes.
 */
export function isFrameHeader(cmd: number, status: number): boolean {
  return status === STATUS_OK || (status >= STATUS_UNSUPPORTED && status <= STATUS_PASSWORD) ||
    cmd === READ || cmd === WRITE;
}

/** Meaning of a non-zero status byte (V11 §2). Not for the hot path: returns constant strings. */
export function statusText(status: number): string {
  switch (status) {
    case 0x00: return "ok";
    case 0x80: return "command not supported";
    case 0x81: return "invalid operation (not in factory mode or password mismatch)";
    case 0x82: return "checksum error reported by BMS";
    case 0x83: return "password error";
    default: return "unknown error status";
  }
}
