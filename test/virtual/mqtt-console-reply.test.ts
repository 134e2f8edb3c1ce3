// A setting changed over the MQTT console that makes the gateway reconnect: the console's answer
// ("... MQTT reconnects") still reaches the person who asked, on the connection it was asked on,
// before that connection makes way for the new one.
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
  // changing settings over MQTT is allowed only with remoteConsole full (the default is read)
  ({ scenario, gateway } = await bootGatewayOnXs(broker.port, 6, { remoteConsole: "full" }));
  consumer = await Consumer.connect(broker.port, ["#"]);
});
after(async () => { await consumer.close(); await scenario.device.close(); await broker.stop(); });

/**
 * Until the gateway obeys messages again after a reconnect: its replay guard's marker came back
 * (seen here too) and its settle time (1 s) passed on the device's clock.
 */
async function live(): Promise<void> {
  const deadline = Date.now() + 10_000;
  const synced = () => consumer.messages.filter((m) => m.topic === `jbd/${gateway}/sync`).length;
  const before = synced();
  while (synced() === before && Date.now() < deadline) { await new Promise((r) => setTimeout(r, 25)); await scenario.device.run(50); }
  await scenario.device.run(1_500);
}

async function ask(line: string): Promise<string | undefined> {
  const since = consumer.messages.length;
  await consumer.publish(`jbd/${gateway}/console`, line);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = consumer.messages.slice(since).find((m) => m.topic === `jbd/${gateway}/console/out`);
    if (reply || Date.now() > deadline) return reply?.text;
    await new Promise((r) => setTimeout(r, 25));
    await scenario.device.run(50);
  }
}

test("config set over MQTT of a key that reconnects (same topics): the answer arrives before the reconnect", async () => {
  assert.match(await ask("config set mqttUser someone") ?? "no answer", /mqttUser = someone .*MQTT reconnects/);
});

test("config set over MQTT of a key that moves the topics: the answer arrives before the old topics are cleared", async () => {
  await live(); // the first test's change reconnected the gateway
  assert.match(await ask("config set haPrefix ha3") ?? "no answer", /haPrefix = ha3 .*MQTT reconnects/);
});
