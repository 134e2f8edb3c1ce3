// A shorter soak in `npm test`: 12 simulated hours of the firmware on XS with field-like faults.
// `npm run soak` runs the full 48 hours; the README shows its figures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runSoak } from "./soak";

test("12 simulated hours with faults: readings keep flowing, nothing escapes, memory stays flat", async () => {
  const r = await runSoak({ hours: 12, seed: 2 });
  const detail = JSON.stringify(r);
  assert.ok(r.faults.linkDrops > 0 && r.faults.brokerRestarts > 0 && r.faults.wifiLosses > 0, `faults were injected: ${detail}`);
  assert.ok(r.readingShare >= 0.999, `share of link-up intervals with a published reading: ${r.readingShare}`);
  assert.ok(r.eligibleIntervals > 0.9 * 12 * 720, "most of the run counted");
  assert.ok(r.recoveryToReadingMs.max <= 10_000, `a reading within two poll intervals of every link recovery: ${r.recoveryToReadingMs.max} ms`);
  assert.equal(r.exceptionsEscaped, 0);
  assert.ok(r.mosAsked > 0 && r.mosConfirmed + r.mosFailures.length === r.mosAsked, `every MOS command got a result: ${detail}`);
  for (const failure of r.mosFailures) assert.match(failure, /protection active|ignored|not connected/);
  assert.ok(Math.abs(r.heapSlots.trendPerHour) <= 1, `XS heap trend ${r.heapSlots.trendPerHour} slots/h`);
  assert.ok(r.heapSlots.end - r.heapSlots.start <= 32, `XS heap ${r.heapSlots.start} -> ${r.heapSlots.end}`);
});
