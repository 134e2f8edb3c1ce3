// The full republish after a reconnect (availability, state, info, diag and the Home Assistant
// discovery of three packs: tens of KB) through the ESP32's lwIP send buffer as the strict mqtt
// double has it: 8192 bytes, drained only as the broker acknowledges, "can't write all data" when
// a packet does not fit. Everything must arrive, nothing escape, every refusal be counted.
import { haView } from "../bridge/home-assistant";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { Broker, Consumer } from "../lib/broker";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";
import { GATEWAY_ENTITIES, SETTINGS_SLOTS_START, bmsEntity, hasBmsEntity } from "../../modules/bridge/entities";
import { SETTINGS_ENTITY_COUNT } from "../../modules/bridge/settings-entities";

const broker = new Broker();
let scenario: Scenario;
let consumer: Consumer;

/** Discovery objects a pack of this state must have (switches: mosControl is on; its settings read, read-only sensors). */
function expectedObjects(state: { cells: number[]; temperatures: number[]; humidity?: number }): string[] {
  const shape = { cells: state.cells.length, temperatures: state.temperatures.length, extended: state.humidity !== undefined, control: true, settings: 1 };
  const list: string[] = [];
  for (let i = 0; i < SETTINGS_SLOTS_START + SETTINGS_ENTITY_COUNT; i++) if (hasBmsEntity(shape, i)) list.push(bmsEntity(i, shape).component + "/" + bmsEntity(i, shape).object);
  return list.sort();
}

before(async () => {
  await broker.start();
  scenario = createScenario({ clock: new VirtualClock(), transport: new XsTransport(), broker: { host: "127.0.0.1", port: broker.port }, bmsCount: 3, seed: 11 });
  await scenario.device.boot();
  await scenario.device.run(30_000);
});
after(async () => { await consumer?.close(); await scenario.device.close(); await broker.stop(); });

test("after a broker restart, 3 packs' discovery and state arrive complete through an 8 KB send buffer on a slow link", async () => {
  const device = scenario.device;
  device.mqtt.path = { rttMs: 80, bytesPerMs: 8 }; // a weak Wi-Fi link: 8 KB/s
  await broker.stop(); // a crashed broker: every retained message is gone
  await device.run(5_000);
  await broker.start();
  consumer = await Consumer.connect(broker.port, ["jbd/#", "homeassistant/#"]);
  const written = device.mqtt.bytesWritten;
  await device.run(90_000);
  await new Promise((r) => setTimeout(r, 300));
  const republished = device.mqtt.bytesWritten - written;
  assert.ok(republished > 2 * 8192, `the republish is several send buffers: ${republished} bytes`);

  const got = new Map([...consumer.messages.map((m) => [m.topic, m.text] as [string, string]), ...haView("homeassistant", consumer.messages)]);
  const gateway = / I gateway (\S+)/.exec(device.serialOutput)![1];
  assert.equal(got.get(`jbd/${gateway}/availability`), "online");
  for (const entity of GATEWAY_ENTITIES) assert.ok(got.get(`homeassistant/${entity.component}/jbd_gateway_${gateway.replace(/[^a-zA-Z0-9_-]/g, "_")}/${entity.object}/config`), `gateway ${entity.object}`);
  for (const id of scenario.ids) {
    assert.equal(got.get(`jbd/${id}/availability`), "online", id);
    const state = JSON.parse(got.get(`jbd/${id}/state`) ?? "null");
    assert.ok(state, `${id}: state`);
    assert.ok(got.get(`jbd/${id}/info`), `${id}: info`);
    assert.ok(got.get(`jbd/${id}/diag`), `${id}: diag`);
    const announced = [...got].filter(([t, text]) => t.startsWith("homeassistant/") && t.includes(`/jbd_${id}/`) && text)
      .map(([t]) => t.split("/")[1] + "/" + t.split("/")[3]).sort();
    assert.deepEqual(announced, expectedObjects(state), `${id}: every discovery config, none lost`);
  }
  assert.equal(device.fatalErrors, 0, "no exception escaped");
  assert.doesNotMatch(device.serialOutput, /skipped|can't write all data/, "no publish given up");
  const diag = JSON.parse(got.get(`jbd/${gateway}/diag`) ?? "{}");
  assert.ok(diag.mqtt.publishFailures > 0, "the slow link made the socket refuse some writes, and they were counted");
});

/** MQTT publishes refused by the socket so far, as the console's `stats` shows them. */
async function refusals(): Promise<number> {
  const from = scenario.device.serialOutput.length;
  scenario.device.type("stats\r");
  await scenario.device.run(1_000);
  const m = /publishes \d+ \(failed (\d+)\)/.exec(scenario.device.serialOutput.slice(from));
  assert.ok(m, "stats shows MQTT statistics");
  return Number(m[1]);
}

test("on a healthy link (100 KB/s, 50 ms round trip) a full republish is never refused: the pacing fits the send buffer", async () => {
  const device = scenario.device;
  device.mqtt.path = { rttMs: 50, bytesPerMs: 100 };
  const before = await refusals();
  consumer.clear();
  device.type("reconnect mqtt\r");
  await device.run(30_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(consumer.messages.filter((m) => m.topic.startsWith("homeassistant/device/") && m.text).length >= 1 + 3 * 6, "discovery republished");
  assert.equal(await refusals() - before, 0, "no publish refused with \"can't write all data\"");
  assert.equal(device.fatalErrors, 0);
});
