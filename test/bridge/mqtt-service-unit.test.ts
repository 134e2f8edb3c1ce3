// The MQTT service (modules/bridge/mqtt-service.ts) without a broker and without real time: a
// scripted SDK client per connection (scripted-mqtt.ts), the test playing the broker and the clock.
// Which settings make a new bridge, what it inherits (packs, console, MOS control, maintenance,
// state expiry, Wi-Fi pause, statistics, uptime, the availability cleared once), how the old one
// gives way (clearing what moved, or saying offline), the 30 s limit, stop() and changes before
// start(). Written for mutation testing (mqtt-service*.test.ts run a real broker in real time).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MqttService, type MqttSetup } from "../../modules/bridge/mqtt-service";
import type { MqttOptions } from "../../modules/bridge/ports";
import { SettingsSet } from "../../modules/protocol/registers";
import { FakeBms, SP04S034 } from "./fake-bms";
import { TestLog } from "./helpers";
import { ManualTimers, ScriptedClient, bytes } from "./scripted-mqtt";

type Sent = [topic: string, text: string, retain: boolean];

function service(change: (m: MqttSetup) => MqttSetup = (m) => m) {
  const timers = new ManualTimers();
  const clock = timers.clock();
  const clients: ScriptedClient[] = [];
  class MQTT extends ScriptedClient { constructor(options: MqttOptions) { super(options); clients.push(this); } }
  const log = new TestLog();
  let current: MqttSetup = change({
    bridge: { prefix: "jbd", gatewayId: "gw", discovery: true, discoveryPrefix: "ha", mosControl: true },
    broker: { host: "broker.lan", port: 0, tls: false, user: "", password: "" },
  });
  let broken = false, reads = 0;
  const s = new MqttService(() => { reads++; if (broken) throw new Error("config bug"); return current; }, { MQTT, timers, clock, log, random: () => 0 });
  const bms = new FakeBms("house", "House", "A4:C1:38:00:00:01", clock).load(SP04S034);
  bms.online = true;
  const last = () => clients.at(-1)!;
  const sentBy = (c: ScriptedClient): Sent[] => c.published.map(([t, x, f]) => [t, x, (f as { retain: boolean }).retain]);
  const x = {
    s, timers, clients, log, bms, last, sentBy,
    get current() { return current; },
    get reads() { return reads; },
    breakRead: () => { broken = true; },
    /** Changes the settings and tells the service, as the console's `config set` does. */
    set: (f: (m: MqttSetup) => MqttSetup) => { current = f(current); s.settingsChanged(); },
    /** The newest client is accepted, its marker comes back, the settle time passes, everything is published. */
    connect: () => {
      const c = last();
      c.onReady!();
      const sync = current.bridge.prefix + "/" + current.bridge.gatewayId + "/sync";
      const marker = c.published.findLast(([t]) => t === sync);
      if (marker) c.onMessage!(sync, bytes(marker[1]));
      timers.run(timers.now + 1_000);
      timers.drain();
    },
    message: (topic: string, payload: string) => last().onMessage!(topic, bytes(payload)),
  };
  return x;
}

const bridgeChange = (patch: Partial<MqttSetup["bridge"]>) => (m: MqttSetup): MqttSetup => ({ ...m, bridge: { ...m.bridge, ...patch } });
const brokerChange = (patch: Partial<MqttSetup["broker"]>) => (m: MqttSetup): MqttSetup => ({ ...m, broker: { ...m.broker, ...patch } });

test("start() once; one set of statistics, counted across every connection; the connection in use", () => {
  const x = service();
  assert.equal(x.reads, 1, "read once when made");
  x.s.start();
  x.s.start();
  assert.equal(x.clients.length, 1);
  assert.equal(x.s.connection.stats, x.s.stats);
  x.connect();
  const first = x.s.connection;
  x.s.reconnect();
  assert.notEqual(x.s.connection, first, "a new connection in place at once");
  assert.equal(x.s.connection.stats, x.s.stats);
  x.timers.drain();
  assert.equal(x.clients.length, 2);
  x.connect();
  assert.equal(x.s.stats.connects, 2);
  assert.equal(x.s.connection.online, true);
  assert.equal(first.online, false);
});

