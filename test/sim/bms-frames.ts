// The BMS side of JBD framing: read a request as the BMS's UART parser would, build reply frames,
// and cut them into BLE notifications. Kept apart from modules/protocol on purpose: the simulator
// must not share code (or bugs) with the decoder it is testing.

import { FRAME_END, FRAME_OVERHEAD, FRAME_START, READ, WRITE, checksum } from "../../modules/protocol/frame";

export interface Request {
  write: boolean;
  reg: number;
  data: Uint8Array;
}

/**
 * The request in one whole written value, or undefined for anything the BMS ignores without an
 * answer: wrong start or mode byte, length mismatch, bad end byte or checksum (like the real bridge).
 */
export function parseRequest(bytes: Uint8Array): Request | undefined {
  if (bytes.length < FRAME_OVERHEAD || bytes[0] !== FRAME_START) return undefined;
  if (bytes[1] !== READ && bytes[1] !== WRITE) return undefined;
  const len = bytes[3];
  if (bytes.length !== len + FRAME_OVERHEAD || bytes[len + 6] !== FRAME_END) return undefined;
  const sum = (bytes[len + 4] << 8) | bytes[len + 5];
  if (sum !== checksum(bytes, 2, len + 4)) return undefined;
  return { write: bytes[1] === WRITE, reg: bytes[2], data: bytes.slice(4, 4 + len) };
}

/** DD | cmd | status | len | data | checksum over (status, len, data) | 77 */
export function encodeReply(cmd: number, status: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const frame = new Uint8Array(data.length + FRAME_OVERHEAD);
  frame[0] = FRAME_START;
  frame[1] = cmd;
  frame[2] = status;
  frame[3] = data.length;
  frame.set(data, 4);
  const sum = checksum(frame, 2, data.length + 4);
  frame[data.length + 4] = sum >> 8;
  frame[data.length + 5] = sum & 0xff;
  frame[data.length + 6] = FRAME_END;
  return frame;
}

/** Consecutive notifications of at most `size` bytes each. */
export function chunk(frame: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < frame.length; at += size) chunks.push(frame.slice(at, at + size));
  return chunks;
}
