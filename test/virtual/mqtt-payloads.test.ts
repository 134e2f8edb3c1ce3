// Incoming payloads of any size: the SDK's mqtt module allocates a buffer for whatever arrives, so a
// 100 KB message reaches the firmware whole. The firmware must discard one that is too long to be a
// command or a console line without reading it, count the discard and log it, and go on working.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import type { Scenario } from "./scenario";
import { bootGatewayOnXs } from "./xs-gateway";

const broker = new Broker();
let scenario: Scenario;
let consumer: Consumer;
let gateway = "";

before(async () => {
  await broker.start();
  ({ scenario, gateway } = await bootGatewayOnXs(broker.port, 4));
  consumer = await Consumer.connect(broker.port, ["jbd/#"]);
});
after(async () => { await consumer.close(); await scenario.device.close(); await broker.stop(); });

async function deliver(topic: string, payload: Buffer): Promise<void> {
  const from = scenario.device.serialOutput.length;
  await consumer.client.publishAsync(topic, payload, { qos: 0 });
  // 100 KB through a real broker takes real time (more under load): wait for it, not for a fixed count
  const deadline = Date.now() + 20_000;
  while (!scenario.device.serialOutput.slice(from).includes("discarded") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    await scenario.device.run(50);
  }
}

/** The count in the latest gateway diag delivered since `since`, once it shows `expected` (or after 5 s). */
async function oversizedInDiag(since: number, expected: number): Promise<number> {
  const topic = `jbd/${gateway}/diag`;
  const deadline = Date.now() + 5_000;
  let last: number | undefined;
  for (;;) {
    const diags = consumer.messages.slice(since).filter((m) => m.topic === topic);
    last = diags.length ? JSON.parse(diags.at(-1)!.text).mqtt.oversizedPayloads : undefined;
    if (last === expected || Date.now() > deadline) return last ?? -1;
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("a 100 KB console payload is discarded unread, counted and logged; the gateway goes on", async () => {
  const from = scenario.device.serialOutput.length;
  const since = consumer.messages.length;
  await deliver(`jbd/${gateway}/console`, Buffer.alloc(100_000, 0x61));
  await scenario.device.run(2_000);
  assert.match(scenario.device.serialOutput.slice(from), /100000-byte console payload discarded/);
  const reply = await consumer.waitForTopic(`jbd/${gateway}/console/out`, 2000, since);
  assert.match(reply.text, /at most 256 bytes/);
  const polls = scenario.sims[0].stats.requests[0x03];
  await scenario.device.run(61_000);
  assert.ok(scenario.sims[0].stats.requests[0x03] > polls, "polling goes on");
  assert.equal(await oversizedInDiag(since, 1), 1);
  assert.equal(scenario.device.fatalErrors, 0);
});

test("a 100 KB MOS command payload is discarded unread, counted and logged, and switches nothing", async () => {
  const from = scenario.device.serialOutput.length;
  const since = consumer.messages.length;
  const writes = scenario.sims[0].stats.requests[0xe1] ?? 0;
  await deliver("jbd/house/mos/charge/set", Buffer.alloc(100_000, 0x4f));
  await scenario.device.run(2_000);
  assert.match(scenario.device.serialOutput.slice(from), /100000-byte payload on house charge discarded/);
  const result = JSON.parse((await consumer.waitForTopic("jbd/house/mos/result", 2000, since)).text);
  assert.equal(result.ok, false);
  assert.equal(scenario.sims[0].stats.requests[0xe1] ?? 0, writes, "nothing written to the BMS");
  await scenario.device.run(61_000);
  assert.equal(await oversizedInDiag(since, 2), 2);
  assert.equal(scenario.device.fatalErrors, 0);
});
