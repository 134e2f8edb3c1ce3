// The reconnecting connection against a real broker (aedes) through the SDK-like adapter, and its
// backoff on a scripted client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { MqttConnection, type ConnectionListener, type MqttSettings } from "../../modules/bridge/mqtt-connection";
import type { MqttClient, MqttOptions, Timers } from "../../modules/bridge/ports";
import { Broker, Consumer } from "../lib/broker";
import { sdkMqtt } from "./sdk-mqtt";
import { TestLog, nodeTimers, until, sleep } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

class Events implements ConnectionListener {
  online = 0;
  offline = 0;
  messages: Array<[string, string]> = [];
  throwOnMessage = false;
  onOnline(): void { this.online++; }
  onOffline(): void { this.offline++; }
  onMessage(topic: string, data: ArrayBuffer): void {
    this.messages.push([topic, Buffer.from(data).toString()]);
    if (this.throwOnMessage) throw new Error("handler bug");
  }
}

function settings(overrides: Partial<MqttSettings> = {}): MqttSettings {
  return { host: "127.0.0.1", port: broker.port, tls: false, user: "", password: "", clientId: "gw-" + Math.random().toString(16).slice(2), willTopic: "t/gw/availability", ...overrides };
}

function setup(overrides: Partial<MqttSettings> = {}, sendBuffer?: number) {
  const world = sdkMqtt({ sendBuffer });
  const events = new Events();
  const log = new TestLog();
  // random() = 0: the shortest backoff (half the ceiling), to keep the test quick
  const connection = new MqttConnection(settings(overrides), { MQTT: world.MQTT, timers: nodeTimers, random: () => 0 }, events, log);
  return { world, events, log, connection };
}

test("connects with a retained will and keep-alive, resubscribes, and publishes", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["t/#"]);
  const { world, events, connection } = setup({ keepAliveMs: 5000 });
  t.after(() => { connection.stop(); return consumer.close(); });

  assert.equal(connection.publish("t/early", "x", false), false, "publish before the connection is up returns false");
  connection.subscribe("t/in");
  connection.start();
  await until(() => connection.online, 3000, "online");
  assert.equal(events.online, 1);
  const options = world.instances[0].options;
  assert.deepEqual(options.will, { topic: "t/gw/availability", message: "offline", retain: true });
  assert.equal(options.timeout, 5000);

  assert.equal(connection.publish("t/out", "hello", true), true);
  const got = await consumer.waitForTopic("t/out");
  assert.equal(got.text, "hello");

  await consumer.publish("t/in", "cmd");
  await until(() => events.messages.length === 1, 3000, "message in");
  assert.deepEqual(events.messages[0], ["t/in", "cmd"]);
  assert.equal(connection.stats.messagesIn, 1);
});

test("a lost connection comes back by itself: the will is published, then a new instance resubscribes", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["t/#"]);
  const { world, events, connection } = setup();
  t.after(() => { connection.stop(); return consumer.close(); });
  connection.subscribe("t/in2");
  connection.start();
  await until(() => connection.online);

  world.instances[0].kill();
  const will = await consumer.waitFor((m) => m.topic === "t/gw/availability" && m.text === "offline");
  assert.equal(will.text, "offline");
  await until(() => events.offline === 1, 3000, "offline");
  await until(() => events.online === 2, 3000, "back online");
  assert.equal(world.instances.length, 2, "the SDK instance is dead after onClose: a new one is made");
  assert.equal(connection.stats.disconnects, 1);

  await consumer.publish("t/in2", "again");
  await until(() => events.messages.some(([topic]) => topic === "t/in2"), 3000, "resubscribed");
});

test("survives a broker restart on the same port", async (t) => {
  const { events, connection } = setup();
  t.after(() => connection.stop());
  connection.start();
  await until(() => connection.online);

  await broker.stop();
  await until(() => events.offline === 1, 3000, "offline");
  assert.equal(connection.publish("t/x", "y", false), false, "publishing while down returns false");
  await sleep(300);
  await broker.start();
  await until(() => events.online === 2, 8000, "back online");
});

test("a broker that accepts TCP but never answers CONNECT hits our connect timeout and is retried", async (t) => {
  const silent = net.createServer(() => { /* never answers */ });
  silent.listen(0, "127.0.0.1");
  await once(silent, "listening");
  const port = (silent.address() as net.AddressInfo).port;
  const { world, connection } = setup({ port, connectTimeoutMs: 150 });
  t.after(() => { connection.stop(); silent.close(); });
  connection.start();
  await until(() => connection.stats.connectTimeouts >= 2, 3000, "two timeouts");
  assert.ok(world.instances.length >= 2);
  assert.equal(connection.online, false);
});

test("pause() drops the connection and waits; resume() reconnects at once", async (t) => {
  const { world, events, connection } = setup();
  t.after(() => connection.stop());
  connection.start();
  await until(() => connection.online);
  connection.pause();
  assert.equal(connection.online, false);
  assert.equal(events.offline, 1);
  await sleep(700); // longer than the first backoff: nothing may happen while paused
  assert.equal(world.instances.length, 1);
  connection.resume();
  assert.equal(world.instances.length, 2, "resume connects without waiting");
  await until(() => connection.online);
});

