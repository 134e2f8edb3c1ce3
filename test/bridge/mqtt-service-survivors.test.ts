// The MQTT service across setting changes (modules/bridge/mqtt-service.ts) against a real broker
// (aedes), for what mutation testing left open: which settings count as a change, reconnect()
// with none, what each new Bridge inherits (BMS, console handler, MOS control at run time, Wi-Fi
// paused, statistics, one uptime), changes before start() and after stop(), the old availability
// (cleared when it moved, "offline" when it stays), and a clearing pass that takes too long.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import { MqttService, type MqttSetup } from "../../modules/bridge/mqtt-service";
import type { Clock, Timers } from "../../modules/bridge/ports";
import { FakeBms, SP04S034 } from "./fake-bms";
import { sdkMqtt } from "./sdk-mqtt";
import { TestLog, nodeClock, nodeTimers, sleep, until } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

let n = 0;

/** Node timers, except the 30 s limit of a clearing pass (the 30 s timer set right after the
 *  "clearing" log line, or after any clearing pass begins: `arm()`), which the test fires itself. */
function timers() {
  const limits: Array<() => void> = [];
  let armed = false;
  const t: Timers = {
    set: (callback, ms) => {
      if (ms !== 30_000 || !armed) return nodeTimers.set(callback, ms);
      armed = false;
      const entry = { callback, cleared: false };
      limits.push(() => { if (!entry.cleared) callback(); });
      return entry;
    },
    clear: (handle) => {
      if (handle && typeof handle === "object" && "cleared" in handle) (handle as { cleared: boolean }).cleared = true;
      else nodeTimers.clear(handle);
    },
  };
  return { t, fireLimit: () => limits.at(-1)!(), limits, arm: () => { armed = true; } };
}

function setup(prefix: string): MqttSetup {
  return {
    bridge: { prefix, gatewayId: "gw" + ++n, discovery: true, discoveryPrefix: "ha-" + prefix, mosControl: true, diagIntervalMs: 60_000 },
    broker: { host: "127.0.0.1", port: broker.port, tls: false, user: "", password: "" },
  };
}

function service(first: MqttSetup, options: { clock?: Clock; sendBuffer?: number; ackMs?: number } = {}) {
  const world = sdkMqtt({ sendBuffer: options.sendBuffer, ackMs: options.ackMs });
  const log = new TestLog();
  const tm = timers();
  const info = log.info.bind(log);
  log.info = (message: string, value?: unknown) => { info(message, value); if (message.startsWith("MQTT: clearing")) tm.arm(); };
  let current = first, broken = false;
  const s = new MqttService(() => { if (broken) throw new Error("config bug"); return current; }, { MQTT: world.MQTT, timers: tm.t, clock: options.clock ?? nodeClock, log, random: () => 0 });
  const bms = new FakeBms("house", "House", "A4:C1:38:00:00:01", nodeClock).load(SP04S034);
  bms.online = true;
  return {
    s, world, log, bms, tm,
    get current() { return current; },
    set: (change: (m: MqttSetup) => MqttSetup) => { current = change(current); s.settingsChanged(); },
    breakRead: () => { broken = true; },
  };
}

