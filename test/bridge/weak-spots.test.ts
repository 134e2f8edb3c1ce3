// The bridge against a real broker, for what no other bridge test pinned down: the unit Home
// Assistant is told for every sensor (the state payload's unit, from the README's table), and
// the console reply limit on console/out. Each test here was checked to fail with a small
// plausible bug put into modules/bridge by hand.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../lib/broker";
import { Harness } from "./harness";
import { DP04S007, SP04S034 } from "./fake-bms";
import { parseDiscovery, type Discovered } from "./home-assistant";
import { sleep } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

/** The unit of each state/diag value as the payload carries it (README "state" and "diag"). */
const UNITS: Record<string, string | undefined> = {
  voltage: "V", current: "A", power: "W", soc: "%", remaining: "Ah", nominal: "Ah", full_charge: "Ah", cycles: undefined,
  cell_min: "V", cell_max: "V", cell_delta: "V", cell_avg: "V", cell_min_no: undefined, cell_max_no: undefined,
  balance_current: "A", humidity: "%", rssi: "dBm", link_connects: undefined, link_drops: undefined, polls_failed: undefined,
  latency: "ms", uptime: "s", mqtt_connects: undefined,
  energy_charged: "kWh", energy_discharged: "kWh", time_to_empty: "s", time_to_full: "s",
  protection_text: undefined, alarm_text: undefined, balancing_text: undefined,
};
const unitOf = (object: string) => /^temp_\d+$/.test(object) ? "°C" : /^cell_\d+$/.test(object) ? "V" : UNITS[object];

function sensors(h: Harness): Discovered[] {
  const out: Discovered[] = [];
  for (const [topic, text] of h.discovery()) if (text && topic.startsWith(h.haPrefix + "/sensor/")) out.push(parseDiscovery(h.haPrefix, topic, text));
  return out;
}

test("discovery: every sensor announces the unit its value is in", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const plain = h.add("house", SP04S034), extended = h.add("van", DP04S007);
  h.linkUp(plain);
  h.linkUp(extended);
  await h.quiet();
  const list = sensors(h);
  const seen = new Set(list.map((d) => d.object));
  for (const object of Object.keys(UNITS)) assert.ok(seen.has(object), `a sensor ${object} was announced`);
  assert.ok(seen.has("temp_1") && seen.has("cell_1"));
  for (const d of list) {
    assert.ok(d.object in UNITS || /^(temp|cell)_\d+$/.test(d.object), `${d.topic}: a sensor this test knows`);
    assert.equal(d.config.unit_of_measurement, unitOf(d.object), `${d.topic}: unit`);
  }
  // and the values are really in those units: the pack of SP04S034 is 100 Ah nominal, 15.6 V
  const state = h.consumer.lastJson(h.topic(plain, "state"));
  assert.ok(state.nominalCapacity > 1 && state.nominalCapacity < 1000, `nominalCapacity ${state.nominalCapacity} is in Ah`);
  assert.ok(state.voltage > 10 && state.voltage < 20, `voltage ${state.voltage} is in V`);
});

test("console/out: a reply up to 2048 characters is published whole, a longer one is cut at 2048 and marked", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  h.bridge.setConsoleHandler((line, reply) => reply("z".repeat(Number(line))));
  await sleep(100); // the subscription is sent on the live connection
  const out = h.topic(h.gateway, "console/out");
  const answer = async (n: number) => {
    const since = h.consumer.messages.length;
    await h.command(h.topic(h.gateway, "console"), String(n));
    return (await h.consumer.waitForTopic(out, 3000, since)).text;
  };
  assert.equal(await answer(2048), "z".repeat(2048), "exactly the limit: whole");
  assert.equal(await answer(2049), "z".repeat(2048) + "\n...(cut)", "one over: cut");
  assert.equal(await answer(20_000), "z".repeat(2048) + "\n...(cut)");
  assert.equal(await answer(5), "zzzzz");
});
