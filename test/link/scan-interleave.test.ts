// A BMS found by scanning that is missing, while another reconnects: connect() during a scan leaves
// the SDK's scanning flag set, a later stopScanning() then frees the stack under the held links and
// the next startScanning() panics the ESP32. Also a NimBLE host reset while scanning for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

const h = await startLinks([
  { address: "A4:C1:38:00:03:01", id: "house" },
  // scanned for by name, and not around
  { address: "A4:C1:38:00:03:02", name: "JBD-SP04S034", pattern: "JBD-*", configuredAddress: "", id: "missing", absent: true },
]);
const [house] = h.links;
const peripheral = h.device.ble.find("A4:C1:38:00:03:01")!;

test("drops of the held link while the other is scanned for: no panic, the stack stays, readings return", async () => {
  await h.run(2 * POLL_MS);
  assert.equal(house.connected, true);
  for (let i = 0; i < 5; i++) {
    h.device.ble.drop(peripheral);
    const at = h.clock.now();
    await h.run(30_000);
    assert.equal(house.connected, true, `round ${i}: reconnected`);
    assert.ok(h.readings.some((r) => r.id === "house" && r.at > at && r.at <= at + 2 * POLL_MS), `round ${i}: read within two poll intervals`);
  }
  assert.equal(h.device.panics, 0, "startScanning() never ran on a freed record");
  assert.equal(h.device.fatalErrors, 0);
  assert.equal(h.device.ble.counts.deinits, 0, "the stack was never freed under the held link");
});

test("a host reset while scanning for the missing one: detected, no panic, the held link returns", async () => {
  h.device.ble.hostReset();
  const at = h.clock.now();
  await h.run(20_000);
  assert.equal(h.device.panics, 0);
  assert.equal(house.connected, true);
  assert.ok(h.readings.some((r) => r.id === "house" && r.at > at));
  assert.ok(h.central.stackResets >= 1);
});
