// The Wi-Fi manager on the virtual device (this Node process, virtual time) with the wifi double of
// xs6wifi.c: reason -1 covers wrong passwords and weak signals alike; new credentials take effect.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { VirtualDevice, manifestConfig } from "../virtual/device";
import { NodeTransport } from "../virtual/transport";
import type { Logger } from "../../modules/link/logger";

const clock = new VirtualClock();
const logs: string[] = [];
const events: string[] = [];
let wifi: import("../../modules/net/wifi-manager").WifiManager;
let Net: { get(p: string): unknown };

const device = new VirtualDevice({
  clock, config: manifestConfig({ mqttHost: "" }), mac: "24:6f:28:0a:0b:0c",
  transport: new NodeTransport(async () => {
    const { WifiManager } = await import("../../modules/net/wifi-manager");
    Net = (await import("../doubles/net")).default;
    const log: Logger = {
      error: (m, v) => logs.push(`E ${m} ${v ?? ""}`), warn: (m, v) => logs.push(`W ${m} ${v ?? ""}`),
      info: (m, v) => logs.push(`I ${m} ${v ?? ""}`), debug: () => {},
    };
    wifi = new WifiManager("virtual-ap", "wrong-pass", { onUp: () => events.push("up"), onDown: () => events.push("down") }, log);
  }),
});

before(async () => { await device.boot(); });
after(async () => { await device.close(); });

test("the MAC exists only once station mode is initialised", async () => {
  let before: unknown, after: unknown;
  await device.invoke(() => { before = Net.get("MAC"); wifi.initStation(); after = Net.get("MAC"); });
  assert.equal(before, undefined);
  assert.equal(after, "24:6F:28:0A:0B:0C");
});

test("a wrong password: reported as a handshake failure that may be either cause, retried with backoff", async () => {
  await device.invoke(() => wifi.start());
  await device.run(5 * 60_000);
  assert.equal(wifi.up, false);
  assert.ok(wifi.handshakeFailures >= 4, `failures: ${wifi.handshakeFailures}`);
  assert.equal(wifi.lastError, "handshake failed or timed out (wrong password, or a weak signal)");
  assert.ok(!logs.some((l) => /password rejected/.test(l)));
  assert.equal(logs.filter((l) => /times in a row/.test(l)).length, 1, "the hint once, not every time");
});

test("new credentials reconnect at once", async () => {
  await device.invoke(() => wifi.setCredentials("virtual-ap", "virtual-pass"));
  await device.run(2_000);
  assert.equal(wifi.up, true);
  assert.equal(wifi.lastError, "");
  assert.deepEqual(events, ["up"]);
});

test("reconnect while up: xs6wifi.c takes the drop as a silent retry of the new connect; no flapping afterwards", async () => {
  const drops = wifi.drops;
  await device.invoke(() => wifi.reconnect());
  await device.run(2_000);
  assert.equal(device.wifi.connected, true, "connected again");
  await device.run(5 * 60_000);
  assert.equal(wifi.up, true);
  assert.equal(wifi.drops, drops, "the application never heard of the drop");
  assert.deepEqual(events, ["up"]);
});

test("an empty SSID stops Wi-Fi", async () => {
  await device.invoke(() => wifi.setCredentials("", ""));
  await device.run(60_000);
  assert.equal(wifi.up, false);
  assert.deepEqual(events, ["up", "down"]);
  assert.equal(wifi.configured, false);
  assert.equal(device.wifi.connected, false);
  assert.ok(!logs.some((l) => /ssid required|Wi-Fi connect/.test(l)), "no attempts without an SSID");
});
