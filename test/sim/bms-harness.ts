// Test helpers for the simulated BMS: build requests, record notifications with their clock times,
// reassemble frames by their length byte and read 0x03 / 0x04 fields. Written straight from the
// spec (facts §4) and independent of modules/protocol, which these tests must not lean on.

import { checksum } from "../../modules/protocol/frame";
import type { VirtualClock } from "./clock";
import type { SimulatedBms } from "./bms";

/** DD | A5/5A | reg | len | data | checksum | 77 */
export function request(write: boolean, reg: number, data: number[] = []): Uint8Array {
  const frame = Uint8Array.from([0xdd, write ? 0x5a : 0xa5, reg, data.length, ...data, 0, 0, 0x77]);
  const sum = checksum(frame, 2, data.length + 4);
  frame[data.length + 4] = sum >> 8;
  frame[data.length + 5] = sum & 0xff;
  return frame;
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
export const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

export interface Notification {
  at: number;
  bytes: Uint8Array;
}

/** Collects every notification of one BMS, stamped with clock time. */
export class Recorder {
  notifications: Notification[] = [];

  constructor(clock: VirtualClock, bms: SimulatedBms) {
    bms.onNotify = (bytes) => this.notifications.push({ at: clock.now(), bytes });
  }

  /** Complete frames in arrival order, read by length from the first notification on (an incomplete tail is left out).
   *  FF AA frames of the module (FF AA cmd len data sum) are len + 5 bytes, JBD frames len + 7. */
  frames(): Uint8Array[] {
    const stream = Buffer.concat(this.notifications.map((n) => n.bytes));
    const frames: Uint8Array[] = [];
    for (let at = 0; at + 4 <= stream.length; ) {
      const end = at + stream[at + 3] + (stream[at] === 0xff ? 5 : 7);
      if (end > stream.length) break;
      frames.push(new Uint8Array(stream.subarray(at, end)));
      at = end;
    }
    return frames;
  }

  clear(): void { this.notifications = []; }
}

/** Write one request, run the clock until every reply is out, and return what came back. */
export function exchange(clock: VirtualClock, bms: SimulatedBms, recorder: Recorder, bytes: Uint8Array, waitMs = 2000) {
  recorder.clear();
  const sentAt = clock.now();
  bms.write(bytes);
  clock.advance(waitMs);
  return { sentAt, notifications: recorder.notifications, frames: recorder.frames() };
}

/** Start byte, length, end byte and checksum all as the spec says. */
export function frameIsValid(frame: Uint8Array): boolean {
  const len = frame[3];
  return frame[0] === 0xdd && frame.length === len + 7 && frame[len + 6] === 0x77
    && ((frame[len + 4] << 8) | frame[len + 5]) === checksum(frame, 2, len + 4);
}

export function decodeBasicInfo(frame: Uint8Array) {
  const view = new DataView(frame.buffer, frame.byteOffset + 4, frame[3]);
  const fet = view.getUint8(20);
  const unit = fet & 0x80 ? 10 : 100;
  const ntc = view.getUint8(22);
  const temps = Array.from({ length: ntc }, (_, i) => (view.getUint16(23 + 2 * i) - 2731) / 10);
  const ext = 23 + 2 * ntc;
  return {
    voltage: view.getUint16(0) / 100,
    current: view.getInt16(2) / unit,
    remainingAh: view.getUint16(4) / unit,
    capacityAh: view.getUint16(6) / unit,
    cycles: view.getUint16(8),
    date: view.getUint16(10),
    /** bit n = cell n+1 (spec order) */
    balancing: (view.getUint16(12) | (view.getUint16(14) << 16)) >>> 0,
    protection: view.getUint16(16),
    version: view.getUint8(18),
    soc: view.getUint8(19),
    fet,
    cells: view.getUint8(21),
    temps,
    extended: frame[3] > ext
      ? { humidity: view.getUint8(ext), alarm: view.getUint16(ext + 1), fullChargeAh: view.getUint16(ext + 3) / unit,
          remainingAh: view.getUint16(ext + 5) / unit, balanceCurrentMa: view.getUint16(ext + 7) }
      : undefined,
  };
}

export function decodeCells(frame: Uint8Array): number[] {
  const view = new DataView(frame.buffer, frame.byteOffset + 4, frame[3]);
  return Array.from({ length: frame[3] / 2 }, (_, i) => view.getUint16(2 * i));
}