test("every setting that shapes the connection or its topics makes a new bridge; the others, or none, do not", () => {
  const x = service();
  x.s.start();
  x.connect();
  const changes: Array<[string, (m: MqttSetup) => MqttSetup]> = [
    ["prefix", bridgeChange({ prefix: "jbd2" })],
    ["gatewayId", bridgeChange({ gatewayId: "gw2" })],
    ["discovery", bridgeChange({ discovery: false })],
    ["discoveryPrefix", bridgeChange({ discoveryPrefix: "ha2" })],
    ["bank", bridgeChange({ bank: "parallel" })],
    ["host", brokerChange({ host: "other.lan" })],
    ["port", brokerChange({ port: 1884 })],
    ["tlsVerify", brokerChange({ tlsVerify: true })],
    ["user", brokerChange({ user: "u" })],
    ["password", brokerChange({ password: "p" })],
    ["clientId", brokerChange({ clientId: "c" })],
  ];
  for (const [name, change] of changes) {
    const made = x.clients.length, reads = x.reads;
    x.set(change);
    x.timers.turn();
    assert.equal(x.reads, reads + 1, name);
    x.timers.drain();
    assert.equal(x.clients.length, made + 1, name + ": a new connection");
    assert.deepEqual(x.s.setup, x.current, name);
    x.connect();
  }
  const made = x.clients.length;
  x.set(bridgeChange({ mosControl: false, diagIntervalMs: 5_000, firmwareVersion: "9", bank: "parallel" }));
  x.set(brokerChange({ keepAliveMs: 10_000 }));
  x.timers.drain();
  assert.equal(x.clients.length, made, "MOS control, diag interval, firmware version, keep-alive: no new connection");
  x.set(bridgeChange({ bank: "" }));
  x.timers.drain();
  x.connect();
  assert.equal(x.clients.length, made + 1, "the bank switched off");
  x.set(bridgeChange({ bank: undefined }));
  x.timers.drain();
  assert.equal(x.clients.length, made + 1, "no bank, said two ways: the same");
  x.set(brokerChange({ tls: true }));
  x.timers.drain();
  assert.ok(x.log.errors.includes("MQTT: TLS asked for but no SecureSocket given"), "a TLS change makes a new bridge too");
});

test("a burst of changes makes one new bridge, on the next turn; settings that cannot be read are logged and the bridge stays", () => {
  const x = service();
  x.s.start();
  x.connect();
  const reads = x.reads;
  x.set(brokerChange({ user: "a" }));
  x.set(brokerChange({ user: "b" }));
  assert.equal(x.reads, reads, "not at once");
  x.timers.turn();
  assert.equal(x.reads, reads + 1, "read once");
  x.timers.drain();
  assert.equal(x.clients.length, 2);
  assert.equal(x.last().options.user, "b");
  x.set(brokerChange({ user: "c" }));
  x.timers.turn();
  assert.equal(x.reads, reads + 2, "the next change after it: read again");

  const y = service();
  y.s.start();
  y.connect();
  const connection = y.s.connection;
  y.breakRead();
  y.s.settingsChanged();
  assert.doesNotThrow(() => y.timers.turn());
  assert.deepEqual(y.log.errors, ["MQTT settings:Error: config bug"]);
  assert.equal(y.s.connection, connection);
  assert.equal(connection.online, true);
  y.s.settingsChanged();
  y.timers.turn();
  assert.equal(y.log.errors.length, 2, "a later change is read again");
});

