// Release and maintenance requests over a real broker (aedes), for what release.test.ts and
// maintenance.test.ts leave open and mutation testing would find: the exact refusals and what they
// count (malformed, oversized at 16 bytes), a payload that is no UTF-8, a release ended that was not
// active, a link that throws, the answer of an unknown BMS. One bridge for the whole file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../lib/broker";
import { Harness } from "./harness";
import { SP04S034, type FakeBms } from "./fake-bms";

const broker = new Broker();
let h: Harness;
let bms: FakeBms;
before(async () => {
  await broker.start();
  h = await Harness.start(broker, { settings: { maintenance: "capacity,protection,counters" } });
  bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
});
after(async () => { await h.close(); await broker.stop(); });

async function answer(what: "release" | "maintenance", payload: string | Buffer, target: FakeBms | string = bms): Promise<any> {
  const since = h.consumer.messages.length;
  await h.command(h.topic(target, what + "/set"), payload);
  const topic = typeof target === "string" ? h.topic(h.gateway, "error") : h.topic(target, what + "/result");
  return JSON.parse((await h.consumer.waitForTopic(topic, 3000, since)).text);
}
const stats = () => ({ ...h.bridge.connection.stats });

test("release: 16 bytes are read, 17 are not even decoded: counted as oversized; the refusals say what to send", async () => {
  let before = stats();
  assert.deepEqual(await answer("release", "9".repeat(16)), { ok: false, error: `release: minutes 1..1440, or off to take the link back; got '${"9".repeat(16)}'` });
  let now = stats();
  assert.equal(now.malformedCommands, before.malformedCommands + 1);
  assert.equal(now.oversizedPayloads, before.oversizedPayloads, "16 bytes: not oversized");
  before = now;
  assert.deepEqual(await answer("release", "9".repeat(17)), { ok: false, error: "invalid payload (not text, or too long): send minutes (1..1440), PRESS or off" });
  now = stats();
  assert.equal(now.malformedCommands, before.malformedCommands + 1);
  assert.equal(now.oversizedPayloads, before.oversizedPayloads + 1);
  before = now;
  // short, but no UTF-8: malformed, not oversized
  assert.deepEqual(await answer("release", Buffer.from([0xff, 0x31])), { ok: false, error: "invalid payload (not text, or too long): send minutes (1..1440), PRESS or off" });
  now = stats();
  assert.equal(now.malformedCommands, before.malformedCommands + 1);
  assert.equal(now.oversizedPayloads, before.oversizedPayloads);
  before = now;
  // 16 bytes that are no UTF-8: malformed, not oversized (16 bytes are read)
  await answer("release", Buffer.alloc(16, 0xff));
  now = stats();
  assert.equal(now.malformedCommands, before.malformedCommands + 1);
  assert.equal(now.oversizedPayloads, before.oversizedPayloads);
  assert.deepEqual(bms.releaseCalls, []);
});

test("release: ending a release that is not active is answered all the same, and counted as nothing wrong", async () => {
  const before = stats();
  assert.deepEqual(await answer("release", "resume"), { ok: true, released: false });
  assert.equal(stats().malformedCommands, before.malformedCommands);
  assert.deepEqual(bms.releaseCalls, [], "nothing was released: nothing ended");
  assert.ok(h.log.lines.some((l) => l === "info MQTT: link release of housenot active"), h.log.lines.join("\n"));
  assert.deepEqual(await answer("release", "2"), { ok: true, released: true, minutes: 2 });
  assert.ok(h.log.lines.includes("info MQTT: link of house released for2 min"), "the log says for how long");
  const reasons: unknown[] = [];
  const resume = bms.resume.bind(bms);
  bms.resume = (reason?: string) => { reasons.push(reason); return resume(); };
  try {
    assert.deepEqual(await answer("release", "0"), { ok: true, released: false });
  } finally { bms.resume = resume; }
  assert.deepEqual(reasons, ["MQTT"], "the link is told who ended the release");
  assert.ok(h.log.lines.some((l) => l === "info MQTT: link release of houseended"));
  assert.deepEqual(bms.releaseCalls, [2, 0]);
});

