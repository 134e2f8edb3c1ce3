// The MQTT service across setting changes, on Node against a real broker (aedes): a burst of
// changes makes one reconnect; topics moved while the broker is down are not cleared (nothing can
// be) and the new ones appear once it is back; a change during a clearing pass wins in the end.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import { MqttService, type MqttSetup } from "../../modules/bridge/mqtt-service";
import { FakeBms, SP04S034 } from "./fake-bms";
import { sdkMqtt } from "./sdk-mqtt";
import { TestLog, nodeClock, nodeTimers, sleep, until } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

let n = 0;
function service(setup: MqttSetup) {
  const world = sdkMqtt();
  const log = new TestLog();
  let current = setup;
  const s = new MqttService(() => current, { MQTT: world.MQTT, timers: nodeTimers, clock: nodeClock, log, random: () => 0 });
  const bms = new FakeBms("house", "House", "A4:C1:38:00:00:01", nodeClock).load(SP04S034);
  bms.online = true;
  s.addBms(bms);
  s.onReading(bms);
  return { s, world, log, bms, set: (change: (m: MqttSetup) => MqttSetup) => { current = change(current); s.settingsChanged(); } };
}

function setup(prefix: string): MqttSetup {
  return {
    bridge: { prefix, gatewayId: "gw" + ++n, discovery: true, discoveryPrefix: "ha-" + prefix, mosControl: true },
    broker: { host: "127.0.0.1", port: broker.port, tls: false, user: "", password: "" },
  };
}

test("several changes in one turn make one reconnect, with all of them", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["svc1/#", "svc1b/#"]);
  const { s, world, set } = service(setup("svc1"));
  t.after(() => { s.stop(); return consumer.close(); });
  s.start();
  await until(() => s.connection.online, 3000, "online");
  set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svc1b" } }));
  set((m) => ({ ...m, bridge: { ...m.bridge, gatewayId: "renamed" } }));
  set((m) => ({ ...m, broker: { ...m.broker, user: "" } }));
  await until(() => s.connection.online && world.instances.length === 2, 5000, "reconnected once");
  await sleep(300);
  assert.equal(world.instances.length, 2, "one new connection for three changes");
  assert.equal(world.instances[1].options.id, "renamed");
  assert.equal(consumer.last("svc1b/renamed/availability")?.text, "online");
  assert.equal(consumer.last("svc1b/house/availability")?.text, "online");
  assert.ok(consumer.last("svc1b/house/state"));
  assert.equal(s.stats.connects, 2, "statistics kept across connections");
});

test("topics moved while the broker is down: nothing can be cleared, the new names once it is back", async (t) => {
  const down = new Broker();
  await down.start();
  const first = setup("svc2");
  const { s, world, log, set } = service({ ...first, broker: { ...first.broker, port: down.port } });
  t.after(async () => { s.stop(); await down.stop(); });
  s.start();
  await until(() => s.connection.online, 3000, "online");
  await down.stop();
  await until(() => !s.connection.online, 3000, "offline");
  set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svc2b" } }));
  await sleep(50);
  assert.ok(log.lines.some((l) => /not connected, so the retained topics left under svc2\/gw\d+ stay/.test(l)), log.lines.join("\n"));
  await down.start();
  const consumer = await Consumer.connect(down.port, ["svc2b/#"]);
  t.after(() => consumer.close());
  await until(() => s.connection.online, 8000, "online with the new settings");
  await consumer.waitFor((m) => m.topic === "svc2b/house/availability" && m.text === "online", 3000, 0);
  assert.equal(world.instances.at(-1)!.options.id, first.bridge.gatewayId);
});

test("a change while the old topics are being cleared: the newest settings are the ones that connect", async (t) => {
  const consumer = await Consumer.connect(broker.port, ["svc3/#", "svc3b/#", "svc3c/#"]);
  const { s, world, log, set } = service(setup("svc3"));
  t.after(() => { s.stop(); return consumer.close(); });
  s.start();
  await until(() => s.connection.online, 3000, "online");
  await sleep(200);
  // The second change comes the moment the first one's clearing pass begins (its log line comes
  // just before the pass starts), not after a guessed real-time pause that load can outlast.
  const info = log.info.bind(log);
  let changedAgain = false;
  log.info = (message: string, value?: unknown) => {
    info(message, value);
    if (!changedAgain && message.startsWith("MQTT: clearing")) {
      changedAgain = true;
      set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svc3c" } }));
    }
  };
  set((m) => ({ ...m, bridge: { ...m.bridge, prefix: "svc3b" } }));
  await until(() => s.connection.online && consumer.last("svc3c/house/availability")?.text === "online", 5000, "newest online");
  await sleep(300);
  const gateway = world.instances.at(-1)!.options.id;
  assert.equal(consumer.last(`svc3c/${gateway}/availability`)?.text, "online");
  assert.ok(!consumer.messages.some((m) => m.topic.startsWith("svc3b/") && m.text), "the settings in between never published");
  assert.equal(consumer.last("svc3/house/state")?.text, "", "the first prefix's retained topics cleared");
});
