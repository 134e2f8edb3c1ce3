// Runs inside XS (bundled by bundleForXs with globalName "W"): feeds prepared notifications to our
// protocol core or to the seed-style reference parser, for the XS tests and `npm run bench`.
// Everything a measured loop touches is allocated beforehand, so the loop itself allocates nothing.
import { FrameAssembler, type FrameSink } from "../../modules/protocol/assembler";
import { BasicInfo, decodeBasicInfo } from "../../modules/protocol/basic-info";
import { CellVoltages, decodeCells } from "../../modules/protocol/cells";
import { describeFrame } from "../../modules/protocol/describe";
import { ErrorCounters, decodeErrorCounters } from "../../modules/protocol/error-counters";
import { CMD_BASIC_INFO, CMD_CELLS, CMD_ERROR_COUNTERS, CMD_HARDWARE } from "../../modules/protocol/frame";
import { HardwareVersion, decodeHardware } from "../../modules/protocol/hardware";
import { parseHex } from "../../modules/protocol/hex";
import { fixedText, hundredthsText, tenthsText, thousandthsText } from "../../modules/protocol/json-writer";
import { ReferenceParser } from "../../scripts/lib/reference-parser";
import { type AllocationCount, countAllocatingCalls } from "./allocation-counter";

declare function resetMeter(limit: number, index: number): number;
declare function gc(): void;
declare const performance: { now(): number };

function bytesOf(hex: string): Uint8Array {
  const bytes = parseHex(hex);
  if (typeof bytes === "string") throw new Error(bytes);
  return bytes;
}

/** Decodes every frame into preallocated readings, as the link will. */
class DecodingSink implements FrameSink {
  readonly info = new BasicInfo();
  readonly cells = new CellVoltages();
  readonly hardware = new HardwareVersion();
  readonly counters = new ErrorCounters();
  decoded = 0;
  undecoded = 0;

  onFrame(frame: Uint8Array): void {
    let ok = false;
    switch (frame[1]) {
      case CMD_BASIC_INFO: ok = decodeBasicInfo(frame, this.info); break;
      case CMD_CELLS: ok = decodeCells(frame, this.cells); break;
      case CMD_HARDWARE: ok = decodeHardware(frame, this.hardware); break;
      case CMD_ERROR_COUNTERS: ok = decodeErrorCounters(frame, this.counters); break;
    }
    if (ok) this.decoded++;
    else this.undecoded++;
  }
}

// The prepared notifications, and the frames among them for the decoder-only loop.
let chunks: Uint8Array[] = [];
let frames: Uint8Array[] = [];
let sink = new DecodingSink();
let assembler = new FrameAssembler(sink);
let reference = new ReferenceParser();
let clock = 0;

/** Prepare a stream: notifications as hex, and the whole frames it holds as hex. */
export function prepare(chunkHex: string[], frameHex: string[]): void {
  chunks = chunkHex.map(bytesOf);
  frames = frameHex.map(bytesOf);
  sink = new DecodingSink();
  assembler = new FrameAssembler(sink);
  reference = new ReferenceParser();
  clock = 0;
}

/** Push the prepared notifications `cycles` times, 1 ms apart. */
export function runCore(cycles: number): void {
  const a = assembler;
  const list = chunks;
  let now = clock;
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < list.length; i++) a.push(list[i], now++);
  }
  clock = now;
}

/** Decode the prepared frames `cycles` times, without the assembler. */
export function runDecoders(cycles: number): void {
  const s = sink;
  const list = frames;
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < list.length; i++) s.onFrame(list[i]);
  }
}

export function runReference(cycles: number): void {
  const r = reference;
  const list = chunks;
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < list.length; i++) r.push(list[i]);
  }
}

/** A loop that allocates one object per cycle: the control for the slot measurement. */
let kept: object = {};
export function runAllocatingControl(cycles: number): void {
  for (let c = 0; c < cycles; c++) kept = { c };
}

export type Workload = "core" | "decoders" | "reference" | "control";
const RUNNERS: Record<Workload, (cycles: number) => void> = {
  core: runCore, decoders: runDecoders, reference: runReference, control: runAllocatingControl,
};

export function run(workload: Workload, cycles: number): void {
  RUNNERS[workload](cycles);
}

/** XS compute units (metered bytecodes and native work) used by `cycles` cycles. */
export function compute(workload: Workload, cycles: number): number {
  const runner = RUNNERS[workload];
  resetMeter(0, 0);
  runner(cycles);
  return resetMeter(0, 0);
}

/** Wall milliseconds for `cycles` cycles, garbage collection included. */
export function wallTime(workload: Workload, cycles: number): number {
  const runner = RUNNERS[workload];
  gc();
  const start = performance.now();
  runner(cycles);
  gc();
  return performance.now() - start;
}

export function counts(): Record<string, number> {
  return { ...assembler.stats, pending: assembler.pending, decoded: sink.decoded, undecoded: sink.undecoded,
    referenceFrames: reference.frames };
}

/** Feed each vector's notifications to a fresh assembler; describe what comes out. */
export function replay(vectors: { chunks: string[] }[]): { frames: string[]; stats: Record<string, number> }[] {
  return vectors.map((vector) => {
    const described: string[] = [];
    const one = new FrameAssembler({ onFrame: (frame, length) => described.push(describeFrame(frame.slice(0, length))) });
    vector.chunks.forEach((hex, i) => one.push(bytesOf(hex), i));
    return { frames: described, stats: { ...one.stats, pending: one.pending } };
  });
}

/** Built-in allocating calls made by `cycles` cycles of a workload. */
export function allocatingCalls(workload: Workload, cycles: number): AllocationCount {
  const runner = RUNNERS[workload];
  return countAllocatingCalls(() => runner(cycles));
}

/** m / 10^places written out digit by digit: the reference for the engine-printed decimals. */
function digitsOf(m: number, places: number): string {
  const digits = String(Math.abs(m)).padStart(places + 1, "0");
  return (m < 0 ? "-" : "") + digits.slice(0, digits.length - places) + "." + digits.slice(digits.length - places);
}

/** Integers in [from, to] whose decimal text (json-writer's, printed by toFixed) differs from the digits. */
export function decimalMismatches(from: number, to: number): string[] {
  const bad: string[] = [];
  for (let m = from; m <= to && bad.length < 10; m++) {
    if (tenthsText(m) !== digitsOf(m, 1)) bad.push("tenths " + m);
    if (hundredthsText(m) !== digitsOf(m, 2)) bad.push("hundredths " + m);
    if (thousandthsText(m) !== digitsOf(m, 3)) bad.push("thousandths " + m);
    // fixedText rounds first: a value within a hundredth of a unit of m / 10^4 prints as m / 10^4
    const near = m / 10_000 + (m % 7 - 3) / 1_000_000;
    if (fixedText(near, 4) !== (Math.round(Math.abs(near) * 10_000) === 0 ? digitsOf(0, 4) : digitsOf(m, 4))) bad.push("fixed " + near);
  }
  return bad;
}
