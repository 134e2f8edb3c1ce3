// A device that goes away between the scan report and the connect: NimBLE's connect then waits
// forever, blocks every other connect and even scanning. Links that are held keep working; when
// another link needs the radio, only a restart clears it: the firmware restarts itself, at a bounded
// rate, with the reason in flash. (The Node transport cannot reboot: the device halts there.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

// the firmware's figures (ble-central CONNECT_TIMEOUT_MS, HANG_CONFIRM_MS; ble-recovery's first step)
const CONNECT_TIMEOUT_MS = 4_000, HANG_CONFIRM_MS = 3_000, RESTART_MIN_UPTIME_MS = 120_000;

const flash = new Map<string, unknown>();
const h = await startLinks([
  { address: "A4:C1:38:00:05:01", id: "house" },
  { address: "A4:C1:38:00:05:02", id: "garage" },
], { flash });
const [house, garage] = h.links;
const housePeripheral = h.device.ble.find("A4:C1:38:00:05:01")!;
const garagePeripheral = h.device.ble.find("A4:C1:38:00:05:02")!;

test("a connect that hangs leaves the held link alone", async () => {
  await h.run(RESTART_MIN_UPTIME_MS); // past the restart rate limit's first step
  assert.ok(house.connected && garage.connected);
  h.device.ble.vanishOnConnect = garagePeripheral;
  h.device.ble.drop(garagePeripheral);
  await h.run(CONNECT_TIMEOUT_MS + 1_000);
  assert.ok(h.device.ble.pendingConnect, "NimBLE still waits for garage");
  assert.equal(garage.stats.connectTimeouts, 1);
  const at = h.clock.now();
  await h.run(60_000);
  assert.equal(house.connected, true);
  assert.ok(h.readings.some((r) => r.id === "house" && r.at > at + 50_000), "house keeps its readings");
  assert.equal(h.device.halted, undefined, "no restart while nobody else needs the radio");
});

test("when another link needs the radio, the firmware restarts itself and says why, soon enough to read it within two poll intervals", async () => {
  h.device.ble.drop(housePeripheral);
  const at = h.clock.now();
  while (!h.device.halted && h.clock.now() - at < 60_000) await h.run(250);
  assert.match(h.device.halted ?? "", /System\.restart/);
  assert.ok(h.clock.now() - at <= HANG_CONFIRM_MS + 1_000, `restart ${h.clock.now() - at} ms after house dropped`);
  assert.match(String(flash.get("jbdble/rstReason")), /connect to garage hangs/);
  assert.equal(flash.get("jbdble/rstCount"), 1);
  assert.ok(h.logs.some((l) => /restarting:.*garage/.test(l)));
});
