// A configured BMS that is not there when the gateway starts (and stays away for hours) must not
// take the other links down: a connect to it would hang forever in NimBLE and block every other one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

const HOUR = 3600_000;
const h = await startLinks([
  { address: "A4:C1:38:00:02:01", id: "away", absent: true }, // first in the list: first to be tried
  { address: "A4:C1:38:00:02:02", id: "house" },
  { address: "A4:C1:38:00:02:03", id: "garage" },
]);
const [away, house, garage] = h.links;

test("the present BMS come up and are polled while the first configured one is absent", async () => {
  await h.run(2 * POLL_MS);
  assert.equal(house.connected, true);
  assert.equal(garage.connected, true);
  assert.ok(h.readings.some((r) => r.id === "house") && h.readings.some((r) => r.id === "garage"));
  assert.equal(away.connected, false);
  assert.equal(away.stats.connectAttempts, 0, "never connected to: it was never heard advertising");
  assert.equal(h.device.ble.pendingConnect, undefined, "no connect left hanging");
});

test("hours later, a present BMS that drops is read again within two poll intervals", async () => {
  await h.run(2 * HOUR);
  const before = house.stats.pollsOk;
  assert.ok(house.connected && garage.connected);
  const dropAt = h.clock.now();
  h.device.ble.drop(h.device.ble.find("A4:C1:38:00:02:02")!);
  await h.run(2 * POLL_MS);
  assert.ok(h.readings.some((r) => r.id === "house" && r.at > dropAt), "a reading after the drop");
  assert.ok(house.stats.pollsOk > before);
  assert.equal(h.device.fatalErrors, 0);
});

test("when the absent BMS finally appears it is connected and read within two poll intervals", async () => {
  const p = h.device.ble.find("A4:C1:38:00:02:01")!;
  h.device.ble.appear(p);
  const back = h.clock.now();
  await h.run(2 * POLL_MS);
  assert.equal(away.connected, true);
  assert.ok(h.readings.some((r) => r.id === "away" && r.at > back));
  assert.equal(h.device.fatalErrors, 0);
  assert.equal(h.device.halted, undefined, "no restart was needed");
});
