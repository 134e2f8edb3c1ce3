// Says what is wrong with one frame, in detail, for people (decode CLI, console captures). The
// assembler makes the same checks on its hot path; this one allocates and explains.
import { FRAME_END, FRAME_OVERHEAD, FRAME_START, checksum, isFrameHeader } from "./frame";

export type FrameVerdict = "ok" | "notFrame" | "badHeader" | "truncated" | "badEnd" | "badChecksum";

export interface FrameCheck {
  verdict: FrameVerdict;
  /** Bytes the frame takes according to its length byte; 0 when not known. */
  length: number;
  /** Bytes available from the start of the frame. */
  available: number;
  /** badChecksum: what the bytes sum to, and what the frame carries. */
  expectedChecksum?: number;
  foundChecksum?: number;
}

/** Check the frame that starts at bytes[start]. */
export function checkFrame(bytes: Uint8Array, start = 0): FrameCheck {
  const available = bytes.length - start;
  if (available < 1 || bytes[start] !== FRAME_START) return { verdict: "notFrame", length: 0, available };
  if (available < 4) {
    const headerSoFar = available < 3 || isFrameHeader(bytes[start + 1], bytes[start + 2]);
    return { verdict: headerSoFar ? "truncated" : "badHeader", length: 0, available };
  }
  if (!isFrameHeader(bytes[start + 1], bytes[start + 2])) return { verdict: "badHeader", length: 0, available };
  const length = bytes[start + 3] + FRAME_OVERHEAD;
  if (available < length) return { verdict: "truncated", length, available };
  if (bytes[start + length - 1] !== FRAME_END) return { verdict: "badEnd", length, available };
  const expectedChecksum = checksum(bytes, start + 2, start + length - 3);
  const foundChecksum = (bytes[start + length - 3] << 8) | bytes[start + length - 2];
  if (expectedChecksum !== foundChecksum) {
    return { verdict: "badChecksum", length, available, expectedChecksum, foundChecksum };
  }
  return { verdict: "ok", length, available };
}
