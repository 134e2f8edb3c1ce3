// Maintenance functions over MQTT and Home Assistant (issue 12 part 6), against a real broker
// (aedes): a button per allowed function (none by default, following the setting at run time), a
// press reaches the link and its answer comes back; bad payloads, unknown BMS and retained requests
// are answered and reach no BMS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import { Harness } from "./harness";
import { SP04S034, type FakeBms } from "./fake-bms";
import { assertAccepted, haView, parseDiscovery } from "./home-assistant";
import { sleep, until } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

async function answer(h: Harness, bms: FakeBms, payload: string): Promise<any> {
  const since = h.consumer.messages.length;
  await h.command(h.topic(bms, "maintenance/set"), payload);
  return JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "maintenance/result"), 3000, since)).text);
}

/** The maintenance buttons Home Assistant holds now for the pack. */
function buttons(h: Harness): Map<string, Record<string, any>> {
  const out = new Map<string, Record<string, any>>();
  for (const [topic, text] of haView(h.haPrefix, h.consumer.messages)) {
    if (!text) continue;
    const d = parseDiscovery(h.haPrefix, topic, text);
    if (d.node === "jbd_house" && d.component === "button" && d.config.command_topic?.endsWith("/maintenance/set")) {
      assertAccepted(d);
      out.set(d.object, d.config);
    }
  }
  return out;
}

test("no maintenance button by default; each allowed function gets one, and the setting is followed at run time", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  assert.deepEqual([...buttons(h).keys()], []);
  h.bridge.setMaintenance("capacity,counters");
  await h.quiet();
  let list = buttons(h);
  assert.deepEqual([...list.keys()].sort(), ["clear_counters", "reset_capacity"]);
  const reset = list.get("reset_capacity")!;
  assert.equal(reset.command_topic, h.topic(bms, "maintenance/set"));
  assert.equal(reset.payload_press, "capacity");
  assert.equal(reset.entity_category, "config");
  assert.equal(list.get("clear_counters")!.payload_press, "counters");
  h.bridge.setMaintenance("protection");
  await h.quiet();
  list = buttons(h);
  assert.deepEqual([...list.keys()], ["clear_protection"], "HA removes the buttons no longer allowed");
  assert.equal(list.get("clear_protection")!.payload_press, "protection");
});

test("a press reaches the link and its answer comes back on maintenance/result", async (t) => {
  const h = await Harness.start(broker, { settings: { maintenance: "protection" } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  assert.deepEqual(await answer(h, bms, "protection"), { function: "protection", ok: true, before: { soc: 50 }, after: { soc: 61 } });
  bms.maintenanceAnswer = { ok: false, error: "not allowed by the configuration" };
  assert.deepEqual(await answer(h, bms, " Counters "), { function: "counters", ok: false, error: "not allowed by the configuration", before: { soc: 50 }, after: { soc: 61 } });
  assert.deepEqual(bms.maintenanceCalls, ["protection", "counters"], "the link decides what is allowed, and says so");
});

test("a bad payload is refused with the functions to send, and reaches no BMS", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  for (const payload of ["PRESS", "sleep", "power-down", "x".repeat(40)]) {
    const r = await answer(h, bms, payload);
    assert.equal(r.ok, false, payload);
    assert.match(r.error, /^invalid payload .*: send one of capacity, protection, counters$/, payload);
  }
  assert.deepEqual(bms.maintenanceCalls, []);
  assert.ok(h.bridge.connection.stats.oversizedPayloads >= 1);
});

test("maintenance/set for a BMS this gateway lacks is answered on the gateway's error topic", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const since = h.consumer.messages.length;
  await h.command(h.topic("garage", "maintenance/set"), "counters");
  const error = JSON.parse((await h.consumer.waitForTopic(h.topic(h.gateway, "error"), 3000, since)).text);
  assert.equal(error.topic, h.topic("garage", "maintenance/set"));
  assert.match(error.error, /^unknown BMS in '.+' \(this gateway has: house\)$/);
  assert.deepEqual(bms.maintenanceCalls, []);
});

test("a retained maintenance request is never obeyed after a reconnect; its retained copy is deleted", async (t) => {
  const h = await Harness.start(broker, { settings: { maintenance: "counters" } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const topic = h.topic(bms, "maintenance/set");
  await h.consumer.client.publishAsync(topic, "counters", { qos: 0, retain: true }); // a user's mistake
  await until(() => bms.maintenanceCalls.length === 1, 3000, "obeyed once, live");
  const connects = h.bridge.connection.stats.connects;
  const since = h.consumer.messages.length;
  broker.dropClients();
  await until(() => h.bridge.connection.stats.connects > connects, 10_000, "reconnected");
  await until(() => h.bridge.connection.messagesLive, 5000, "messages live again");
  const refusal = JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "maintenance/result"), 5000, since)).text);
  assert.match(refusal.error, /^not obeyed: it came before the gateway's subscriptions were live/);
  assert.equal(bms.maintenanceCalls.length, 1, "the replay reached no BMS");
  const probe = await Consumer.connect(broker.port, [topic]);
  await sleep(200);
  assert.equal(probe.messages.find((m) => m.topic === topic && m.retain), undefined, "the retained copy was deleted");
  await probe.close();
});