test("every setting that shapes the connection or its topics makes a reconnect; the others do not", async (t) => {
  const x = service(setup("svs1"));
  t.after(() => x.s.stop());
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  const changes: Array<[string, (m: MqttSetup) => MqttSetup]> = [
    ["prefix", (m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs1b" } })],
    ["gatewayId", (m) => ({ ...m, bridge: { ...m.bridge, gatewayId: m.bridge.gatewayId + "x" } })],
    ["discovery", (m) => ({ ...m, bridge: { ...m.bridge, discovery: !m.bridge.discovery } })],
    ["discoveryPrefix", (m) => ({ ...m, bridge: { ...m.bridge, discoveryPrefix: m.bridge.discoveryPrefix + "x" } })],
    ["user", (m) => ({ ...m, broker: { ...m.broker, user: m.broker.user + "u" } })],
    ["password", (m) => ({ ...m, broker: { ...m.broker, password: m.broker.password + "p" } })],
    ["clientId", (m) => ({ ...m, broker: { ...m.broker, clientId: (m.broker.clientId ?? "") + "c" } })],
    ["bank", (m) => ({ ...m, bridge: { ...m.bridge, bank: "parallel" } })],
  ];
  for (const [name, change] of changes) {
    const made = x.world.instances.length;
    x.set(change);
    await until(() => x.world.instances.length === made + 1 && x.s.connection.online, 5000, "reconnect for " + name);
    assert.deepEqual(x.s.setup, x.current, name + ": the new settings in use");
  }
  const made = x.world.instances.length;
  x.set((m) => ({ ...m, bridge: { ...m.bridge, mosControl: !m.bridge.mosControl, diagIntervalMs: 5_000, firmwareVersion: "9" } }));
  await sleep(200);
  assert.equal(x.world.instances.length, made, "MOS control, diag interval, firmware version: no reconnect");
});

test("host, port and TLS count as a change too (another broker)", async (t) => {
  const other = new Broker();
  await other.start();
  t.after(() => other.stop());
  const x = service(setup("svs2"));
  t.after(() => x.s.stop());
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  x.set((m) => ({ ...m, broker: { ...m.broker, port: other.port } }));
  await until(() => x.world.instances.length === 2 && x.s.connection.online, 5000, "on the other port");
  assert.equal(x.world.instances[1].options.port, other.port);
  x.set((m) => ({ ...m, broker: { ...m.broker, host: "localhost" } }));
  await until(() => x.world.instances.length === 3, 5000, "another host");
  assert.equal(x.world.instances[2].options.host, "localhost");
  // TLS: without a SecureSocket class the new bridge logs and does not connect
  x.set((m) => ({ ...m, broker: { ...m.broker, tls: true } }));
  await until(() => x.log.errors.some((e) => e.includes("TLS asked for")), 5000, "a TLS change applied");
});

test("reconnect(): a new connection with the same settings, at once", async (t) => {
  const x = service(setup("svs3"));
  t.after(() => x.s.stop());
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  const old = x.s.connection;
  x.s.reconnect();
  assert.notEqual(x.s.connection, old, "a new connection in place at once");
  await until(() => x.world.instances.length === 2 && x.s.connection.online, 5000, "reconnected");
  assert.equal(x.s.stats.connects, 2);
});

test("settingsChanged() with nothing changed makes no reconnect", async (t) => {
  const x = service(setup("svs4"));
  t.after(() => x.s.stop());
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  const connection = x.s.connection;
  x.s.settingsChanged();
  x.set((m) => ({ ...m }));
  await sleep(200);
  assert.equal(x.world.instances.length, 1);
  assert.equal(x.s.connection, connection);
});

test("the new bridge has the BMS, the console handler and the MOS control set at run time", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["svs5/#", "svs5b/#"]);
  const x = service(setup("svs5"));
  t.after(() => { x.s.stop(); return consumer.close(); });
  x.s.addBms(x.bms);
  x.s.setConsoleHandler((line, reply) => reply("echo " + line));
  x.s.setMosControl(false);
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  x.s.onReading(x.bms);
  x.set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs5b" } }));
  await until(() => x.world.instances.length === 2 && x.s.connection.online, 5000, "reconnected");
  const gw = x.current.bridge.gatewayId;
  await consumer.waitFor((m) => m.topic === "svs5b/house/state", 3000, 0);
  // commands are obeyed once the replay guard's marker is back and its settle time passed
  await until(() => x.s.connection.messagesLive, 5000, "messages live");

  let since = consumer.messages.length;
  await consumer.publish(`svs5b/${gw}/console`, "status");
  assert.equal((await consumer.waitForTopic(`svs5b/${gw}/console/out`, 3000, since)).text, "echo status", "the console follows");

  since = consumer.messages.length;
  await consumer.publish("svs5b/house/mos/charge/set", "OFF");
  const result = JSON.parse((await consumer.waitForTopic("svs5b/house/mos/result", 3000, since)).text);
  assert.equal(result.error, "control disabled (mosControl is off)", "MOS control switched off at run time stays off");
  assert.equal(x.bms.mosCalls.length, 0);

  x.s.setMosControl(true);
  since = consumer.messages.length;
  await consumer.publish("svs5b/house/mos/charge/set", "OFF");
  assert.equal(JSON.parse((await consumer.waitForTopic("svs5b/house/mos/result", 3000, since)).text).ok, true);
});

