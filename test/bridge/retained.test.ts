// Retained commands are never obeyed (issue 11): against a real broker (aedes), a retained OFF on a
// MOS topic and a retained console line are replayed by the broker at every reconnect of the
// gateway; the SDK's onMessage does not say which messages are replays (no retain flag), so the
// bridge tells them apart with its marker (modules/bridge/replay-guard.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import { Harness } from "./harness";
import { SP04S034 } from "./fake-bms";
import { sleep, until } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

/** Cut the gateway's connection (retained messages stay) and wait until it is back and live. */
async function reconnect(h: Harness): Promise<void> {
  const connects = h.bridge.connection.stats.connects;
  broker.dropClients();
  await until(() => h.bridge.connection.stats.connects > connects, 10_000, "reconnected");
  await until(() => h.bridge.connection.messagesLive, 5000, "messages live again");
  await h.quiet();
}

async function retainedOn(topic: string): Promise<string | undefined> {
  const probe = await Consumer.connect(broker.port, [topic]);
  await sleep(200);
  const text = probe.messages.find((m) => m.topic === topic && m.retain)?.text;
  await probe.close();
  return text;
}

test("a retained OFF on a MOS topic: obeyed once when it is sent, never again when the broker replays it", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const topic = h.topic(bms, "mos/charge/set");
  await h.consumer.client.publishAsync(topic, "OFF", { qos: 0, retain: true }); // a user's mistake
  await until(() => bms.mosCalls.length === 1, 3000, "the live command ran");
  assert.equal(await retainedOn(topic), "OFF", "the broker keeps it");

  const since = h.consumer.messages.length;
  await reconnect(h);
  assert.equal(bms.mosCalls.length, 1, "the replay switched nothing");
  const refusal = h.consumer.messages.slice(since).find((m) => m.topic === h.topic(bms, "mos/result"));
  assert.ok(refusal, "the replay was answered");
  assert.match(JSON.parse(refusal.text).error, /^not obeyed: it came before the gateway's subscriptions were live/);
  assert.equal(h.bridge.connection.stats.replaysIgnored, 1);
  assert.equal(await retainedOn(topic), undefined, "the retained copy was deleted on the broker");

  await reconnect(h);
  assert.equal(h.bridge.connection.stats.replaysIgnored, 1, "nothing replayed any more");
  await h.command(topic, "ON");
  await until(() => bms.mosCalls.length === 2, 3000, "a live command after the reconnect runs");
  assert.deepEqual(bms.mosCalls.map((c) => c.on), [false, true]);
});

test("a retained console line is not run after a reconnect, and the log and console/out say so", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  const ran: string[] = [];
  h.bridge.setConsoleHandler((line, reply) => { ran.push(line); reply("ran " + line); });
  await h.quiet();
  const topic = h.topic(h.gateway, "console");
  await h.consumer.client.publishAsync(topic, "mos house discharge off", { qos: 0, retain: true });
  await until(() => ran.length === 1, 3000, "the live line ran");
  // its answer first: under load it could arrive after the reconnect began and be taken for the replay's
  await h.consumer.waitFor((m) => m.topic === h.topic(h.gateway, "console/out") && m.text.startsWith("ran "), 3000, 0);
  const since = h.consumer.messages.length;
  await reconnect(h);
  assert.deepEqual(ran, ["mos house discharge off"], "not run again");
  const answer = h.consumer.messages.slice(since).find((m) => m.topic === h.topic(h.gateway, "console/out"));
  assert.match(answer?.text ?? "", /^ignored 'mos house discharge off': not obeyed: it came before/);
  assert.ok(h.log.lines.some((l) => l.includes("MQTT: not obeyed (retained, or sent while the gateway subscribed):") && l.includes("/console 'mos house discharge ...'")));
  assert.equal(await retainedOn(topic), undefined);
});

test("a retained settings request is not obeyed after a reconnect: answered on settings/result, its copy deleted; the gateway's own results are no replays", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const topic = h.topic(bms, "settings/set"), result = h.topic(bms, "settings/result");
  await h.consumer.client.publishAsync(topic, "{\"cellOvervoltage\":3.6}", { qos: 0, retain: true }); // a user's mistake
  await h.consumer.client.publishAsync(result, "{\"ok\":true}", { qos: 0, retain: true }); // a result someone retained
  await h.consumer.waitFor((m) => m.topic === result && m.text !== "{\"ok\":true}", 3000, 0); // the live request's answer
  const since = h.consumer.messages.length, lines = h.log.lines.length;
  await reconnect(h);
  const answer = h.consumer.messages.slice(since).find((m) => m.topic === result && m.text.includes("not obeyed"));
  assert.ok(answer, "the replay was answered on settings/result");
  assert.match(JSON.parse(answer.text).error, /^not obeyed: it came before the gateway's subscriptions were live/);
  assert.equal(await retainedOn(topic), undefined, "the retained request was deleted on the broker");
  assert.equal(h.bridge.connection.stats.replaysIgnored, 1, "one replay: the result on settings/result is not one");
  assert.ok(!h.log.lines.slice(lines).some((l) => l.includes("not obeyed") && l.includes("/settings/result")), "nor logged as one");
});
