// A shorter soak in `npm test`: 12 simulated hours of the firmware on XS with three BMS, field-like
// faults and the BLE strategy's own: one BMS absent at boot and for 5 h, a BMS gone between scan and
// connect (alone, and with another dropping meanwhile: a deliberate restart), a failed connect, a
// NimBLE host reset, all links dropped at once. `npm run soak` runs 48 h.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runSoak } from "./soak";

test("12 simulated hours with faults: readings keep flowing, nothing escapes, memory stays flat", async () => {
  const r = await runSoak({ hours: 12, seed: 2, bmsCount: 3 });
  const detail = JSON.stringify(r);
  assert.ok(r.faults.linkDrops > 0 && r.faults.brokerRestarts > 0 && r.faults.wifiLosses > 0, `faults were injected: ${detail}`);
  assert.ok(r.readingShare >= 0.999, `share of link-up intervals with a published reading: ${r.readingShare}`);
  assert.ok(r.eligibleIntervals > 0.9 * (3 * 12 - 5) * 720, "most of the run counted (one BMS is away 5 h)");
  for (const k of ["absentForHours", "vanishedBetweenScanAndConnect", "failedConnects", "hostResets", "allDroppedAtOnce", "hangWhileAnotherDrops"]) assert.ok(r.faults[k] > 0, `${k} injected: ${detail}`);
  // each present BMS is read again within two poll intervals of its return, also while another is away for hours
  for (const [id, back] of Object.entries(r.returnToReadingMs)) {
    assert.ok(back.count > 0, `${id} returned at least once`);
    assert.ok(back.max <= 10_000, `${id}: return -> first reading ${back.max} ms`);
  }
  assert.ok(r.recoveryToReadingMs.max <= 10_000, `a reading within two poll intervals of every link recovery: ${r.recoveryToReadingMs.max} ms`);
  assert.equal(r.exceptionsEscaped, 0);
  assert.ok(r.restarts >= 1 && r.restartReasons.every((why) => /hangs while other links wait/.test(why)), `the hang was cleared by deliberate restarts only: ${r.restartReasons}`);
  assert.ok(r.mosAsked > 0 && r.mosConfirmed + r.mosFailures.length === r.mosAsked, `every MOS command got a result: ${detail}`);
  for (const failure of r.mosFailures) assert.match(failure, /protection active|ignored|not connected/);
  assert.ok(r.heapSlots.trendPerHour <= 1, `XS heap trend ${r.heapSlots.trendPerHour} slots/h (${r.heapSlots.hourly.join(" ")})`);
  assert.ok(r.heapSlots.end - r.heapSlots.start <= 32, `XS heap ${r.heapSlots.start} -> ${r.heapSlots.end}`);
});
