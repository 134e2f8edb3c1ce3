// The console's `energy` command against real links on virtual time: totals and runtime per pack,
// `energy reset <bms>` (a change: refused over MQTT unless remoteConsole is full), usage errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import Timer from "timer";
import { startLinks } from "../link/harness";
import { CommandRegistry } from "../../modules/console/registry";
import { CaptureOutput } from "../../modules/console/output";
import { registerGatewayCommands, useTimer, type GatewayParts } from "../../modules/console/gateway-commands";
import type { WifiManager } from "../../modules/net/wifi-manager";

const HOUSE = "A4:C1:38:00:0E:11", GARAGE = "A4:C1:38:00:0E:12";
const flash = new Map<string, unknown>();
const h = await startLinks([{ address: HOUSE, id: "house" }, { address: GARAGE, id: "garage" }], { flash, energyFlash: true });
const [house, garage] = h.links;
const parts: GatewayParts = {
  links: h.links, central: h.central, wifi: { configured: false } as unknown as WifiManager,
  mqttStatus: () => [], mqttReconnect: () => {}, mosControl: () => true, print: () => {}, restart: () => false, uptimeSeconds: () => 0,
};
const registry = new CommandRegistry();
registerGatewayCommands(registry, parts);
useTimer((fn, ms) => Timer.set(fn, ms));

async function run(line: string): Promise<string> {
  const out = new CaptureOutput(1 << 14);
  await h.device.invoke(() => { registry.run(line, out); });
  return out.text();
}

test("energy: each pack's totals, runtime, flash writes and gaps", async () => {
  h.sims[0].setCurrent(-20);
  h.sims[1].setCurrent(0);
  await h.runUntil(() => house.online && garage.online, 60_000, 50);
  await h.run(3600_000);
  const text = await run("energy");
  const [houseLine, houseFlash, garageLine] = text.split("\n");
  assert.match(houseLine, /^house: charged 0\.000 kWh, discharged 0\.2\d\d kWh, time to empty \d+ h \d+ min, time to full -$/);
  assert.match(houseFlash, /^ {2}flash writes \d+ \(failed 0\), gaps not integrated 0$/);
  assert.equal(garageLine, "garage: charged 0.000 kWh, discharged 0.000 kWh, time to empty -, time to full -", "idle: no estimate");
  assert.equal((await run("energy garage")).split("\n")[0], garageLine);
  assert.equal(await run("energy house garage"), "usage: energy [bms] | energy reset <bms>\n");
});

test("energy reset <bms>: that pack's totals to zero, in flash at once; the BMS must be named", async () => {
  assert.ok(house.energy.dischargedWh > 200);
  assert.equal(await run("energy reset"), "usage: energy [bms] | energy reset <bms>\n");
  assert.match(await run("energy reset shed"), /no BMS 'shed'/);
  assert.equal(await run("energy reset house"), "house: energy totals reset to 0 kWh\n");
  assert.equal(house.energy.dischargedWh, 0);
  assert.equal(flash.get("jbd-energy/d1"), 0);
  await h.run(60_000);
  assert.ok(house.energy.dischargedWh > 0, "and counts on");
});

test("energy reset changes the gateway: read-only remotely; plain energy reads", () => {
  assert.equal(registry.accessOf("energy reset house").access, "change");
  assert.equal(registry.accessOf("energy").access, "read");
  assert.equal(registry.accessOf("energy house").access, "read");
});
