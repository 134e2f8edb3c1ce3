// npm run soak: the virtual device for 48 simulated hours (or --hours N) with faults at field-like
// rates; prints the figures as a table, or as JSON with --json.
//   npm run soak -- [--hours 48] [--bms 1] [--seed 1] [--faults 1] [--json]
import { runSoak } from "../test/virtual/soak";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const json = process.argv.includes("--json");

const report = await runSoak({
  hours: option("--hours", 48), bmsCount: option("--bms", 1), seed: option("--seed", 1), faultScale: option("--faults", 1),
  progress: (h) => { if (!json && process.stderr.isTTY) process.stderr.write(`\r  simulated hour ${h}`); },
});
if (json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  if (process.stderr.isTTY) process.stderr.write("\n");
  const pct = (x: number) => (100 * x).toFixed(3) + " %";
  const rows: [string, string][] = [
    ["simulated time", `${report.simulatedHours} h in ${report.wallSeconds} s`],
    ["BMS", String(report.bms)],
    ["poll cycles", String(report.pollCycles)],
    ["readings published", String(report.readingsPublished)],
    ["intervals with link up → reading", `${report.intervalsWithReading} / ${report.eligibleIntervals} = ${pct(report.readingShare)} (target ≥ 99.9 %)`],
    ["link recovery → next reading", `median ${(report.recoveryToReadingMs.median / 1000).toFixed(2)} s, max ${(report.recoveryToReadingMs.max / 1000).toFixed(2)} s (${report.recoveryToReadingMs.count} recoveries)`],
    ...Object.entries(report.returnToReadingMs).map(([id, r]): [string, string] =>
      [`${id}: return → first reading`, `median ${(r.median / 1000).toFixed(2)} s, max ${(r.max / 1000).toFixed(2)} s (${r.count} returns; target ≤ 10 s)`]),
    ["returns not counted (MQTT down)", String(report.returnsWithoutMqtt)],
    ["device restarts", `${report.restarts}${report.restartReasons.length ? ": " + [...new Set(report.restartReasons)].join("; ") : ""}`],
    ["reconnects", String(report.reconnects)],
    ["faults injected", Object.entries(report.faults).map(([k, v]) => `${k} ${v}`).join(", ")],
    ["MOS commands asked / confirmed", `${report.mosAsked} / ${report.mosConfirmed}`],
    ["exceptions escaped to the top", `${report.exceptionsEscaped} (target 0)`],
    ["XS heap slots (after gc, hourly)", `start ${report.heapSlots.start} (hour ${report.heapSlots.warmFromHour}, all BMS read once), end ${report.heapSlots.end}, peak ${report.heapSlots.peak}, trend ${report.heapSlots.trendPerHour}/h (target: no growth)`],
    ["XS compute units per poll cycle", `${report.computePerPollCycle} (firmware + doubles)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}
process.exit(0);
