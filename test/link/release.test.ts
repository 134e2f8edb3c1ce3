// Releasing a BMS link to the JBD phone app (a BMS takes one central at a time), on virtual time:
// the link closes, stays closed while the BMS advertises, and comes back by itself when the time is
// over, or at once when resumed; a connect already under way when the release comes is refused.
// Calls go through device.invoke: BLE calls made outside a callback reach the SDK doubles only there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

const MINUTE = 60_000;

// One harness per file (the doubles are modules): a slow-to-connect BMS for the connect under way,
// one for the release timer and resume, one absent at boot.
const h = await startLinks([
  { address: "A4:C1:38:00:07:04", id: "slow", connectDelayMs: 3_000 },
  { address: "A4:C1:38:00:07:01", id: "house" },
  { address: "A4:C1:38:00:07:03", id: "away", absent: true },
]);
const [slow, house, away] = h.links;

/** What the link says is left of its release, read on the device (Time runs there). */
async function remaining(link: { releaseRemainingMs: number }): Promise<number> {
  let ms = -1;
  await h.device.invoke(() => { ms = link.releaseRemainingMs; });
  return ms;
}

test("a connect under way when the release comes cannot be cancelled: it is refused when it arrives", async () => {
  await h.runUntil(() => slow.stateName === "connecting", 10_000, 5);
  await h.device.invoke(() => { slow.release(10); });
  assert.equal(slow.stateName, "released");
  await h.run(10_000); // the connect completes meanwhile
  assert.equal(slow.stateName, "released");
  assert.equal(slow.connected, false);
  assert.equal(slow.stats.connects, 0);
  assert.equal(h.central.connecting, undefined, "nothing left pending at the central");
  assert.equal(h.device.fatalErrors, 0);
  await h.device.invoke(() => { slow.resume(); });
  await h.runUntil(() => slow.online, 30_000);
});

test("a released link closes, stays closed for its minutes, then comes back by itself", async () => {
  await h.runUntil(() => house.online, 30_000);
  const drops = house.stats.drops, connects = house.stats.connects;
  await h.device.invoke(() => { house.release(2); });
  await h.runUntil(() => house.stateName === "released", 5_000);
  assert.equal(house.connected, false);
  assert.equal(house.released, true);
  assert.equal(h.availability.filter((a) => a.id === "house").at(-1)!.online, false, "offline, by release");
  assert.ok(h.logs.some((l) => l.includes("BMS link released:") && l.includes("house for 2 min")));
  const readings = () => h.readings.filter((r) => r.id === "house").length;
  const readingsBefore = readings();
  await h.run(MINUTE + 50_000); // the BMS advertises all along
  assert.equal(house.stateName, "released");
  assert.equal(house.stats.connects, connects, "no connection while released");
  assert.equal(readings(), readingsBefore, "no reading while released");
  const left = await remaining(house);
  assert.ok(left > 0 && left <= 10_000, `${left} ms left`);
  await h.runUntil(() => house.online, 10_000 + 30_000);
  assert.equal(house.released, false);
  assert.equal(house.stats.connects, connects + 1);
  assert.equal(house.stats.drops, drops, "a release is not a drop");
  assert.ok(h.logs.some((l) => l.includes("release over:house (release time over)")));
  assert.equal(h.device.fatalErrors, 0);
});

test("resume ends a release at once; reconnect does too; a second release sets a new end", async () => {
  await h.runUntil(() => house.online, 30_000);
  await h.device.invoke(() => { house.release(60); });
  await h.runUntil(() => house.stateName === "released", 5_000);
  await h.device.invoke(() => { house.release(5); });
  const left = await remaining(house);
  assert.ok(left > 4 * MINUTE && left <= 5 * MINUTE, `the later release decides the end: ${left} ms left`);
  const resumed: boolean[] = [];
  await h.device.invoke(() => { resumed.push(house.resume("test"), house.resume("test")); });
  assert.deepEqual(resumed, [true, false], "the second resume finds nothing to end");
  const back = await h.runUntil(() => house.online, 30_000);
  assert.ok(back < 2 * POLL_MS, `back after ${back} ms`);
  await h.device.invoke(() => { house.release(60); });
  await h.runUntil(() => house.stateName === "released", 5_000);
  await h.device.invoke(() => { house.reconnect(); });
  await h.runUntil(() => house.online, 30_000);
  assert.equal(house.released, false);
});

test("released while the BMS is absent: the link does not wait for it until resumed", async () => {
  await h.run(5_000);
  assert.equal(away.stateName, "waiting");
  const told = h.availability.filter((a) => a.id === "away").length;
  await h.device.invoke(() => { away.release(10); });
  assert.equal(away.stateName, "released");
  assert.equal(h.availability.filter((a) => a.id === "away").length, told + 1, "availability told, though it was offline already (it now says released)");
  assert.equal(away.wantsConnection, false);
  h.device.ble.appear(h.device.ble.find("A4:C1:38:00:07:03")!);
  await h.run(20_000);
  assert.equal(away.stats.connectAttempts, 0, "not connected to while released");
  await h.device.invoke(() => { away.resume(); });
  await h.runUntil(() => away.online, 30_000);
});