test("same topics (a broker-side change): the old connection sends what it holds, says offline, then the new one connects", () => {
  const x = service();
  x.s.addBms(x.bms);
  x.s.setConsoleHandler((_line, reply) => reply("changed"));
  x.s.start();
  x.connect();
  const old = x.last();
  const before = old.published.length;
  x.message("jbd/gw/console", "config set mqttUser u");
  x.set(brokerChange({ user: "u" }));
  x.timers.drain();
  assert.deepEqual(x.sentBy(old).slice(before), [["jbd/gw/console/out", "changed", false], ["jbd/gw/availability", "offline", true]]);
  assert.deepEqual(old.closed, [false]);
  assert.equal(x.clients.length, 2);
  assert.ok(!x.log.lines.some((l) => l.includes("clearing")), x.log.lines.join("\n"));
  x.connect();
  assert.ok(x.sentBy(x.last()).some(([t, v]) => t === "jbd/gw/availability" && v === "online"));
});

test("topics moved: the old bridge clears what it leaves (said in the log), its availability stays cleared; the new one publishes under the new names", () => {
  const x = service();
  x.s.addBms(x.bms);
  x.s.start();
  x.connect();
  const old = x.last();
  const before = old.published.length;
  x.set(bridgeChange({ prefix: "new" }));
  x.timers.drain();
  assert.ok(x.log.lines.includes("info MQTT: clearing the retained topics left underjbd/gw"), x.log.lines.join("\n"));
  assert.deepEqual(x.sentBy(old).slice(before), [["jbd/house/state", "", true], ["jbd/house/info", "", true], ["jbd/house/diag", "", true], ["jbd/house/availability", "", true],
    ["jbd/gw/diag", "", true], ["jbd/gw/availability", "", true]], "cleared; no offline after it");
  assert.equal(x.clients.length, 2);
  x.connect();
  const topics = x.sentBy(x.last()).map(([t]) => t);
  assert.ok(topics.includes("new/house/state") && topics.includes("new/gw/availability"));
  assert.ok(!topics.includes("jbd/house/state"));
});

test("a change while offline: the old bridge stopped, the new one started at once; topics that moved are said to stay", () => {
  const x = service();
  x.s.start();
  x.set(brokerChange({ user: "u" }));
  x.timers.turn();
  assert.equal(x.clients.length, 2, "the new one at once");
  assert.deepEqual(x.clients[0].closed, [false]);
  assert.deepEqual(x.log.lines.filter((l) => l.startsWith("warn")), []);
  x.set(bridgeChange({ prefix: "moved" }));
  x.timers.turn();
  assert.ok(x.log.lines.includes("warn MQTT: not connected, so the retained topics left under jbd/gw stay"), x.log.lines.join("\n"));
  assert.equal(x.clients.length, 3);
});

test("a change before start(): nothing connects until start(), then with the new settings; after stop(), nothing connects", () => {
  const x = service();
  x.set(bridgeChange({ prefix: "early" }));
  x.timers.drain();
  assert.equal(x.clients.length, 0);
  assert.equal(x.s.setup.bridge.prefix, "early");
  x.s.start();
  assert.equal(x.clients.length, 1);
  x.connect();
  assert.ok(x.sentBy(x.last()).some(([t]) => t === "early/gw/availability"));
  x.s.stop();
  assert.deepEqual(x.sentBy(x.last()).at(-1), ["early/gw/availability", "offline", true]);
  x.set(brokerChange({ user: "after" }));
  x.timers.drain();
  assert.equal(x.clients.length, 1);
  assert.equal(x.s.connection.online, false);
  x.s.start();
  assert.equal(x.clients.length, 2, "started again: the newest settings");
  assert.equal(x.last().options.user, "after");
});

