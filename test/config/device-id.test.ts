// The gateway's id: made once (stored id, else the Wi-Fi MAC, else random) and kept in flash, so it
// never depends on whether Wi-Fi happened to be initialised at a given boot (modNet.c).
import { test } from "node:test";
import assert from "node:assert/strict";
import { deviceId, macSuffix, type DeviceIdStore } from "../../modules/config/device-id";
import { Config } from "../../modules/config/config";
import { FakeStore } from "./fakes";

function memory(initial?: string): DeviceIdStore & { value?: string; writes: number } {
  const s = { value: initial, writes: 0, get: () => s.value, set: (id: string) => { s.value = id; s.writes++; } };
  return s;
}

test("MAC suffix: last three bytes in lowercase; none for missing, malformed or all-zero MACs", () => {
  assert.equal(macSuffix("24:6F:28:A1:B2:C3"), "a1b2c3");
  assert.equal(macSuffix(undefined), undefined);
  assert.equal(macSuffix("00:00:00:00:00:00"), undefined, "an interface whose MAC is not set yet");
  assert.equal(macSuffix("24:6F:28"), undefined);
  assert.equal(macSuffix(42), undefined);
});

test("first boot with a MAC: taken from it and stored; later boots keep it even without a MAC", () => {
  const store = memory();
  assert.deepEqual(deviceId(store, () => "24:6F:28:A1:B2:C3", Math.random), { suffix: "a1b2c3", source: "mac" });
  assert.equal(store.value, "a1b2c3");
  assert.deepEqual(deviceId(store, () => undefined, Math.random), { suffix: "a1b2c3", source: "stored" });
  assert.deepEqual(deviceId(store, () => "24:6F:28:00:00:01", Math.random), { suffix: "a1b2c3", source: "stored" }, "stable");
  assert.equal(store.writes, 1);
});

test("no MAC at the first boot: three random bytes, stored; not stored when nothing uses the id yet", () => {
  const store = memory();
  const values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.99];
  const id = deviceId(store, () => undefined, () => values.shift()!);
  assert.deepEqual(id, { suffix: "13468f", source: "random" });
  assert.equal(store.value, "13468f");
  const idle = memory();
  assert.equal(deviceId(idle, () => "24:6F:28:A1:B2:C3", Math.random, false).suffix, "a1b2c3");
  assert.equal(idle.writes, 0, "a boot without a broker leaves flash alone");
  const bad = memory("not-hex");
  assert.equal(deviceId(bad, () => "24:6F:28:A1:B2:C3", Math.random).source, "mac", "a damaged stored id is replaced");
});

test("flash failures never stop the boot: the id is used and the reason given", () => {
  const failing: DeviceIdStore = { get: () => { throw new Error("nvs get fail"); }, set: () => { throw new Error("nvs set fail"); } };
  const id = deviceId(failing, () => "24:6F:28:A1:B2:C3", Math.random);
  assert.equal(id.suffix, "a1b2c3");
  assert.match(id.warning!, /device id not stored \(nvs set fail\)/);
  const throwingMac = deviceId(memory(), () => { throw new Error("no interface"); }, () => 0);
  assert.equal(throwingMac.suffix, "000000");
});

test("the config's default gateway name follows the device id; a configured name wins", () => {
  const config = new Config({ store: new FakeStore(), build: {} });
  assert.equal(config.gatewayName(), "jbd-gw");
  config.useDeviceId("a1b2c3");
  assert.equal(config.gatewayName(), "jbd-gw-a1b2c3");
  assert.equal(config.display("gatewayName"), "jbd-gw-a1b2c3 (derived)");
  config.set("gatewayName", "shed");
  assert.equal(config.gatewayName(), "shed");
});
