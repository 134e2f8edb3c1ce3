// Every effect the console announces happens: each setting that says "MQTT reconnects" makes the
// firmware (in XS) connect again with the NEW value (client id, topics, discovery, broker, login),
// clearing the retained topics it would otherwise leave orphaned; `reconnect mqtt` uses the values
// as they are now; "live" settings act at once; "Wi-Fi reconnects" settings do. Against real aedes
// brokers that record every client's id and login.
import { haView } from "../bridge/home-assistant";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { once } from "node:events";
import { Aedes } from "aedes";
import { Consumer } from "../lib/broker";
import type { Scenario } from "./scenario";
import { bootGatewayOnXs } from "./xs-gateway";

/** An aedes broker that records who connected, and can require a login. */
class RecordingBroker {
  port = 0;
  readonly clients: { id: string; user?: string }[] = [];
  login: { user: string; password: string } | undefined;
  #aedes: Aedes | undefined;
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker({
      authenticate: (client, user, password, done) => {
        if (client.id.startsWith("consumer-")) { done(null, true); return; } // the test's own clients
        const ok = !this.login || (user === this.login.user && password?.toString() === this.login.password);
        if (ok) this.clients.push({ id: client.id, user });
        done(ok ? null : Object.assign(new Error("bad login"), { returnCode: 4 }), ok);
      },
    });
    const server = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
      aedes.handle(socket);
    });
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    this.port = (server.address() as net.AddressInfo).port;
    this.#aedes = aedes;
    this.#server = server;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#aedes!.close(() => resolve()));
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }
}

const broker = new RecordingBroker();
const other = new RecordingBroker();
let scenario: Scenario;
let gateway = "";

/** Types a console line and lets the device run; returns what the terminal showed. */
async function type(line: string, ms = 6_000): Promise<string> {
  const from = scenario.device.serialOutput.length;
  scenario.device.type(line + "\r");
  await scenario.device.run(ms);
  await new Promise((r) => setTimeout(r, 150));
  await scenario.device.run(2_000);
  return scenario.device.serialOutput.slice(from);
}

/** What a client subscribing now gets from the broker: the retained messages only. */
async function retained(port: number, topics = ["#"]): Promise<Map<string, string>> {
  const c = await Consumer.connect(port, topics);
  await new Promise((r) => setTimeout(r, 250));
  await c.close();
  const kept = c.messages.filter((m) => m.retain);
  // discovery as Home Assistant holds it: the device configs split into per-entity configs
  const view = new Map(kept.filter((m) => m.topic.split("/")[1] !== "device").map((m) => [m.topic, m.text]));
  for (const prefix of new Set(kept.filter((m) => m.topic.split("/")[1] === "device").map((m) => m.topic.split("/")[0]))) {
    for (const [topic, text] of haView(prefix, kept)) if (text) view.set(topic, text);
  }
  return view;
}

const keys = (map: Map<string, string>, prefix: string) => [...map.keys()].filter((t) => t.startsWith(prefix));

before(async () => {
  await broker.start();
  await other.start();
  ({ scenario, gateway } = await bootGatewayOnXs(broker.port, 9));
});
after(async () => { await scenario.device.close(); await broker.stop(); await other.stop(); });

test("gatewayName: new client id, topics and gateway device; the old availability and gateway discovery are cleared", async () => {
  const before = await retained(broker.port);
  assert.equal(before.get(`jbd/${gateway}/availability`), "online");
  assert.ok(keys(before, `homeassistant/binary_sensor/jbd_gateway_${gateway}/`).length, "gateway discovery before");
  const out = await type("config set gatewayName shed");
  assert.match(out, /MQTT reconnects/);
  assert.equal(broker.clients.at(-1)?.id, "shed", "connected again with the new client id");
  const now = await retained(broker.port);
  assert.equal(now.get("jbd/shed/availability"), "online");
  assert.ok(now.get("jbd/shed/diag"), "gateway diag under the new name");
  assert.equal(now.get(`jbd/${gateway}/availability`), undefined, "old availability cleared, not left 'offline'");
  assert.equal(now.get(`jbd/${gateway}/diag`), undefined, "old diag cleared");
  assert.deepEqual(keys(now, `homeassistant/binary_sensor/jbd_gateway_${gateway}/`), [], "old gateway device removed from HA");
  assert.ok(now.get("homeassistant/binary_sensor/jbd_gateway_shed/status/config"), "new gateway device");
  const voltage = JSON.parse(now.get("homeassistant/sensor/jbd_house/voltage/config")!);
  assert.equal(voltage.dev.via_device, "jbd_gateway_shed");
  assert.deepEqual(voltage.avty.map((a: { t: string }) => a.t), ["jbd/shed/availability", "jbd/house/availability"]);
  assert.ok(now.get("jbd/house/state"), "BMS topics unchanged");
  gateway = "shed";
});

test("reconnect mqtt: connects again with the values as they are now", async () => {
  const n = broker.clients.length;
  assert.match(await type("reconnect mqtt"), /MQTT reconnecting/);
  assert.equal(broker.clients.length, n + 1);
  assert.equal(broker.clients.at(-1)?.id, "shed", "not the boot-time client id");
  assert.equal((await retained(broker.port)).get("jbd/shed/availability"), "online");
});