test("release: a link that throws is answered with the error, and the bridge goes on", async () => {
  const release = bms.release;
  bms.release = () => { throw new Error("link bug"); };
  try {
    assert.deepEqual(await answer("release", "5"), { ok: false, error: "internal error: Error: link bug" });
    assert.ok(h.log.errors.some((e) => e.startsWith("release:")));
  } finally { bms.release = release; }
  assert.deepEqual(await answer("release", "5"), { ok: true, released: true, minutes: 5 });
  await answer("release", "off");
});

test("release and maintenance for an unknown BMS: on the error topic, counted as malformed", async () => {
  for (const what of ["release", "maintenance"] as const) {
    const before = stats();
    const error = await answer(what, "counters", "garage");
    assert.deepEqual(Object.keys(error).sort(), ["error", "ok", "topic"]);
    assert.equal(error.topic, h.topic("garage", what + "/set"));
    assert.equal(stats().malformedCommands, before.malformedCommands + 1, what);
  }
});

test("maintenance: the refusal names every function; 16 bytes are read, 17 counted as oversized; no UTF-8 is malformed only", async () => {
  const calls = bms.maintenanceCalls.length;
  let before = stats();
  assert.deepEqual(await answer("maintenance", "x".repeat(16)), { ok: false, error: `invalid payload '${"x".repeat(16)}': send one of capacity, protection, counters` });
  let now = stats();
  assert.equal(now.malformedCommands, before.malformedCommands + 1);
  assert.equal(now.oversizedPayloads, before.oversizedPayloads);
  before = now;
  assert.deepEqual(await answer("maintenance", "x".repeat(17)), { ok: false, error: "invalid payload (not text, or too long): send one of capacity, protection, counters" });
  now = stats();
  assert.equal(now.oversizedPayloads, before.oversizedPayloads + 1);
  before = now;
  await answer("maintenance", Buffer.from([0xc0, 0x80]));
  now = stats();
  assert.equal(now.malformedCommands, before.malformedCommands + 1);
  assert.equal(now.oversizedPayloads, before.oversizedPayloads);
  before = now;
  await answer("maintenance", Buffer.alloc(16, 0xff));
  now = stats();
  assert.equal(now.malformedCommands, before.malformedCommands + 1);
  assert.equal(now.oversizedPayloads, before.oversizedPayloads, "16 bytes are read, not oversized");
  assert.equal(bms.maintenanceCalls.length, calls);
  assert.deepEqual(await answer("maintenance", "capacity"), { function: "capacity", ok: true, before: { soc: 50 }, after: { soc: 61 } });
  assert.ok(h.log.lines.includes("info MQTT: maintenance of house:capacity"));
});

test("maintenance: a link that throws is answered with the error; a result the bridge cannot write is logged, not thrown", async () => {
  const maintain = bms.maintain;
  bms.maintain = () => { throw new Error("link bug"); };
  try {
    assert.deepEqual(await answer("maintenance", "counters"), { ok: false, error: "internal error: Error: link bug" });
    assert.ok(h.log.errors.some((e) => e.startsWith("maintain:")));
  } finally { bms.maintain = maintain; }
  // a result whose payload cannot be made (a link bug: no function name)
  bms.maintain = (_name, done) => { setTimeout(() => done(null as never), 5); };
  try {
    const errors = h.log.errors.length;
    await h.command(h.topic(bms, "maintenance/set"), "counters");
    for (let i = 0; i < 100 && h.log.errors.length === errors; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(h.log.errors.slice(errors).some((e) => e.startsWith("maintenance result:")), h.log.errors.join("\n"));
  } finally { bms.maintain = maintain; }
  assert.deepEqual(await answer("maintenance", "protection"), { function: "protection", ok: true, before: { soc: 50 }, after: { soc: 61 } });
});
