// The real frames of jbd-frames.json (copied from ../shared so a fresh clone can run the tests), and
// small helpers shared by the protocol tests.
import { FrameAssembler } from "../../modules/protocol/assembler";
import { parseHex } from "../../modules/protocol/hex";
import { checksum } from "../../modules/protocol/frame";
import frames from "./jbd-frames.json" with { type: "json" };

export interface Vector {
  source: string;
  cmd: number;
  kind: "request" | "response";
  hex: string;
  chunks?: string[];
  expected: Record<string, unknown>;
  checksum_valid: boolean;
  derived?: Record<string, unknown>;
  notes?: string;
}

export const VECTORS = frames as Vector[];
/** JBD frames (DD ...), as opposed to the BLE module's FF AA frames. */
export const JBD_VECTORS = VECTORS.filter((v) => v.hex.startsWith("dd"));
export const FFAA_VECTORS = VECTORS.filter((v) => v.hex.startsWith("ffaa"));
export const RESPONSES = JBD_VECTORS.filter((v) => v.kind === "response");
export const REQUESTS = JBD_VECTORS.filter((v) => v.kind === "request");

/** A reply frame with a right checksum. */
export function reply(cmd: number, payload: ArrayLike<number>, status = 0): Uint8Array {
  const frame = new Uint8Array(payload.length + 7);
  frame.set([0xdd, cmd, status, payload.length]);
  frame.set(payload, 4);
  const sum = checksum(frame, 2, 4 + payload.length);
  frame.set([sum >> 8, sum & 0xff, 0x77], 4 + payload.length);
  return frame;
}

export function bytes(hex: string): Uint8Array {
  const parsed = parseHex(hex);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

export function label(v: Vector): string {
  return `${v.kind} 0x${v.cmd.toString(16)} ${v.hex.slice(0, 24)}${v.hex.length > 24 ? "..." : ""}`;
}

/** An assembler whose sink records copies of the frames it delivers. */
export function recordingAssembler(gapMs?: number): { assembler: FrameAssembler; frames: string[] } {
  const frames: string[] = [];
  const assembler = new FrameAssembler({
    onFrame(frame, length) { frames.push(Buffer.from(frame.subarray(0, length)).toString("hex")); },
  }, gapMs);
  return { assembler, frames };
}

/** Deterministic pseudo-random numbers (mulberry32), so property tests fail the same way twice. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
