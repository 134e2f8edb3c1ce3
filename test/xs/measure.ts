// Node side of the XS measurements: loads test/xs/workload.ts into an xsnap worker and measures a
// workload's heap slots, compute units, wall time and built-in allocating calls there.
import { bundleForXs, startXs, type XsWorker } from "../../scripts/lib/xs";
import type { AllocationCount } from "./allocation-counter";
import type { Workload } from "./workload";

export type { Workload };

export async function startWorkload(): Promise<XsWorker> {
  const xs = await startXs();
  await xs.run(await bundleForXs("test/xs/workload.ts", { globalName: "W" }));
  return xs;
}

/** Make `chunkHex` the notifications every workload pushes, `frameHex` the frames the decoder loop decodes. */
export async function prepare(xs: XsWorker, chunkHex: string[], frameHex: string[]): Promise<void> {
  await xs.run(`W.prepare(${JSON.stringify(chunkHex)}, ${JSON.stringify(frameHex)});`);
}

async function heapAfter(xs: XsWorker, workload: Workload, cycles: number): Promise<number> {
  await xs.run(`globalThis.__cycles = ${cycles};`);
  // Same script text whatever the count: only the workload's own allocations differ between runs.
  const { meter } = await xs.run(`gc(); W.run(${JSON.stringify(workload)}, globalThis.__cycles);`);
  return meter.currentHeapCount;
}

/**
 * Heap slots allocated by `cycles` cycles (garbage included: no collection runs in between unless the
 * heap fills up). Measured as run(0), run(cycles), run(0) after a collection each; the two empty runs
 * give the harness's own drift, which is taken out.
 */
export async function slotsAllocated(xs: XsWorker, workload: Workload, cycles: number): Promise<number> {
  await xs.run(`W.run(${JSON.stringify(workload)}, 10);`); // warm up: lazily created engine state
  const before = await heapAfter(xs, workload, 0);
  const during = await heapAfter(xs, workload, cycles);
  const after = await heapAfter(xs, workload, 0);
  return during - before - (after - before) / 2;
}

export async function computeUnits(xs: XsWorker, workload: Workload, cycles: number): Promise<number> {
  return (await xs.run<number>(`globalThis.__result = W.compute(${JSON.stringify(workload)}, ${cycles});`)).value;
}

export async function wallMs(xs: XsWorker, workload: Workload, cycles: number): Promise<number> {
  return (await xs.run<number>(`globalThis.__result = W.wallTime(${JSON.stringify(workload)}, ${cycles});`)).value;
}

export async function allocatingCalls(xs: XsWorker, workload: Workload, cycles: number): Promise<AllocationCount> {
  return (await xs.run<AllocationCount>(`globalThis.__result = W.allocatingCalls(${JSON.stringify(workload)}, ${cycles});`)).value;
}

export async function counts(xs: XsWorker): Promise<Record<string, number>> {
  return (await xs.run<Record<string, number>>("globalThis.__result = W.counts();")).value;
}

/** Each bridge payload built in XS from real frames: compute units, slots allocated, bytes (test/xs/payload-workload.ts). */
export async function payloadFigures(): Promise<Record<string, { computeUnits: number; slots: number; bytes: number }>> {
  const xs = await startXs();
  try {
    await xs.run(await bundleForXs("test/xs/payload-workload.ts", { globalName: "P" }));
    const metered = (await xs.run<Record<string, { computeUnits: number; bytes: number }>>("globalThis.__result = P.meterPayloads(20);")).value;
    const result: Record<string, { computeUnits: number; slots: number; bytes: number }> = {};
    for (const name of Object.keys(metered)) {
      const run = (n: number) => xs.run(`gc(); P.runPayload(${JSON.stringify(name)}, ${n});`);
      await run(3);
      const before = (await run(0)).meter.currentHeapCount;
      const after = (await run(10)).meter.currentHeapCount;
      result[name] = { computeUnits: Math.round(metered[name].computeUnits), slots: Math.round((after - before) / 10), bytes: metered[name].bytes };
    }
    return result;
  } finally { await xs.close(); }
}
