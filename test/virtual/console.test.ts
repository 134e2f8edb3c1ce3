// The serial console of the firmware running in XS, driven as a person at the USB cable would:
// typed lines in, terminal output back. Configuration set there survives a reboot (the flash is
// kept by the host), a bad stored value falls back with a warning, and the same commands answer
// over the MQTT console topic.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { SimulatedBms } from "../sim/bms";
import { Broker, Consumer } from "../lib/broker";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";

const broker = new Broker();
const flash = new Map<string, unknown>();
let clock: VirtualClock;
let scenario: Scenario;

async function bootDevice(): Promise<void> {
  clock = new VirtualClock();
  scenario = createScenario({ clock, transport: new XsTransport(), broker: { host: "127.0.0.1", port: broker.port }, flash, seed: 5 });
  await scenario.device.boot();
  await scenario.device.run(12_000);
}

/** Type a line and return what the terminal shows until the console is idle again. */
async function type(line: string, ms = 3_000): Promise<string> {
  const from = scenario.device.serialOutput.length;
  scenario.device.type(line + "\r");
  await scenario.device.run(ms);
  return scenario.device.serialOutput.slice(from);
}

before(async () => { await broker.start(); await bootDevice(); });
after(async () => { await scenario.device.close(); await broker.stop(); });

test("boot banner, prompt and help", () => {
  assert.match(scenario.device.serialOutput, /jbd-gateway .* type 'help'/);
  assert.match(scenario.device.serialOutput, /jbd> /);
});

test("status, reading, cells and stats describe the live gateway", async () => {
  assert.match(await type("status"), /wifi up[\s\S]*mqtt connected[\s\S]*bms house: ready, online, address A4:C1:38:5A:00:01/);
  const reading = await type("reading");
  assert.match(reading, /house \(.* ago\): \d+\.\d\d V, -?\d+\.\d\d A/);
  assert.match(reading, /charge FET on, discharge FET on/);
  assert.match(await type("cells"), /cells 1:\d\.\d{3}.* 4:\d\.\d{3}[\s\S]*delta \d+ mV/);
  assert.match(await type("stats"), /polls ok \d+, failed 0[\s\S]*latency min \d+/);
});

test("line editing: backspace erases, unknown commands and bad arguments get a usage line", async () => {
  assert.match(await type("statux\x7f\x7fus"), /uptime/);
  assert.match(await type("frobnicate"), /unknown command 'frobnicate'/i);
  assert.match(await type("mos house heater on"), /FET must be charge or discharge[\s\S]*usage: mos/i);
  assert.match(await type("config set pollInterval 0"), /pollInterval: must be an integer 1..3600, got '0'/);
});

test("scan lists nearby BMS with name, address and RSSI", async () => {
  // a neighbour's pack, not configured: it advertises (the configured one is connected, so it doesn't)
  scenario.device.ble.add({ address: "A4:C1:37:00:BE:EF", name: "JBD-SP04S034-L4S-200A-B-U", sim: new SimulatedBms(clock, { seed: 9 }), rssi: -71 });
  const out = await type("scan 2", 4_000);
  assert.match(out, /scanning for 2 s/);
  assert.match(out, /A4:C1:37:00:BE:EF\s+-7\d dBm\s+JBD-SP04S034-L4S-200A-B-U/);
  assert.match(out, /[1-4] device\(s\) seen/, "the pack, and the neighbours the scan caught");
  assert.match(out, /connected \(house\): does not advertise while connected/);
});

test("mos through the console: closed loop, confirmed by reading back", async () => {
  assert.match(await type("mos house charge off"), /ok: charge FET off confirmed \(now charge off, discharge on\)/);
  assert.equal(scenario.sims[0].pack.read().fet.charge, false);
  assert.match(await type("mos charge on"), /ok: charge FET on confirmed/);
});

test("maintenance on XS: refused until the serial console allows it, then run and read back", async () => {
  assert.match(await type("maintenance house counters", 6_000), /house: failed: not allowed by the configuration \(on the serial console: config set maintenance counters\)/);
  assert.match(await type("config set maintenance counters"), /maintenance = counters/);
  assert.match(await type("maintenance house counters", 6_000), /house: ok: counters done \(before: error counters: \d+; after: error counters: 0\)/);
  assert.equal(scenario.sims[0].stats.controls[0x0200], 1);
  assert.match(await type("config set maintenance none"), /maintenance = \(empty\)/);
});

test("raw frames and capture mode show the bytes in hex", async () => {
  const raw = await type("send house read 0x05");
  assert.match(raw, /tx dda50500fffb77/);
  assert.match(raw, /rx dd0500/);
  assert.match(raw, /"hardwareVersion":"JBD-SP04S034-L4S-200A-B-U"/);
  const captured = await type("capture on", 6_000);
  assert.match(captured, /house tx dda50300fffd77/);
  assert.match(captured, /house rx dd0300/);
  await type("capture off");
});

test("secrets are never printed", async () => {
  await type('config set mqttPassword "s3cret-pass"');
  const shown = await type("config");
  assert.doesNotMatch(shown, /s3cret-pass/);
  assert.match(shown, /mqttPassword\s+\*\*\*\*/);
});

test("the same commands answer over the MQTT console topic", async () => {
  const consumer = await Consumer.connect(broker.port, ["jbd/+/console/out"]);
  await consumer.publish("jbd/jbd-gw-a1b2c3/console", "status");
  await new Promise((r) => setTimeout(r, 50));
  await scenario.device.run(2_000);
  const reply = await consumer.waitForTopic("jbd/jbd-gw-a1b2c3/console/out", 2_000, 0);
  assert.match(reply.text, /bms house: ready, online/);
  await consumer.close();
});

test("configuration survives a reboot; a bad stored value falls back with a warning", async () => {
  assert.match(await type("config set pollInterval 10"), /pollInterval = 10/);
  await scenario.device.close();
  flash.set("jbd/mqttPort", 99_999); // out of range: must not brick the gateway
  await bootDevice();
  assert.match(scenario.device.serialOutput, /mqttPort/i, "a warning names the bad setting");
  const shown = await type("config get pollInterval");
  assert.match(shown, /pollInterval = 10\s+\[stored\]/);
  const status = await type("status");
  assert.match(status, /mqtt connected/, status + scenario.device.serialOutput.slice(0, 1500));
  assert.equal(scenario.device.fatalErrors, 0);
});