test("link events reach the bridge in use: availability and info", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["svs6/#"]);
  const x = service(setup("svs6"));
  t.after(() => { x.s.stop(); return consumer.close(); });
  x.s.addBms(x.bms);
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  x.s.onAvailability(x.bms, true);
  await consumer.waitFor((m) => m.topic === "svs6/house/availability" && m.text === "online", 3000, 0);
  x.s.onInfo(x.bms);
  await consumer.waitFor((m) => m.topic === "svs6/house/info", 3000, 0);
  x.bms.online = false;
  x.s.onAvailability(x.bms, false);
  await consumer.waitFor((m) => m.topic === "svs6/house/availability" && m.text === "offline", 3000, 0);
});

test("a change before start(): nothing connects until start(), then with the new settings", async (t) => {
  const x = service(setup("svs7"));
  t.after(() => x.s.stop());
  x.set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs7b" } }));
  await sleep(100);
  assert.equal(x.world.instances.length, 0);
  assert.equal(x.s.setup.bridge.prefix, "svs7b");
  x.s.start();
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  assert.equal(x.world.instances.length, 1, "one connection for two start() calls");
});

test("stop(): offline on the gateway's availability, and a change after it connects nothing", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["svs8/#"]);
  const x = service(setup("svs8"));
  t.after(() => consumer.close());
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  const gw = x.current.bridge.gatewayId;
  await consumer.waitFor((m) => m.topic === `svs8/${gw}/availability` && m.text === "online", 3000, 0);
  x.s.stop();
  await consumer.waitFor((m) => m.topic === `svs8/${gw}/availability` && m.text === "offline", 3000, 0);
  x.set((m) => ({ ...m, broker: { ...m.broker, user: "after" } }));
  await sleep(200);
  assert.equal(x.world.instances.length, 1);
  assert.equal(x.s.connection.online, false);
});

test("paused (Wi-Fi down): a change does not connect until resume()", async (t) => {
  const x = service(setup("svs9"));
  t.after(() => x.s.stop());
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  x.s.pause();
  assert.equal(x.s.connection.online, false);
  x.set((m) => ({ ...m, broker: { ...m.broker, user: "u2" } }));
  await sleep(300);
  assert.equal(x.world.instances.length, 1, "no connect while paused");
  x.s.resume();
  await until(() => x.s.connection.online, 3000, "online after resume");
  assert.equal(x.world.instances.length, 2);
  assert.equal(x.world.instances[1].options.user, "u2");
  assert.ok(!x.log.lines.some((l) => l.includes("retained topics left")), "nothing moved: no word about left topics");
  x.set((m) => ({ ...m, broker: { ...m.broker, user: "u3" } }));
  await until(() => x.world.instances.length === 3 && x.s.connection.online, 5000, "a change after resume() connects");
});

test("topics moved: the old availability is cleared, not left offline; a broker-side change only: offline, then online", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["svs10/#", "svs10b/#", "ha-svs10/#"]);
  const x = service(setup("svs10"));
  t.after(() => { x.s.stop(); return consumer.close(); });
  x.s.addBms(x.bms);
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  const gw = x.current.bridge.gatewayId, availability = `svs10/${gw}/availability`;
  await consumer.waitFor((m) => m.topic === availability && m.text === "online", 3000, 0);

  let since = consumer.messages.length;
  x.set((m) => ({ ...m, broker: { ...m.broker, user: "someone" } }));
  await until(() => x.world.instances.length === 2 && x.s.connection.online, 5000, "reconnected");
  await consumer.waitFor((m) => m.topic === availability && m.text === "online", 3000, since);
  // the old connection's own "offline" may be followed by its will's (a DISCONNECT that did not fit the send buffer
  // under load: the broker then publishes the will): the same word twice, one state
  const said = consumer.messages.slice(since).filter((m) => m.topic === availability).map((m) => m.text);
  assert.deepEqual(said.filter((text, i) => i === 0 || text !== said[i - 1]), ["offline", "online"],
    "same topics: the old connection says offline, the new one online");
  await sleep(200);
  const cleared = consumer.messages.slice(since).filter((m) => m.text === "").map((m) => m.topic);
  assert.deepEqual(cleared.filter((topic) => topic.startsWith("svs10/")), [], "no state, info, diag or availability cleared");
  assert.deepEqual(cleared.filter((topic) => topic.includes("/jbd_gateway_") || topic.endsWith("/voltage/config")), [],
    "no discovery config of an entity that exists cleared (the pass removes only what the pack lacks)");
  assert.ok(!x.log.lines.some((l) => l.startsWith("info MQTT: clearing")), "no clearing pass announced");

  since = consumer.messages.length;
  x.set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs10b" } }));
  await until(() => x.world.instances.length === 3 && x.s.connection.online, 5000, "reconnected");
  await consumer.waitFor((m) => m.topic === `svs10b/${gw}/availability` && m.text === "online", 3000, since);
  await sleep(200);
  assert.deepEqual(consumer.messages.slice(since).filter((m) => m.topic === availability).map((m) => m.text), [""],
    "moved: cleared, and no offline after it");
  assert.ok(x.log.lines.includes("info MQTT: clearing the retained topics left under" + `svs10/${gw}`), x.log.lines.join("\n"));
});

