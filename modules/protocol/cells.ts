// 0x04 cell voltages: one big-endian U16 in mV per cell (a configured but unconnected cell reads 0).
import { CMD_CELLS, PAYLOAD_OFFSET, STATUS_OK } from "./frame";

/** The balance bits of 0x03 cover 32 cells, the largest packs JBD makes. */
export const MAX_CELLS = 32;

export class CellVoltages {
  count = 0;
  /** mV; the first `count` are valid. */
  readonly millivolts = new Uint16Array(MAX_CELLS);
  // Summary of the first `count`, kept by decodeCells (the state payload is written every poll cycle,
  // and a second pass over the cells there costs XS about as much as decoding them): call
  // summarize() after writing `millivolts` or `count` any other way.
  /** 0-based index of the lowest cell (the first one on a tie), -1 without cells. */
  minIndex = -1;
  /** 0-based index of the highest cell (the first one on a tie), -1 without cells. */
  maxIndex = -1;
  totalMillivolts = 0;

  /** Work out minIndex, maxIndex and totalMillivolts from `millivolts` and `count`. */
  summarize(): this {
    const millivolts = this.millivolts, count = this.count;
    let low = 0, high = 0, total = 0;
    for (let i = 0; i < count; i++) {
      total += millivolts[i];
      if (millivolts[i] < millivolts[low]) low = i;
      else if (millivolts[i] > millivolts[high]) high = i;
    }
    this.minIndex = count > 0 ? low : -1;
    this.maxIndex = count > 0 ? high : -1;
    this.totalMillivolts = total;
    return this;
  }
}

/** Decode a 0x04 reply into `out`. False (and `out` untouched) unless an OK 0x04 reply of 2 bytes per cell. */
export function decodeCells(frame: Uint8Array, out: CellVoltages): boolean {
  const length = frame[3];
  if (frame[1] !== CMD_CELLS || frame[2] !== STATUS_OK || (length & 1) !== 0 || length > 2 * MAX_CELLS) return false;
  const count = length >> 1;
  const millivolts = out.millivolts;
  // the summary in the same pass (as summarize() makes it); `at` is the cell's first byte. The loop's
  // shape is XS's cheapest measured (its locals declared outside it, no comma expression, one chained
  // assignment): a `for` with `i++, at += 2` as its update costs about 8 units more per cell.
  let low = 0, high = 0, lowMv = 0x10000, highMv = -1, total = 0, mv = 0, at = PAYLOAD_OFFSET, i = 0;
  while (i < count) {
    total += (millivolts[i] = mv = (frame[at] << 8) | frame[at + 1]);
    if (mv < lowMv) { lowMv = mv; low = i; }
    if (mv > highMv) { highMv = mv; high = i; }
    i++;
    at += 2;
  }
  out.count = count;
  out.minIndex = count > 0 ? low : -1;
  out.maxIndex = count > 0 ? high : -1;
  out.totalMillivolts = total;
  return true;
}
