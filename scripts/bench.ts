// `npm run bench [-- --json] [-- --core]`: XS figures, printed, not asserted.
// 1. Our protocol core against a seed-style reference parser (scripts/lib/reference-parser.ts), both
//    inside one XS engine (xsnap), on the same notifications: a 0x03 frame as 20 + 16 bytes and a 0x04
//    frame in one notification, as a 4S pack sends them.
// 2. The RAM budget (test/virtual/ram-bench.ts): the whole firmware on XS with 1 and 3 BMS, a real
//    broker and discovery on, against the targets of the RAM budget (README "RAM budget").
import { computeUnits, counts, payloadFigures, prepare, slotsAllocated, startWorkload, wallMs } from "../test/xs/measure";
import { measureRam, type RamFigures } from "../test/virtual/ram-bench";

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
const protocol = {
  stream: "0x03 frame as 20 + 16 bytes, 0x04 frame (4 cells) as 15 bytes",
  frames: WALL_CYCLES * FRAMES_PER_CYCLE,
  core, reference,
  ratio: {
    computePerFrame: ratio(core.computePerFrame, reference.computePerFrame),
    wallMs: ratio(core.wallMs, reference.wallMs),
  },
};

// ---- RAM budget ----
interface Check { figure: string; target: number | null; measured: number | null; unit: string; ok: boolean | null; note?: string }
function checks(r: RamFigures): Check[] {
  const row = (figure: string, target: number | null, measured: number | null, unit: string, note?: string): Check =>
    ({ figure, target, measured, unit, ok: target === null || measured === null ? null : measured <= target, note });
  return [
    row("steady state: slots beyond the preloaded image", 3000, r.steady.slots, "slots"),
    // the chunk target is about the device: a 32-bit ESP32 sizes the same chunks smaller (slot counts do not change)
    row("steady state: chunks beyond the preloaded image, 64-bit xsnap", null, r.steadyDeviceChunkBytes, "bytes", "bytecode copies xsnap makes and a device does not are left out"),
    row("  the same, sized for a 32-bit ESP32 (estimate)", 16384, r.steadyEsp32ChunkBytes, "bytes", "8-byte chunk headers, 16-byte array items"),
    row("republish after broker return: peak live slots", 4000, r.republish.liveSlots, "slots"),
    row("republish after broker return: peak live chunks", 24576, r.republish.liveChunkBytes, "bytes"),
    row("republish: heap inside one delivery, garbage included", null, r.republish.slotsWithinDelivery, "slots", "no collection inside a delivery; an upper bound"),
    row("per poll cycle and BMS: firmware compute", 8000, r.perPollCycle.firmwareCompute, "XS compute units"),
    row("per poll cycle and BMS: doubles' compute (not counted)", null, r.perPollCycle.doublesCompute, "XS compute units"),
    row("per poll cycle and BMS: slots allocated, all", null, r.perPollCycle.slotsAllocated, "slots", "firmware, doubles and host bridge together"),
    row("  of which the host bridge (JSON per delivery)", null, r.perPollCycle.hostBridgeSlots, "slots"),
    row("per poll cycle and BMS: slots allocated, firmware + SDK doubles", null, r.perPollCycle.slotsAllocated - r.perPollCycle.hostBridgeSlots, "slots", "both together"),
    row("per poll cycle and BMS: slots allocated by the firmware (doubles apart)", 100, r.perPollCycle.firmwareSlotsApart, "slots", "the doubles' work in deliveries of its own; timer deliveries and calls into doubles counted as the firmware's: an upper bound"),
    row("  the SDK doubles' in the same window (not counted)", null, r.perPollCycle.doublesSlotsApart, "slots"),
    row("per poll cycle and BMS: chunks allocated", 2048, null, "bytes", "not measured: xsnap reports no chunk allocation count"),
  ];
}

const payloads = await payloadFigures();
const ram: { bms: number; figures: RamFigures; checks: Check[] }[] = [];
if (!process.argv.includes("--core")) {
  for (const bms of [1, 3]) {
    const figures = await measureRam(bms);
    ram.push({ bms, figures, checks: checks(figures) });
  }
}
const frameCheck: Check = { figure: "notification and frame path: slots allocated per frame", target: 0, measured: Number(core.slotsPerFrame.toFixed(2)), unit: "slots", ok: core.slotsPerFrame === 0 };

if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ protocol, frame: frameCheck, payloads, ram }, null, 2));
} else {
  const row = (label: string, ours: string, theirs: string, r = "") => console.log(
    `| ${label.padEnd(34)} | ${ours.padStart(10)} | ${theirs.padStart(10)} | ${r.padStart(6)} |`);
  row("XS engine (xsnap)", "core", "reference", "ratio");
  console.log(`|${"-".repeat(36)}|${"-".repeat(11)}:|${"-".repeat(11)}:|${"-".repeat(7)}:|`);
  row("compute units / notification", core.computePerNotification.toFixed(0), reference.computePerNotification.toFixed(0),
    ratio(core.computePerNotification, reference.computePerNotification).toFixed(2));
  row("compute units / frame", core.computePerFrame.toFixed(0), reference.computePerFrame.toFixed(0),
    protocol.ratio.computePerFrame.toFixed(2));
  row("heap slots / frame", core.slotsPerFrame.toFixed(2), reference.slotsPerFrame.toFixed(2));
  row(`wall ms, ${protocol.frames} frames (gc incl.)`, core.wallMs.toFixed(0), reference.wallMs.toFixed(0),
    protocol.ratio.wallMs.toFixed(2));
  console.log("\n| payload built in XS (real frames) | compute units | slots allocated | bytes |");
  console.log("|---|---:|---:|---:|");
  for (const [name, p] of Object.entries(payloads)) console.log(`| ${name} | ${p.computeUnits} | ${p.slots} | ${p.bytes} |`);
  if (ram.length) {
    console.log("\n| RAM budget (XS, 64-bit xsnap)                          | target | " + ram.map((r) => `${r.bms} BMS`.padStart(8)).join(" | ") + " |");
    console.log("|" + "-".repeat(56) + "|-------:|" + ram.map(() => "---------:").join("|") + "|");
    const text = (c: Check) => c.measured === null ? "–" : String(c.measured) + (c.ok === false ? " ✗" : "");
    for (let i = 0; i < ram[0].checks.length; i++) {
      const c = ram[0].checks[i];
      console.log(`| ${c.figure.padEnd(54)} | ${(c.target === null ? "–" : String(c.target)).padStart(6)} | ` + ram.map((r) => text(r.checks[i]).padStart(8)).join(" | ") + " |");
    }
    console.log(`| ${frameCheck.figure.padEnd(54)} | ${"0".padStart(6)} | ` + ram.map(() => String(frameCheck.measured).padStart(8)).join(" | ") + " |");
    for (const r of ram) console.log(`\n${r.bms} BMS: image ${r.figures.image.slots} slots / ${r.figures.image.chunkBytes} chunk bytes; steady slots by kind ${JSON.stringify(r.figures.steady.kinds)}; chunk bytes by owner ${JSON.stringify(r.figures.steady.chunkKinds)}`);
  }
}
