// Reply timing measured from five btsnoop captures of the official JBD app (facts §5):
// write-to-first-notification latency per kind of request, and the gap between chunks of one frame.

import { CMD_BASIC_INFO, CMD_CELLS, CMD_FACTORY_ENTER } from "../../modules/protocol/frame";
import type { Request } from "./bms-frames";
import type { Random } from "./bms-random";

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** Milliseconds from the write to the first notification. */
export const LATENCY = {
  basicInfo: { min: 63, median: 78, max: 145 },
  cells: { min: 33, median: 46, max: 246 },
  /** Other register reads (0x05, 0xAA; EEPROM reads in the captures). */
  register: { min: 32, median: 50, max: 90 },
  /** 0xE1 and other writes, up to the ack. */
  write: { min: 68, median: 76, max: 133 },
  enterFactory: { min: 34, median: 56, max: 193 },
  /** Answers from the BLE module itself, without the BMS (FF AA auth steps; used for echoes). */
  module: { min: 11, median: 35, max: 52 },
} as const satisfies Record<string, Spread>;

/** The rare outlier seen once in 278 basic-info polls (1599 ms). */
export const OUTLIER: Spread = { min: 1550, median: 1600, max: 1650 };

export const CHUNK_GAP: Spread = { min: 0.2, median: 0.75, max: 15.8 };

/**
 * A draw within [min, max] with the given median: the lower half rises towards the median,
 * the upper half is a thin tail, so the max shows up about as rarely as in the captures.
 */
export function sample(random: Random, { min, median, max }: Spread): number {
  const u = random.next();
  if (u < 0.5) return min + (median - min) * Math.sqrt(2 * u);
  return median + (max - median) * ((u - 0.5) * 2) ** 4;
}

/** Which measured spread a request's reply follows. */
export function latencyFor({ write, reg }: Request): Spread {
  if (!write) return reg === CMD_BASIC_INFO ? LATENCY.basicInfo : reg === CMD_CELLS ? LATENCY.cells : LATENCY.register;
  return reg === CMD_FACTORY_ENTER ? LATENCY.enterFactory : LATENCY.write;
}