test("a clearing pass that takes too long is cut short after 30 s; a change meanwhile waits for it, and the newest settings connect", () => {
  const x = service();
  x.s.addBms(x.bms);
  x.s.start();
  x.connect();
  const old = x.last();
  old.failPublish = true; // a link that stopped draining
  x.set(bridgeChange({ prefix: "b" }));
  x.timers.turn();
  x.timers.run(x.timers.now + 10_000);
  x.set(bridgeChange({ prefix: "c" }));
  x.timers.run(x.timers.now + 10_000);
  assert.equal(x.clients.length, 1, "every change waits for the clearing pass");
  x.timers.run(x.timers.now + 9_999);
  assert.equal(x.clients.length, 1);
  x.timers.run(x.timers.now + 1);
  assert.ok(x.log.lines.includes("warn MQTT: clearing old topics took too long, the rest stays"), x.log.lines.join("\n"));
  assert.equal(x.clients.length, 2);
  assert.deepEqual(old.closed, [false]);
  x.connect();
  assert.equal(x.s.setup.bridge.prefix, "c");
  assert.ok(x.sentBy(x.last()).some(([t]) => t === "c/gw/availability"));
  x.timers.run(x.timers.now + 100_000);
  assert.equal(x.clients.length, 2);
});

test("an exception while cutting a clearing pass short is logged; stop() during a clearing pass: the new settings never connect", () => {
  const x = service();
  x.s.start();
  x.connect();
  x.last().failPublish = true;
  x.set(bridgeChange({ prefix: "b" }));
  x.timers.turn();
  const warn = x.log.warn.bind(x.log);
  x.log.warn = (message: string, value?: unknown) => { if (message.includes("too long")) throw new Error("log bug"); warn(message, value); };
  assert.doesNotThrow(() => x.timers.run(x.timers.now + 30_000));
  assert.deepEqual(x.log.errors, ["MQTT retire:Error: log bug"]);

  const y = service();
  y.s.start();
  y.connect();
  y.last().failPublish = true;
  y.set(bridgeChange({ prefix: "b" }));
  y.timers.run(y.timers.now + 1_000);
  y.s.stop();
  y.timers.run(y.timers.now + 100_000);
  assert.equal(y.clients.length, 1);
  assert.ok(!y.log.lines.some((l) => l.includes("took too long")));
  assert.deepEqual(y.clients[0].closed, [false]);
});

test("paused (Wi-Fi down): the new bridge waits for resume(); the old one paused with it", () => {
  const x = service();
  x.s.start();
  x.connect();
  x.s.pause();
  assert.deepEqual(x.last().closed, [true]);
  assert.equal(x.s.connection.online, false);
  x.set(brokerChange({ user: "u2" }));
  x.timers.drain();
  assert.equal(x.clients.length, 1, "no connect while paused");
  x.s.resume();
  assert.equal(x.clients.length, 2);
  assert.equal(x.last().options.user, "u2");
  x.connect();
  assert.equal(x.s.connection.online, true);
  x.set(brokerChange({ user: "u3" }));
  x.timers.drain();
  assert.equal(x.clients.length, 3, "after resume(): connects");
});

test("the new bridge has the packs, the console handler, and the MOS control, maintenance and state expiry set at run time", () => {
  const x = service();
  x.s.addBms(x.bms);
  const lines: string[] = [];
  x.s.setConsoleHandler((line, reply) => { lines.push(line); reply("echo " + line); });
  x.s.setMosControl(false);
  x.s.setMaintenance("capacity");
  x.s.setStateExpiry(90);
  x.s.start();
  x.connect();
  const parts = (c: ScriptedClient) => x.sentBy(c).filter(([t, v]) => t.startsWith("ha/device/jbd_house_") && v).map(([, v]) => v).join();
  for (const c of [x.last()]) {
    assert.ok(parts(c).includes("\"reset_capacity\"") && parts(c).includes("\"exp_aft\":90") && !parts(c).includes("\"p\":\"switch\""));
  }
  x.set(bridgeChange({ prefix: "b" }));
  x.timers.drain();
  x.connect();
  const c = x.last();
  assert.ok(parts(c).includes("\"reset_capacity\""), "maintenance buttons");
  assert.ok(parts(c).includes("\"exp_aft\":90"), "state expiry");
  assert.ok(!parts(c).includes("\"p\":\"switch\""), "no MOS switches");
  x.message("b/gw/console", "status");
  x.message("b/house/mos/charge/set", "OFF");
  x.timers.drain();
  assert.deepEqual(lines, ["status"]);
  assert.deepEqual(x.sentBy(c).filter(([t]) => t === "b/gw/console/out" || t === "b/house/mos/result").map(([, v]) => v),
    ["echo status", "{\"fet\":\"charge\",\"requested\":\"OFF\",\"ok\":false,\"error\":\"control disabled (mosControl is off)\"}"]);
  x.s.setMosControl(true);
  x.timers.drain();
  assert.ok(x.sentBy(c).some(([t, v]) => t.startsWith("ha/device/jbd_house_") && v.includes("\"p\":\"switch\"")), "switched on at run time: the bridge in use follows");
});

