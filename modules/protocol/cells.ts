// 0x04 cell voltages: one big-endian U16 in mV per cell (a configured but unconnected cell reads 0).
import { CMD_CELLS, PAYLOAD_OFFSET, STATUS_OK } from "./frame";

/** The balance bits of 0x03 cover 32 cells, the largest packs JBD makes. */
export const MAX_CELLS = 32;

export class CellVoltages {
  count = 0;
  /** mV; the first `count` are valid. */
  readonly millivolts = new Uint16Array(MAX_CELLS);

  /** 0-based index of the lowest cell (the first one on a tie), -1 without cells. */
  minIndex(): number {
    let best = -1;
    for (let i = 0; i < this.count; i++) if (best < 0 || this.millivolts[i] < this.millivolts[best]) best = i;
    return best;
  }

  /** 0-based index of the highest cell (the first one on a tie), -1 without cells. */
  maxIndex(): number {
    let best = -1;
    for (let i = 0; i < this.count; i++) if (best < 0 || this.millivolts[i] > this.millivolts[best]) best = i;
    return best;
  }

  totalMillivolts(): number {
    let sum = 0;
    for (let i = 0; i < this.count; i++) sum += this.millivolts[i];
    return sum;
  }
}

/** Decode a 0x04 reply into `out`. False (and `out` untouched) unless an OK 0x04 reply of 2 bytes per cell. */
export function decodeCells(frame: Uint8Array, out: CellVoltages): boolean {
  const length = frame[3];
  if (frame[1] !== CMD_CELLS || frame[2] !== STATUS_OK || (length & 1) !== 0 || length > 2 * MAX_CELLS) return false;
  const count = length >> 1;
  const millivolts = out.millivolts;
  for (let i = 0; i < count; i++) millivolts[i] = (frame[PAYLOAD_OFFSET + 2 * i] << 8) | frame[PAYLOAD_OFFSET + 1 + 2 * i];
  out.count = count;
  return true;
}
