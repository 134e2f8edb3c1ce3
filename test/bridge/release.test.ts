// Releasing a BMS link to the JBD phone app over MQTT, against a real broker (aedes): the command
// topic, its answers, refusals, and the availability a released pack shows.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../lib/broker";
import { Harness } from "./harness";
import { SP04S034, type FakeBms } from "./fake-bms";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

async function answer(h: Harness, bms: FakeBms, payload: string): Promise<any> {
  const since = h.consumer.messages.length;
  await h.command(h.topic(bms, "release/set"), payload);
  return JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "release/result"), 3000, since)).text);
}

test("release/set: minutes, a Home Assistant press (the default 10 min) and off, each answered", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  assert.deepEqual(await answer(h, bms, "30"), { ok: true, released: true, minutes: 30 });
  assert.deepEqual(await answer(h, bms, "PRESS"), { ok: true, released: true, minutes: 10 });
  assert.deepEqual(await answer(h, bms, " off "), { ok: true, released: false });
  assert.deepEqual(bms.releaseCalls, [30, 10, 0], "two releases, then the release ended");
});

test("release/set: a bad payload is refused with the reason and releases nothing", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  for (const payload of ["forever", "1441", "-5", "1.5", "ON"]) {
    const r = await answer(h, bms, payload);
    assert.equal(r.ok, false, payload);
    assert.match(r.error, /minutes 1\.\.1440, or off/, payload);
  }
  const r = await answer(h, bms, "9".repeat(40));
  assert.equal(r.ok, false);
  assert.match(r.error, /invalid payload/);
  assert.deepEqual(bms.releaseCalls, []);
});

test("release/set for a BMS this gateway lacks is answered on the gateway's error topic", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const since = h.consumer.messages.length;
  await h.command(h.topic("garage", "release/set"), "10");
  const error = JSON.parse((await h.consumer.waitForTopic(h.topic(h.gateway, "error"), 3000, since)).text);
  assert.equal(error.topic, h.topic("garage", "release/set"));
  assert.equal(error.ok, false);
  assert.match(error.error, /^unknown BMS in '.+' \(this gateway has: house\)$/);
  assert.equal(h.consumer.on(h.topic("garage", "release/result")).length, 0);
  assert.deepEqual(bms.releaseCalls, []);
});

test("a released pack's availability says released, and online again once its link is back", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const avail = h.topic(bms, "availability");
  assert.equal(h.consumer.last(avail)?.text, "online");
  // what the link does on release: closes, goes offline, and says so
  bms.release(10);
  bms.online = false;
  h.bridge.onAvailability(bms, false);
  await h.consumer.waitFor((m) => m.topic === avail && m.text === "released");
  bms.resume();
  h.bridge.onAvailability(bms, false);
  await h.consumer.waitFor((m) => m.topic === avail && m.text === "offline");
  h.linkUp(bms);
  await h.consumer.waitFor((m) => m.topic === avail && m.text === "online");
});