test("link events reach the bridge in use; a pack's availability cleared once per boot, not by each new bridge; one uptime", () => {
  const x = service(bridgeChange({ discovery: false }));
  x.s.addBms(x.bms);
  x.timers.run(5_000);
  x.s.start();
  x.connect();
  assert.deepEqual(x.sentBy(x.last()).filter(([t]) => t === "jbd/house/availability").map(([, v]) => v), ["", "online"]);
  assert.equal(JSON.parse(x.sentBy(x.last()).find(([t]) => t === "jbd/gw/diag")![1]).uptime, 5, "since the service was made");
  x.set(brokerChange({ user: "u" }));
  x.timers.drain();
  x.timers.run(x.timers.now + 2_000);
  x.connect();
  const c = x.last();
  assert.deepEqual(x.sentBy(c).filter(([t]) => t === "jbd/house/availability").map(([, v]) => v), ["online"], "not cleared again");
  assert.equal(JSON.parse(x.sentBy(c).find(([t]) => t === "jbd/gw/diag")![1]).uptime, Math.floor(x.timers.now / 1000) - 1, "counted on across bridges");
  const from = c.published.length;
  x.s.onReading(x.bms);
  x.s.onInfo(x.bms);
  x.bms.online = false;
  x.s.onAvailability(x.bms, false);
  Object.assign(x.bms, { settings: { values: new SettingsSet(), writable: false, busy: false, read() {}, write() {}, dryRun() { return { ok: true, action: "read" }; } } });
  x.s.onSettings(x.bms);
  x.timers.drain();
  assert.deepEqual(x.sentBy(c).slice(from).map(([t, v]) => t + (t.endsWith("availability") ? " " + v : "")), ["jbd/house/availability offline", "jbd/house/state", "jbd/house/info", "jbd/house/settings"]);
});

test("what is not set at run time comes from the settings read: MOS control, maintenance, state expiry; no console without a handler; one diag timer", () => {
  const x = service(bridgeChange({ maintenance: "protection", stateExpireS: 90 }));
  x.s.addBms(x.bms);
  x.bms.mosMode = "hold";
  x.s.start();
  x.s.start();
  x.connect();
  assert.equal(x.timers.armed.filter(([, ms]) => ms === 60_000).length, 1, "start() twice: one bridge started once");
  assert.ok(!x.last().subscribed.includes("jbd/gw/console"), "no console handler: not subscribed");
  const parts = x.sentBy(x.last()).filter(([t, v]) => t.startsWith("ha/device/jbd_house_") && v).map(([, v]) => v).join();
  assert.ok(parts.includes("\"clear_protection\""), "the configured maintenance");
  assert.ok(parts.includes("\"exp_aft\":90"), "the configured state expiry");
  assert.ok(parts.includes("\"p\":\"switch\""), "the configured MOS control");
  x.message("jbd/house/mos/charge/set", "OFF");
  assert.deepEqual(x.bms.mosCalls, [{ fet: "charge", on: false }]);
});