test("a clearing pass that takes too long is cut short after 30 s: logged, and the new settings connect", async (t) => {
  // a send buffer so small that each clearing publish waits for acknowledgements 2 s apart
  const x = service(setup("svs11"), { sendBuffer: 200, ackMs: 2_000 });
  t.after(() => x.s.stop());
  x.s.addBms(x.bms);
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  await sleep(50);
  x.set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs11b", discovery: false } }));
  await until(() => x.tm.limits.length === 1, 3000, "the clearing pass under way");
  assert.equal(x.world.instances.length, 1, "the new settings wait for the clearing pass");
  x.set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs11c" } })); // and so does a change made meanwhile
  await sleep(100);
  assert.equal(x.world.instances.length, 1, "a change during the clearing pass waits for it too");
  x.tm.fireLimit();
  assert.ok(x.log.lines.includes("warn MQTT: clearing old topics took too long, the rest stays"), x.log.lines.join("\n"));
  await until(() => x.world.instances.length === 2, 3000, "the newest settings connect");
  await until(() => x.s.connection.online, 3000, "online");
  assert.equal(x.s.setup.bridge.prefix, "svs11c");
});

test("stop() during a clearing pass: the new settings never connect", async (t) => {
  const x = service(setup("svs12"), { sendBuffer: 200, ackMs: 2_000 });
  x.s.addBms(x.bms);
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  await sleep(50);
  x.set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs12b", discovery: false } }));
  await until(() => x.tm.limits.length === 1, 3000, "the clearing pass under way");
  x.s.stop();
  x.tm.fireLimit(); // cancelled with the stop: nothing happens
  await sleep(300);
  assert.equal(x.world.instances.length, 1);
  assert.ok(!x.log.lines.some((l) => l.includes("took too long")));
});

test("one uptime across every bridge: the gateway's diag goes on counting after a reconnect", async (t) => {
  let ms = 0;
  const clock: Clock = { ticks: () => ms, since: (ticks) => ms - ticks, epochMs: () => Date.now() };
  const consumer = await Consumer.connect(broker.port, ["svs13/#", "svs13b/#"]);
  const first = setup("svs13");
  const x = service({ ...first, bridge: { ...first.bridge, diagIntervalMs: 100 } }, { clock });
  t.after(() => { x.s.stop(); return consumer.close(); });
  ms = 5_000;
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  const gw = first.bridge.gatewayId;
  ms = 125_900;
  let since = consumer.messages.length;
  await consumer.waitFor((m) => m.topic === `svs13/${gw}/diag` && JSON.parse(m.text).uptime === 125, 3000, since);
  // seconds since the service was made (at tick 0), whole: 125.9 s → 125
  x.set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svs13b" } }));
  await until(() => x.world.instances.length === 2 && x.s.connection.online, 5000, "reconnected");
  ms = 200_000;
  since = consumer.messages.length;
  const later = await consumer.waitFor((m) => m.topic === `svs13b/${gw}/diag` && JSON.parse(m.text).uptime === 200, 3000, since);
  assert.equal(JSON.parse(later.text).mqtt.connects, 2, "statistics across the connections");
});

test("settings that cannot be read: logged, and the bridge in use stays", async (t) => {
  const x = service(setup("svs14"));
  t.after(() => x.s.stop());
  x.s.start();
  await until(() => x.s.connection.online, 3000, "online");
  const connection = x.s.connection;
  x.breakRead();
  x.s.settingsChanged();
  await until(() => x.log.errors.length > 0, 3000, "logged");
  assert.deepEqual(x.log.errors, ["MQTT settings:Error: config bug"]);
  assert.equal(x.s.connection, connection);
  assert.ok(connection.online);
});