test("topicPrefix: everything moves under the new prefix, commands included; the old retained topics are cleared", async () => {
  assert.match(await type("config set topicPrefix home/bat"), /MQTT reconnects/);
  const now = await retained(broker.port);
  for (const t of ["home/bat/shed/availability", "home/bat/house/state", "home/bat/house/info"]) assert.ok(now.get(t), t);
  assert.equal(now.get("home/bat/house/availability"), undefined, "a pack's availability is never retained");
  assert.deepEqual(keys(now, "jbd/"), [], "nothing left under the old prefix");
  assert.equal(JSON.parse(now.get("homeassistant/sensor/jbd_house/voltage/config")!).stat_t, "home/bat/house/state");
  const ha = await Consumer.connect(broker.port, ["home/bat/#"]);
  await ha.publish("home/bat/house/mos/discharge/set", "OFF");
  await new Promise((r) => setTimeout(r, 100));
  await scenario.device.run(4_000);
  await new Promise((r) => setTimeout(r, 150));
  const result = ha.messages.find((m) => m.topic === "home/bat/house/mos/result");
  await ha.close();
  assert.ok(result, "the command topic under the new prefix is subscribed");
  assert.equal(JSON.parse(result.text).ok, true, result.text);
  assert.equal(scenario.sims[0].pack.read().fet.discharge, false);
});

test("haPrefix: discovery moves to the new prefix and is removed from the old one", async () => {
  assert.match(await type("config set haPrefix ha2"), /MQTT reconnects/);
  const now = await retained(broker.port);
  assert.deepEqual(keys(now, "homeassistant/"), [], "old discovery configs removed");
  assert.ok(now.get("ha2/sensor/jbd_house/voltage/config"));
  assert.ok(now.get("ha2/binary_sensor/jbd_gateway_shed/status/config"));
});

test("haDiscovery off removes every discovery config; on publishes them again", async () => {
  assert.match(await type("config set haDiscovery off"), /MQTT reconnects/);
  let now = await retained(broker.port);
  assert.deepEqual(keys(now, "ha2/"), []);
  assert.ok(now.get("home/bat/house/state"), "readings go on");
  assert.match(await type("config set haDiscovery on"), /MQTT reconnects/);
  now = await retained(broker.port);
  assert.ok(now.get("ha2/sensor/jbd_house/voltage/config"));
});

test("mqttUser / mqttPassword: the new login is used", async () => {
  broker.login = { user: "gw", password: "s3cret" };
  assert.match(await type("config set mqttUser gw"), /MQTT reconnects/);
  assert.notEqual(broker.clients.at(-1)?.user, "gw", "refused without the password");
  assert.match(await type("config set mqttPassword s3cret", 20_000), /MQTT reconnects/);
  assert.deepEqual(broker.clients.at(-1), { id: "shed", user: "gw" });
  assert.equal((await retained(broker.port)).get("home/bat/shed/availability"), "online");
  broker.login = undefined;
});

test("mqttTls: the next connection asks for TLS (not simulated here: it fails, and the old broker is told 'offline')", async () => {
  assert.match(await type("config set mqttTls on"), /MQTT reconnects/);
  assert.equal((await retained(broker.port)).get("home/bat/shed/availability"), "offline");
  assert.match(await type("status"), /mqtt not connected/);
  assert.match(await type("config set mqttTls off", 70_000), /MQTT reconnects/);
  assert.equal((await retained(broker.port)).get("home/bat/shed/availability"), "online");
});

test("mqttHost / mqttPort: the gateway moves to the other broker; the one it left is told 'offline'", async () => {
  assert.match(await type(`config set mqttPort ${other.port}`), /MQTT reconnects/);
  assert.equal(other.clients.at(-1)?.id, "shed");
  const there = await retained(other.port);
  assert.equal(there.get("home/bat/shed/availability"), "online");
  assert.ok(there.get("home/bat/house/state"));
  assert.ok(there.get("ha2/sensor/jbd_house/voltage/config"));
  assert.equal((await retained(broker.port)).get("home/bat/shed/availability"), "offline");
  assert.match(await type("config set mqttHost localhost"), /MQTT reconnects/);
  assert.match(await type("status"), /mqtt connected localhost:/);
  assert.equal(scenario.device.fatalErrors, 0);
});

test("live settings act at once: pollInterval, mosControl", async () => {
  const requests = () => scenario.sims[0].stats.requests[0x03] ?? 0;
  assert.match(await type("config set pollInterval 1"), /applied now/);
  let n = requests();
  await scenario.device.run(10_000);
  assert.ok(requests() - n >= 8, `polls every second: ${requests() - n} in 10 s`);
  assert.match(await type("config set mosControl off"), /applied now/);
  const there = await retained(other.port);
  assert.equal(there.get("ha2/switch/jbd_house/charge_mos/config"), undefined, "switches replaced by read-only sensors");
  n = requests();
  assert.match(await type("config set pollInterval 5"), /applied now/);
});

test("Wi-Fi settings reconnect Wi-Fi with the new values", async () => {
  assert.match(await type("config set password wrong-one", 30_000), /Wi-Fi reconnects/);
  assert.match(await type("status"), /wifi (down|not connected|connecting)/);
  assert.match(await type("config set password virtual-pass", 30_000), /Wi-Fi reconnects/);
  assert.match(await type("status", 20_000), /wifi up[\s\S]*mqtt connected/);
  assert.equal(scenario.device.fatalErrors, 0);
});
