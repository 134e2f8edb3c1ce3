// The whole firmware on XS with the default `bms = "*"`: a pack found by scanning is named after its
// MAC (not "bms1", which every gateway would share), the id survives a reboot (the address found is
// kept in flash), and a deliberate restart says why on the gateway's diag.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { Broker, Consumer } from "../lib/broker";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";

const broker = new Broker();
await broker.start();
const consumer = await Consumer.connect(broker.port, ["jbd/#"]);
const flash = new Map<string, unknown>();
const clock = new VirtualClock();
let scenario: Scenario | undefined;
after(async () => { await scenario?.device.close(); await consumer.close(); await broker.stop(); });

async function boot(): Promise<Scenario> {
  await scenario?.device.close();
  scenario = createScenario({ clock, transport: new XsTransport(), broker: { host: "127.0.0.1", port: broker.port }, bmsCount: 1, flash, config: { bms: "*" } });
  await scenario.device.boot();
  return scenario;
}
const settle = async (s: Scenario, ms: number) => { await s.device.run(ms); await new Promise((r) => setTimeout(r, 100)); };
const topics = () => consumer.messages.map((m) => m.topic);

test("a pack found by scanning is published under its MAC, and the address is kept in flash", async () => {
  const s = await boot();
  await settle(s, 15_000);
  assert.ok(topics().includes("jbd/a4c1385a0001/state"), topics().filter((t) => t.endsWith("/state")).join(", "));
  assert.ok(!topics().some((t) => t.startsWith("jbd/bms1/")), "never as bms1");
  assert.match(String(flash.get("jbdble/found1")), /^a4c1385a0001 \*$/);
  assert.equal(s.device.fatalErrors, 0);
});

test("after a reboot the same id is used from the start", async () => {
  consumer.messages.length = 0;
  const s = await boot();
  await settle(s, 15_000);
  assert.ok(topics().includes("jbd/a4c1385a0001/state"));
  assert.ok(!topics().some((t) => t.startsWith("jbd/bms1/")));
});

test("System.restart() reboots the firmware with flash kept; a deliberate restart's reason is on the gateway diag", async () => {
  const s = scenario!;
  flash.set("jbdble/rstReason", "BLE connect to house hangs while other links wait"); // as ble-recovery writes it
  const restarts = s.device.restarts;
  s.device.type("reboot\r");
  await settle(s, 2_000);
  assert.equal(s.device.restarts, restarts + 1);
  consumer.messages.length = 0;
  await settle(s, 70_000); // the first diag comes after 60 s
  const diag = consumer.messages.find((m) => /^jbd\/jbd-gw-[0-9a-f]+\/diag$/.test(m.topic));
  assert.ok(diag, topics().join(", "));
  assert.match(diag.text, /"restartReason":"BLE connect to house hangs while other links wait"/);
  assert.ok(topics().includes("jbd/a4c1385a0001/state"), "the pack is read again after the restart");
  assert.equal(flash.get("jbdble/rstReason"), undefined, "the reason is reported once");
});
