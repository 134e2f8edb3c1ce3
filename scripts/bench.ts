// `npm run bench [-- --json]`: our protocol core against a seed-style reference parser
// (scripts/lib/reference-parser.ts), both inside one XS engine (xsnap), on the same notifications:
// a 0x03 frame as 20 + 16 bytes and a 0x04 frame in one notification, as a 4S pack sends them.
import { computeUnits, counts, prepare, slotsAllocated, startWorkload, wallMs } from "../test/xs/measure";

const BASIC_INFO = ["dd03001d0534000068c96d6000002c7c00000000", "000080600304030b6d0b6d0b69fab677"];
const CELLS = ["dd0400080d030d010d030d02ffbb77"];
const NOTIFICATIONS_PER_CYCLE = 3;
const FRAMES_PER_CYCLE = 2;
const METERED_CYCLES = 2_000;
const SLOT_CYCLES = 10_000;
const WALL_CYCLES = 50_000;

interface Figures {
  computePerNotification: number;
  computePerFrame: number;
  slotsPerFrame: number;
  wallMs: number;
}

const xs = await startWorkload();
const measured: Record<"core" | "reference", Figures> = {} as never;
try {
  await prepare(xs, [...BASIC_INFO, ...CELLS], [BASIC_INFO.join(""), CELLS[0]]);
  for (const workload of ["core", "reference"] as const) {
    const compute = await computeUnits(xs, workload, METERED_CYCLES) / METERED_CYCLES;
    const slots = await slotsAllocated(xs, workload, SLOT_CYCLES) / SLOT_CYCLES;
    measured[workload] = {
      computePerNotification: compute / NOTIFICATIONS_PER_CYCLE,
      computePerFrame: compute / FRAMES_PER_CYCLE,
      slotsPerFrame: slots / FRAMES_PER_CYCLE,
      wallMs: await wallMs(xs, workload, WALL_CYCLES),
    };
  }
  const seen = await counts(xs);
  if (seen.frames !== seen.referenceFrames || seen.undecoded !== 0) {
    throw new Error(`core and reference disagree: ${JSON.stringify(seen)}`);
  }
} finally {
  await xs.close();
}

const { core, reference } = measured;
const ratio = (ours: number, theirs: number) => (theirs ? ours / theirs : 0);
const result = {
  stream: "0x03 frame as 20 + 16 bytes, 0x04 frame (4 cells) as 15 bytes",
  frames: WALL_CYCLES * FRAMES_PER_CYCLE,
  core, reference,
  ratio: {
    computePerFrame: ratio(core.computePerFrame, reference.computePerFrame),
    wallMs: ratio(core.wallMs, reference.wallMs),
  },
};

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const row = (label: string, ours: string, theirs: string, r = "") => console.log(
    `| ${label.padEnd(34)} | ${ours.padStart(10)} | ${theirs.padStart(10)} | ${r.padStart(6)} |`);
  row("XS engine (xsnap)", "core", "reference", "ratio");
  console.log(`|${"-".repeat(36)}|${"-".repeat(11)}:|${"-".repeat(11)}:|${"-".repeat(7)}:|`);
  row("compute units / notification", core.computePerNotification.toFixed(0), reference.computePerNotification.toFixed(0),
    ratio(core.computePerNotification, reference.computePerNotification).toFixed(2));
  row("compute units / frame", core.computePerFrame.toFixed(0), reference.computePerFrame.toFixed(0),
    result.ratio.computePerFrame.toFixed(2));
  row("heap slots / frame", core.slotsPerFrame.toFixed(2), reference.slotsPerFrame.toFixed(2));
  row(`wall ms, ${result.frames} frames (gc incl.)`, core.wallMs.toFixed(0), reference.wallMs.toFixed(0),
    result.ratio.wallMs.toFixed(2));
}
