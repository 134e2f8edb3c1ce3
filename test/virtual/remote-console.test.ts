// The whole firmware on XS with the default remoteConsole (read): over MQTT a read-only command is
// answered, a change is refused with the reason, nothing reaches a BMS, and the serial console
// shows both lines (issue 11: "Today any client that can publish on the broker can ... switch a FET").
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
  ({ scenario, gateway } = await bootGatewayOnXs(broker.port, 8));
  consumer = await Consumer.connect(broker.port, ["#"]);
  await scenario.device.run(2_000); // past the replay guard's settle time
});
after(async () => { await consumer.close(); await scenario.device.close(); await broker.stop(); });

async function ask(line: string): Promise<string> {
  const since = consumer.messages.length;
  await consumer.publish(`jbd/${gateway}/console`, line);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = consumer.messages.slice(since).find((m) => m.topic === `jbd/${gateway}/console/out`);
    if (reply) return reply.text;
    if (Date.now() > deadline) throw new Error("no answer to " + line);
    await new Promise((r) => setTimeout(r, 25));
    await scenario.device.run(50);
  }
}

test("over MQTT by default: status is answered; mos and config set are refused and nothing changes", async () => {
  assert.match(await ask("status"), /^uptime /);
  const writes = scenario.sims.reduce((n, s) => n + (s.stats.requests[0xe1] ?? 0), 0);
  assert.match(await ask("mos house charge off"), /^refused: 'mos' changes the gateway; over MQTT only read-only commands run/);
  assert.match(await ask("config set mqttPassword stolen"), /^refused: secrets, remoteConsole, settingsWrite and maintenance are set on the serial console only/);
  await scenario.device.run(3_000);
  assert.equal(scenario.sims.reduce((n, s) => n + (s.stats.requests[0xe1] ?? 0), 0), writes, "no MOS write reached a BMS");
  const serial = scenario.device.serialOutput;
  assert.match(serial, /MQTT console: status/);
  assert.match(serial, /MQTT console refused: mos house charge off/);
  assert.match(serial, /MQTT console refused: config set mqttPassword \*\*\*\*/);
  assert.ok(!serial.includes("stolen"), "the secret's value is not logged");
});
