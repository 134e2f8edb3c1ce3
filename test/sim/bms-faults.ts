// Fault injection for the simulated BMS: the knobs, the per-request draw, and the frame damage.

import type { Random } from "./bms-random";

/** Rates are probabilities per request (a parsed DD frame). */
export interface BmsFaults {
  /** The BMS never sees the request: no reply, and a write is not applied. */
  unanswered: number;
  /** An unrelated valid frame (an old 0x03, or a 0x04 when 0x03 was asked) arrives before the reply. */
  stray: number;
  /** One data or checksum byte of the reply is flipped, so its checksum fails; length and end byte stay. */
  corrupt: number;
  /** The reply is status 0x80 or 0x81 with no data; a write is not applied. */
  errorStatus: number;
  /** The reply stops partway (1 .. length−1 bytes sent); a write is applied. */
  truncated: number;
  /** The reply comes after ~1.6 s, the outlier seen in the captures. */
  slow: number;
  /** Newest modules paired without passkey: every written value is echoed back, nothing is answered. */
  echoOnly: boolean;
}

export type FaultKind = "unanswered" | "errorStatus" | "stray" | "corrupt" | "truncated" | "slow";
const KINDS: readonly FaultKind[] = ["unanswered", "errorStatus", "stray", "corrupt", "truncated", "slow"];

export function noFaults(): BmsFaults {
  return { unanswered: 0, stray: 0, corrupt: 0, errorStatus: 0, truncated: 0, slow: 0, echoOnly: false };
}

/**
 * The faults hitting one request. Every kind consumes one draw, whatever the rates, so changing one
 * rate never shifts which requests another kind hits. An unanswered request takes no other fault.
 */
export function drawFaults(random: Random, faults: BmsFaults): Set<FaultKind> {
  const hit = new Set<FaultKind>();
  for (const kind of KINDS) if (random.next() < faults[kind]) hit.add(kind);
  return hit.has("unanswered") ? new Set(["unanswered"]) : hit;
}

/** A copy with one byte after the length byte (data or checksum, never the end byte) changed. */
export function corruptFrame(frame: Uint8Array, random: Random): Uint8Array {
  const copy = frame.slice();
  const at = 4 + random.below(frame.length - 5);
  copy[at] ^= 1 + random.below(255);
  return copy;
}

/** The first 1 .. length−1 bytes. */
export function truncateFrame(frame: Uint8Array, random: Random): Uint8Array {
  return frame.slice(0, 1 + random.below(frame.length - 1));
}
