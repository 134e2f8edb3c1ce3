// Console "reconnect ble": with no connect pending it only checks the stack; with one pending
// (NimBLE can't cancel it) the gateway restarts at once, whatever the rate limit says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

const flash = new Map<string, unknown>();
const h = await startLinks([{ address: "A4:C1:38:00:07:01", id: "house" }], { flash });
const peripheral = h.device.ble.find("A4:C1:38:00:07:01")!;

test("nothing pending: the stack is checked, nothing restarts", async () => {
  await h.run(2 * POLL_MS);
  await h.device.invoke(() => h.central.recover("console: reconnect ble"));
  await h.run(POLL_MS);
  assert.equal(h.device.halted, undefined);
  assert.equal(h.links[0].connected, true);
});

test("a connect pending: restart now (uptime far below the rate limit's first step), the reason kept", async () => {
  h.device.ble.vanishOnConnect = peripheral;
  h.device.ble.drop(peripheral);
  await h.run(1_000);
  assert.ok(h.device.ble.pendingConnect);
  await h.device.invoke(() => h.central.recover("console: reconnect ble"));
  assert.match(h.device.halted ?? "", /System\.restart/);
  assert.match(String(flash.get("jbdble/rstReason")), /console: reconnect ble \(a connect is pending\)/);
});
