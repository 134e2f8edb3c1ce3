// MOS commands queued per FET, end to end (issue 11 part 4): the whole firmware on XS, a real broker,
// the simulated BMS. An automation that switches both FETs off over MQTT, or with two console lines
// over MQTT, gets both done and confirmed, in order (before: the second was refused as "busy"); a
// flood of toggles over MQTT reaches the BMS as at most one 0xE1 write per MOS_INTERVAL_MS, the last
// state asked for wins, and every command gets one answer on mos/result.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import type { Scenario } from "./scenario";
import { bootGatewayOnXs } from "./xs-gateway";

const MOS_INTERVAL_MS = 2_000; // modules/link/mos-queue.ts (that module runs inside XS here)
const broker = new Broker();
let scenario: Scenario;
let consumer: Consumer;
let gateway = "";
const e1: { at: number; off: number }[] = [];

before(async () => {
  await broker.start();
  // the console's mos over MQTT needs remoteConsole full (the default, read, refuses it)
  ({ scenario, gateway } = await bootGatewayOnXs(broker.port, 12, { remoteConsole: "full" }));
  consumer = await Consumer.connect(broker.port, ["jbd/#"]);
  const sim = scenario.sims[0], write = sim.write.bind(sim);
  sim.write = (bytes: Uint8Array) => {
    if (bytes[0] === 0xdd && bytes[1] === 0x5a && bytes[2] === 0xe1) e1.push({ at: scenario.device.clock.now(), off: bytes[5] });
    write(bytes);
  };
  await scenario.device.run(2_000); // past the replay guard's settle time
});
after(async () => { await consumer.close(); await scenario.device.close(); await broker.stop(); });

/** Runs the device (and real time for the broker) until `done()`. */
async function until(done: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("not within " + ms + " ms: " + what);
    await new Promise((r) => setTimeout(r, 10));
    await scenario.device.run(50);
  }
}
const results = (since: number) => consumer.messages.slice(since).filter((m) => m.topic === "jbd/house/mos/result").map((m) => JSON.parse(m.text));
const fets = () => scenario.sims[0].pack.read().fet;

test("over MQTT: both FETs off in one go are both done and confirmed, in order; then both on", async () => {
  const since = consumer.messages.length, from = e1.length;
  await consumer.publish("jbd/house/mos/charge/set", "OFF");
  await consumer.publish("jbd/house/mos/discharge/set", "OFF");
  await until(() => results(since).length >= 2, "two results");
  await scenario.device.run(3_000);
  assert.deepEqual(results(since), [
    { fet: "charge", requested: "OFF", ok: true, command: "e1", mos: { charge: false, discharge: true } },
    { fet: "discharge", requested: "OFF", ok: true, command: "e1", mos: { charge: false, discharge: false } },
  ]);
  assert.deepEqual(fets(), { charge: false, discharge: false });
  const on = consumer.messages.length;
  await consumer.publish("jbd/house/mos/discharge/set", "ON");
  await consumer.publish("jbd/house/mos/charge/set", "ON");
  await until(() => results(on).length >= 2, "two results");
  assert.deepEqual(results(on).map((r) => [r.fet, r.ok]), [["discharge", true], ["charge", true]]);
  assert.deepEqual(fets(), { charge: true, discharge: true });
  const writes = e1.slice(from);
  assert.deepEqual(writes.map((w) => w.off), [0b01, 0b11, 0b01, 0b00]);
  for (let i = 1; i < writes.length; i++) assert.ok(writes[i].at - writes[i - 1].at >= MOS_INTERVAL_MS - 1, `write ${i}: ${writes[i].at - writes[i - 1].at} ms after the one before`);
});

test("over the MQTT console: two mos lines in one go are both done and confirmed", async () => {
  await scenario.device.run(MOS_INTERVAL_MS);
  const since = consumer.messages.length;
  await consumer.publish(`jbd/${gateway}/console`, "mos house charge off");
  await consumer.publish(`jbd/${gateway}/console`, "mos house discharge off");
  const replies = () => consumer.messages.slice(since).filter((m) => m.topic === `jbd/${gateway}/console/out`).map((m) => m.text);
  await until(() => replies().length >= 2, "two console answers");
  assert.deepEqual(replies(), [
    "ok: charge FET off confirmed (now charge off, discharge on)\n",
    "ok: discharge FET off confirmed (now charge off, discharge off)\n",
  ]);
  assert.deepEqual(fets(), { charge: false, discharge: false });
  await consumer.publish(`jbd/${gateway}/console`, "mos house charge on");
  await consumer.publish(`jbd/${gateway}/console`, "mos house discharge on");
  await until(() => replies().length >= 4, "two more console answers");
  assert.deepEqual(fets(), { charge: true, discharge: true });
});

test("over MQTT: a flood of toggles reaches the BMS at most once per interval, the last state wins, one answer each", async () => {
  await scenario.device.run(MOS_INTERVAL_MS);
  const since = consumer.messages.length, from = e1.length;
  const start = scenario.device.clock.now();
  // 40 toggles of the discharge FET, one every 150 ms of device time (6 s), the last one OFF; each
  // delivered before the next is sent (device time runs faster than the broker's: sent at once they
  // would arrive in bursts, whose answers the bridge's outbox bounds, see README "MOS commands")
  const taken = () => scenario.device.serialOutput.split("MOS command: house discharge").length;
  for (let i = 0; i < 40; i++) {
    const n = taken();
    await consumer.publish("jbd/house/mos/discharge/set", i % 2 === 0 ? "ON" : "OFF");
    await until(() => taken() > n, "command " + i + " delivered");
    await scenario.device.run(150);
  }
  await until(() => results(since).length >= 40, "40 results");
  await scenario.device.run(3_000);
  const all = results(since);
  const writes = e1.slice(from);
  const spacing = writes.slice(1).map((w, i) => w.at - writes[i].at);
  const superseded = all.filter((r) => r.error === "superseded by a later command").length;
  console.log(`MQTT flood: 40 commands in ${scenario.device.clock.now() - start} ms of device time -> ${writes.length} E1 writes, spacing ${Math.round(Math.min(...spacing))}..${Math.round(Math.max(...spacing))} ms, ${superseded} superseded`);
  assert.equal(all.length, 40, "one answer per command");
  assert.ok(spacing.every((d) => d >= MOS_INTERVAL_MS - 1), `spacing ${spacing.join(", ")}`);
  assert.equal(superseded + writes.length, 40, "each command either written once or superseded");
  assert.ok(all.filter((r) => r.error !== "superseded by a later command").every((r) => r.ok), JSON.stringify(all));
  assert.equal(writes.at(-1)!.off & 2, 2, "the last write switches discharge off");
  assert.deepEqual(fets(), { charge: true, discharge: false });
  assert.equal(scenario.device.fatalErrors, 0);
  await consumer.publish("jbd/house/mos/discharge/set", "ON");
  await until(() => fets().discharge, "discharge on again");
});