test("an exception in our message handler is caught and logged, not swallowed by the SDK", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["t/#"]);
  const { world, events, log, connection } = setup();
  t.after(() => { connection.stop(); return consumer.close(); });
  events.throwOnMessage = true;
  connection.subscribe("t/boom");
  connection.start();
  await until(() => connection.online);
  await consumer.publish("t/boom", "1");
  await until(() => log.errors.length === 1, 3000, "logged");
  assert.match(log.errors[0], /onMessage.*handler bug/);
  assert.deepEqual(world.swallowed, []);
  assert.ok(connection.online, "still connected");
});

test("publish returns false when the socket's send buffer is full, and counts it", async (t) => {
  const { connection } = setup({}, 1000);
  t.after(() => connection.stop());
  connection.start();
  await until(() => connection.online);
  await sleep(100); // the subscriptions' bytes are acknowledged
  assert.equal(connection.publish("t/big", "x".repeat(600), false), true);
  assert.equal(connection.publish("t/big", "x".repeat(600), false), false);
  assert.equal(connection.stats.publishFailures, 1);
  await sleep(100);
  assert.equal(connection.publish("t/big", "x".repeat(600), false), true, "space again once the broker acknowledged");
});

test("stop() publishes offline itself, since a clean DISCONNECT discards the will", async () => {
  const consumer = await Consumer.connect(broker.port, ["t/#"]);
  const { connection } = setup({ willTopic: "t/stop/availability" });
  connection.start();
  await until(() => connection.online);
  connection.stop();
  assert.equal((await consumer.waitForTopic("t/stop/availability")).text, "offline");
  await consumer.close();
  const late = await Consumer.connect(broker.port, ["t/stop/#"]);
  const kept = await late.waitForTopic("t/stop/availability", 3000, 0);
  assert.deepEqual([kept.text, kept.retain], ["offline", true], "retained for whoever comes later");
  await late.close();
});

// ---- scripted client: options and backoff, without a broker ----

class ScriptedTimers implements Timers {
  delays: number[] = [];
  pending = new Map<number, () => void>();
  #next = 1;
  set(callback: () => void, ms: number): number { this.delays.push(ms); this.pending.set(this.#next, callback); return this.#next++; }
  clear(handle: unknown): void { this.pending.delete(handle as number); }
  /** Fire the most recent timer. */
  fireLast(): void {
    const [id, callback] = [...this.pending].at(-1)!;
    this.pending.delete(id);
    callback();
  }
}

test("options: user, password, TLS with the SecureSocket class and port 8883", () => {
  const made: MqttOptions[] = [];
  class Recording implements MqttClient {
    constructor(options: MqttOptions) { made.push(options); }
    publish(): void {}
    subscribe(): void {}
    close(): void {}
  }
  class FakeSecureSocket { constructor(_: unknown) {} }
  const connection = new MqttConnection(settings({ port: 0, tls: true, user: "u", password: "p" }), { MQTT: Recording, SecureSocket: FakeSecureSocket, timers: new ScriptedTimers() }, new Events(), new TestLog());
  connection.start();
  assert.equal(made.length, 1);
  assert.equal(made[0].port, 8883);
  assert.equal(made[0].Socket, FakeSecureSocket);
  assert.equal(made[0].user, "u");
  assert.equal(made[0].password, "p");
});

test("backoff doubles from 1 s to a 60 s cap with jitter, and starts over after a stable connection", () => {
  const timers = new ScriptedTimers();
  const clients: MqttClient[] = [];
  class Failing implements MqttClient {
    onReady?: () => void;
    onClose?: () => void;
    constructor(_: MqttOptions) { clients.push(this); }
    publish(): void {}
    subscribe(): void {}
    close(): void {}
  }
  const connection = new MqttConnection(settings({ connectTimeoutMs: 15_000 }), { MQTT: Failing, timers, random: () => 1 }, new Events(), new TestLog());
  connection.start();
  const waits: number[] = [];
  for (let i = 0; i < 9; i++) {
    clients.at(-1)!.onClose!();          // refused
    timers.fireLast();                   // onClose is handled on the next turn
    waits.push(timers.delays.at(-1)!);   // the backoff just scheduled
    timers.fireLast();                   // next attempt
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);

  clients.at(-1)!.onReady!();
  assert.equal(timers.delays.at(-1), 30_000, "stability timer");
  timers.fireLast();
  clients.at(-1)!.onClose!();
  timers.fireLast();
  assert.equal(timers.delays.at(-1), 1000, "after a stable connection the backoff starts over");

  // with random() = 0 the wait is half the ceiling
  const timers2 = new ScriptedTimers();
  const c2 = new MqttConnection(settings(), { MQTT: Failing, timers: timers2, random: () => 0 }, new Events(), new TestLog());
  c2.start();
  clients.at(-1)!.onClose!();
  timers2.fireLast();
  assert.equal(timers2.delays.at(-1), 500);
});
