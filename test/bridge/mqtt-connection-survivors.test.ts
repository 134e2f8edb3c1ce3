// The reconnecting MQTT connection (modules/bridge/mqtt-connection.ts) on a scripted SDK client and
// manual time, for what mutation testing left open: start() guards (no host, TLS without a socket
// class, a password alone, started twice, started while paused), the exact CONNECT options, stop()
// and pause() (DISCONNECT or not), resume(), subscriptions (once each, sent when online, a failing
// one), publish flags and failures, callbacks of a replaced client, exceptions from the listener,
// a client constructor that throws, connect timeouts, and the log lines an operator reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MqttConnection, MqttStats, type ConnectionListener, type MqttSettings, type TlsPort } from "../../modules/bridge/mqtt-connection";
import type { MqttOptions } from "../../modules/bridge/ports";
import { TestLog } from "./helpers";
import { ManualTimers, ScriptedClient as Client, bytes } from "./scripted-mqtt";

class Events implements ConnectionListener {
  readonly seen: string[] = [];
  /** Each message's `replayed` flag, in order. */
  readonly replayed: boolean[] = [];
  throwOn: "online" | "offline" | "message" | undefined;
  onOnline(): void { this.seen.push("online"); if (this.throwOn === "online") throw new Error("online bug"); }
  onOffline(): void { this.seen.push("offline"); if (this.throwOn === "offline") throw new Error("offline bug"); }
  onMessage(topic: string, data: ArrayBuffer, replayed: boolean): void {
    this.replayed.push(replayed);
    this.seen.push("message " + topic + " " + Buffer.from(data).toString());
    if (this.throwOn === "message") throw new Error("message bug");
  }
}

function world(overrides: Partial<MqttSettings> = {}, platform: { SecureSocket?: unknown; random?: () => number; throwOnCreate?: number; stats?: MqttStats; tls?: TlsPort } = {}) {
  const clients: Client[] = [];
  const timers = new ManualTimers();
  const events = new Events();
  const log = new TestLog();
  let creates = 0;
  class MQTT extends Client {
    constructor(options: MqttOptions) {
      if (++creates <= (platform.throwOnCreate ?? 0)) throw new Error("no memory");
      super(options);
      clients.push(this);
    }
  }
  const settings: MqttSettings = { host: "broker.lan", port: 0, tls: false, user: "", password: "", clientId: "gw", willTopic: "jbd/gw/availability", ...overrides };
  const connection = new MqttConnection(settings, {
    MQTT, timers, stats: platform.stats, SecureSocket: platform.SecureSocket as MqttOptions["Socket"], tls: platform.tls,
    random: "random" in platform ? platform.random : () => 0,
  }, events, log);
  const last = () => clients.at(-1)!;
  /** The broker accepts the newest client. */
  const ready = () => { last().onReady!(); };
  /** The broker (or the network) closes the newest client; the connection handles it on the next turn. */
  const drop = () => { last().onClose!(); timers.turn(); };
  return { clients, timers, events, log, connection, last, ready, drop, warns: () => log.lines.filter((l) => l.startsWith("warn")) };
}

test("CONNECT options: host, client id, retained will, keep-alive 30 s by default; no port, user or socket unless set", () => {
  const w = world();
  w.connection.start();
  assert.deepStrictEqual(w.last().options, { host: "broker.lan", id: "gw", will: { topic: "jbd/gw/availability", message: "offline", retain: true }, timeout: 30_000 });
  assert.deepEqual(w.timers.armed, [[0, 15_000]], "the connect timeout: 15 s by default");
  assert.equal(w.connection.stats.connectAttempts, 1);

  const v = world({ port: 1884, user: "ha", keepAliveMs: 10_000, connectTimeoutMs: 2_000 });
  v.connection.start();
  assert.deepStrictEqual(v.last().options, { host: "broker.lan", id: "gw", will: { topic: "jbd/gw/availability", message: "offline", retain: true }, timeout: 10_000, port: 1884, user: "ha" }, "a user without a password");
  assert.deepEqual(v.timers.armed, [[0, 2_000]]);

  class Tls { constructor(_: unknown) {} }
  const t = world({ port: 8884, tls: true, user: "u", password: "p" }, { SecureSocket: Tls });
  t.connection.start();
  assert.deepEqual([t.last().options.port, t.last().options.Socket, t.last().options.user, t.last().options.password], [8884, Tls, "u", "p"], "a set port wins over TLS's 8883");
});

test("start(): no host, or TLS without a socket class, is logged and connects nothing; a password alone is not sent", () => {
  const none = world({ host: "" });
  none.connection.start();
  assert.equal(none.clients.length, 0);
  assert.deepEqual(none.log.lines, ["warn MQTT: no broker host configured"]);
  assert.deepEqual(none.timers.armed, []);

  const tls = world({ tls: true });
  tls.connection.start();
  assert.equal(tls.clients.length, 0);
  assert.deepEqual(tls.log.errors, ["MQTT: TLS asked for but no SecureSocket given"]);

  const lone = world({ password: "secret" });
  lone.connection.start();
  assert.equal(lone.clients.length, 1);
  assert.equal("password" in lone.last().options || "user" in lone.last().options, false);
  assert.deepEqual(lone.warns(), ["warn MQTT: password ignored without a user name (config set mqttUser ...)"]);
  const both = world({ user: "u", password: "secret" });
  both.connection.start();
  assert.deepEqual(both.warns(), [], "user and password: no warning");
});

test("start() twice makes one client; start() while paused waits for resume()", () => {
  const w = world();
  w.connection.start();
  w.connection.start();
  assert.equal(w.clients.length, 1);

  const p = world();
  p.connection.pause();
  p.connection.start();
  assert.equal(p.clients.length, 0, "paused: no connect");
  p.connection.resume();
  assert.equal(p.clients.length, 1, "resume() connects a started connection");
  p.connection.resume();
  assert.equal(p.clients.length, 1, "resume() when not paused does nothing");

  const q = world();
  q.connection.pause();
  q.connection.resume();
  assert.equal(q.clients.length, 0, "resume() of a connection never started connects nothing");
  q.connection.start();
  assert.equal(q.clients.length, 1, "resumed: start() connects at once");
  assert.deepEqual(q.log.lines, [], "pause() with no client: nothing to close, nothing logged");
});

test("online: subscriptions sent once each, the stability timer armed, the listener told; the connect logged", () => {
  const w = world();
  w.connection.subscribe("a/#");
  w.connection.subscribe("b/+");
  w.connection.subscribe("a/#");
  w.connection.start();
  w.connection.subscribe("d"); // while connecting: the SDK would throw; sent with the others on CONNACK
  assert.deepEqual(w.last().subscribed, [], "nothing before CONNACK");
  w.ready();
  assert.equal(w.connection.online, true);
  assert.deepEqual(w.last().subscribed, ["a/#", "b/+", "d"]);
  assert.deepEqual(w.events.seen, ["online"]);
  assert.equal(w.connection.stats.connects, 1);
  assert.deepEqual(w.timers.pending, [30_000], "the connect timeout gone, the stability timer armed");
  assert.ok(w.log.lines.includes("info MQTT connected tobroker.lan"), w.log.lines.join("\n"));
  w.connection.subscribe("c");
  w.connection.subscribe("a/#");
  assert.deepEqual(w.last().subscribed, ["a/#", "b/+", "d", "c"], "a new one at once, a known one not again");
});

test("a subscription the client refuses is logged, and the others are still sent", () => {
  const w = world();
  w.connection.subscribe("a");
  w.connection.subscribe("b");
  w.connection.start();
  w.last().failSubscribe = true;
  w.ready();
  assert.deepEqual(w.warns(), ["warn MQTT subscribe failed:Error: connection closed", "warn MQTT subscribe failed:Error: connection closed"]);
  assert.deepEqual(w.events.seen, ["online"]);
});

test("publish: retain flag as given, counted; a refused write counted and logged, false", () => {
  const w = world();
  w.connection.start();
  assert.equal(w.connection.publish("t", "x", true), false, "not before CONNACK");
  w.ready();
  assert.equal(w.connection.publish("t/r", "1", true), true);
  assert.equal(w.connection.publish("t/n", new TextEncoder().encode("2").buffer as ArrayBuffer, false), true);
  assert.deepEqual(w.last().published, [["t/r", "1", { retain: true }], ["t/n", "2", { retain: false }]]);
  assert.equal(w.connection.stats.publishes, 2);
  w.last().failPublish = true;
  assert.equal(w.connection.publish("t/f", "3", false), false);
  assert.deepEqual([w.connection.stats.publishes, w.connection.stats.publishFailures], [2, 1]);
  assert.ok(w.log.lines.includes("debug MQTT publish failed:Error: can't write all data"));
});

test("messages are counted and passed on; an exception in the listener is caught and logged", () => {
  const w = world();
  w.connection.start();
  w.ready();
  w.last().onMessage!("in/a", new TextEncoder().encode("hi").buffer as ArrayBuffer);
  assert.deepEqual(w.events.seen, ["online", "message in/a hi"]);
  assert.equal(w.connection.stats.messagesIn, 1);
  w.events.throwOn = "message";
  assert.doesNotThrow(() => w.last().onMessage!("in/b", new ArrayBuffer(0)));
  assert.deepEqual(w.log.errors, ["MQTT onMessage:Error: message bug"]);
  assert.equal(w.connection.stats.messagesIn, 2);
});

test("an exception in the listener's onOnline is caught and logged", () => {
  const w = world();
  w.events.throwOn = "online";
  w.connection.start();
  assert.doesNotThrow(() => w.ready());
  assert.deepEqual(w.log.errors, ["MQTT onReady:Error: online bug"]);
  assert.equal(w.connection.online, true);
});

test("a lost connection: counted, logged, the listener told on the next turn, a new client after the backoff", () => {
  const w = world();
  w.connection.start();
  w.ready();
  w.last().onClose!();
  assert.equal(w.connection.online, true, "onClose is handled on the next turn, not inside the SDK's callback");
  assert.deepEqual(w.events.seen, ["online"]);
  w.timers.turn();
  assert.equal(w.connection.online, false);
  assert.deepEqual(w.events.seen, ["online", "offline"]);
  assert.equal(w.connection.stats.disconnects, 1);
  assert.deepEqual(w.warns(), ["warn MQTT connection lost:broker.lan"]);
  assert.equal(w.connection.publish("t", "x", false), false, "no client after its onClose");
  assert.deepEqual(w.timers.pending, [500], "the first backoff (random() = 0: half of 1 s)");
  w.timers.run(500);
  assert.equal(w.clients.length, 2);
  assert.equal(w.connection.stats.connectAttempts, 2);
});

test("a refused connect: logged as failed, not counted as a disconnect, the listener not told", () => {
  const w = world();
  w.connection.start();
  w.drop();
  assert.deepEqual(w.warns(), ["warn MQTT connect failed:broker.lan"]);
  assert.equal(w.connection.stats.disconnects, 0);
  assert.deepEqual(w.events.seen, []);
});

test("an exception in the listener's onOffline (from onClose) is caught and logged, and the connection retries", () => {
  const w = world();
  w.connection.start();
  w.ready();
  w.events.throwOn = "offline";
  w.drop();
  assert.deepEqual(w.log.errors, ["MQTT onClose:Error: offline bug"]);
  w.timers.run(1_000);
  assert.equal(w.clients.length, 2, "retried");
});

test("callbacks of a client that was replaced are ignored", () => {
  const w = world({ connectTimeoutMs: 100 });
  w.connection.start();
  const old = w.last();
  w.timers.run(100); // connect timeout: the old client closed, a retry scheduled
  w.timers.run(600);  // the retry (backoff 500 ms): a new client
  assert.equal(w.clients.length, 2);
  old.onReady!();
  old.onMessage!("x", new ArrayBuffer(0));
  old.onClose!();
  w.timers.turn();
  assert.equal(w.connection.online, false);
  assert.deepEqual(w.events.seen, []);
  w.ready();
  w.last().onClose!();
  const closing = w.last();
  w.connection.pause();  // the client is gone before its onClose is handled
  w.timers.turn();
  assert.deepEqual(w.events.seen, ["online", "offline"], "the late onClose of a dropped client changes nothing");
  assert.equal(w.connection.stats.disconnects, 0);
  assert.equal(closing.closed.length, 1);
  w.timers.run(w.timers.now + 120_000);
  assert.equal(w.clients.length, 2, "no reconnect while paused");
  assert.ok(!w.log.lines.some((l) => l.includes("connect failed")), w.log.lines.join("\n"));
});

test("a connect that times out: counted, logged, the client closed at once (no DISCONNECT), retried", () => {
  const w = world({ connectTimeoutMs: 150 });
  w.connection.start();
  w.timers.run(149);
  assert.equal(w.connection.stats.connectTimeouts, 0);
  w.timers.run(150);
  assert.equal(w.connection.stats.connectTimeouts, 1);
  assert.deepEqual(w.clients[0].closed, [true]);
  assert.deepEqual(w.warns(), ["warn MQTT connect timed out:broker.lan"]);
  assert.deepEqual(w.timers.pending, [650], "retry after the backoff");
  w.timers.run(650);
  assert.equal(w.clients.length, 2);
});

test("a client constructor that throws is logged and retried after the backoff", () => {
  const w = world({}, { throwOnCreate: 1 });
  w.connection.start();
  assert.equal(w.clients.length, 0);
  assert.deepEqual(w.log.errors, ["MQTT: cannot create the client:Error: no memory"]);
  assert.deepEqual(w.timers.pending, [500], "the connect timeout replaced by the backoff");
  w.timers.run(500);
  assert.equal(w.clients.length, 1);
  assert.equal(w.connection.stats.connectAttempts, 2);
});

test("stop(): offline published retained, then a clean DISCONNECT; the listener told; nothing more after it", () => {
  const w = world();
  w.connection.start();
  w.ready();
  const client = w.last();
  w.connection.stop();
  assert.deepEqual(client.published, [["jbd/gw/availability", "offline", { retain: true }]]);
  assert.deepEqual(client.closed, [false], "not immediate: DISCONNECT, so the broker drops the will");
  assert.deepEqual(w.events.seen, ["online", "offline"]);
  assert.equal(w.connection.online, false);
  assert.deepEqual(w.timers.pending, [], "no timer left");
  w.connection.stop();
  assert.equal(client.closed.length, 1, "a second stop() does nothing");

  const quiet = world();
  quiet.connection.start();
  quiet.ready();
  quiet.connection.stop(false);
  assert.deepEqual(quiet.last().published, [], "stop(false): the availability stays as it was cleared");
  const never = world();
  never.connection.stop();
  assert.equal(never.clients.length, 0);
  assert.deepEqual(never.events.seen, []);
});

test("a start() after stop() connects again", () => {
  const w = world();
  w.connection.start();
  w.connection.stop();
  w.connection.start();
  assert.equal(w.clients.length, 2);
});

test("pause(): the client closed at once (the will is published), the listener told, no retry until resume()", () => {
  const w = world();
  w.connection.start();
  w.ready();
  w.connection.pause();
  assert.deepEqual(w.last().closed, [true]);
  assert.deepEqual(w.last().published, [], "no offline of our own: the will says it");
  assert.deepEqual(w.events.seen, ["online", "offline"]);
  assert.deepEqual(w.timers.pending, []);
  w.timers.run(120_000);
  assert.equal(w.clients.length, 1);
});

test("pause() while connecting: the listener is not told (it never was online)", () => {
  const w = world();
  w.connection.start();
  w.connection.pause();
  assert.deepEqual(w.events.seen, []);
  assert.deepEqual(w.last().closed, [true]);
});

test("an exception from onOffline during pause() is caught and logged; a client whose close() throws too", () => {
  const w = world();
  w.connection.start();
  w.ready();
  w.events.throwOn = "offline";
  w.last().failClose = true;
  assert.doesNotThrow(() => w.connection.pause());
  assert.deepEqual(w.log.errors, ["MQTT onOffline:Error: offline bug"]);
  assert.ok(w.log.lines.includes("debug MQTT close:Error: socket gone"), w.log.lines.join("\n"));
});

test("resume() starts the backoff over: the next failure waits the shortest time again", () => {
  const w = world();
  w.connection.start();
  for (let i = 0; i < 4; i++) { w.drop(); w.timers.run(w.timers.pending[0]); }
  assert.equal(w.timers.armed.at(-2)![1], 8_000 / 2, "backoff grown to 8 s (half with random() = 0)");
  w.connection.pause();
  w.connection.resume();
  w.drop();
  assert.equal(w.timers.armed.at(-1)![1], 500);
});

test("the stability timer: a connection that held 30 s starts the backoff over; one dropped sooner does not", () => {
  const w = world();
  w.connection.start();
  for (let i = 0; i < 3; i++) { w.drop(); w.timers.run(w.timers.pending[0]); }
  w.ready();
  w.timers.run(w.timers.now + 29_999);
  w.drop();
  assert.equal(w.timers.armed.at(-1)![1], 4_000, "held 29.999 s: the backoff goes on growing (8 s ceiling)");
  w.timers.run(w.timers.pending[0]);
  w.ready();
  w.timers.run(w.timers.now + 30_000);
  w.drop();
  assert.equal(w.timers.armed.at(-1)![1], 500, "held 30 s: from 1 s again");
});

test("without a random source the backoff is jittered between half and all of its ceiling", () => {
  const waits: number[] = [];
  for (let i = 0; i < 20; i++) {
    const w = world({}, { random: undefined });
    w.connection.start();
    w.drop();
    waits.push(w.timers.armed.at(-1)![1]);
  }
  assert.ok(waits.every((ms) => ms >= 500 && ms < 1_000), waits.join(" "));
  assert.ok(new Set(waits).size > 1, "random: " + waits.join(" "));
});

test("statistics given by the platform are the ones counted into", () => {
  const stats = new MqttStats();
  const w = world({}, { stats });
  assert.equal(w.connection.stats, stats);
  w.connection.start();
  assert.equal(stats.connectAttempts, 1);
});

test("TLS: nothing is tried while the gate names a problem; said once, looked at again every 2 s; then connects with its secure options", () => {
  let problem: string | undefined = "waiting for the clock (SNTP)";
  const secure = { certificate: new ArrayBuffer(4) };
  class Secure {}
  const w = world({ tls: true }, { SecureSocket: Secure, tls: { problem: () => problem, secure: () => secure } });
  w.connection.start();
  assert.equal(w.clients.length, 0, "no client while the clock is not set");
  assert.equal(w.connection.stats.connectAttempts, 0);
  w.timers.run(10_000);
  assert.equal(w.clients.length, 0);
  assert.deepEqual(w.log.lines.filter((l) => l.includes("MQTT TLS")), ["error MQTT TLS: waiting for the clock (SNTP)"], "said once, not every 2 s");
  assert.equal(w.connection.tlsProblem, "waiting for the clock (SNTP)");
  problem = "no CA certificate";
  w.timers.run(12_000);
  assert.equal(w.log.lines.filter((l) => l.includes("MQTT TLS")).length, 2, "a new problem is said");
  problem = undefined;
  w.timers.run(14_000);
  assert.equal(w.clients.length, 1);
  assert.equal(w.last().options.Socket, Secure);
  assert.equal(w.last().options.secure, secure);
  assert.equal(w.last().options.port, 8883, "8883 when no port is set");
  assert.equal(w.connection.tlsProblem, "");
  assert.ok(w.log.lines.includes("info MQTT TLS: ready, connecting"));
});

test("TLS: a connection the SDK closes before CONNACK gets the list of what to check once, and is counted until one succeeds", () => {
  class Secure {}
  const w = world({ tls: true, port: 8883 }, { SecureSocket: Secure, tls: { problem: () => undefined, secure: () => ({}) } });
  w.connection.start();
  w.drop();
  w.timers.run(w.timers.pending[0]);
  w.drop();
  const explained = w.warns().filter((l) => l.includes("the SDK does not say why"));
  assert.equal(explained.length, 1);
  assert.match(explained[0], /subjectAltName .* sends its chain .* TLS 1\.2/);
  assert.equal(w.connection.tlsFailures, 2);
  w.timers.run(w.timers.pending[0]);
  w.ready();
  assert.equal(w.connection.tlsFailures, 0, "reset by a connection that came up");
  const plain = world();
  plain.connection.start();
  plain.drop();
  assert.equal(plain.warns().filter((l) => l.includes("MQTT TLS")).length, 0, "nothing about TLS without TLS");
});

// ---- the replay guard's marker (replay-guard.ts) as the connection drives it ----

const SYNC = "jbd/gw/sync";

test("replay guard: after each connect a marker on its own topic, not retained, sent again every 3 s until it comes back, never while offline", () => {
  const w = world();
  w.connection.guardReplays(SYNC);
  w.connection.start();
  w.ready();
  assert.deepEqual(w.last().subscribed, [SYNC], "the marker topic is subscribed like any other");
  assert.deepEqual(w.last().published, [[SYNC, "sync 1", { retain: false }]]);
  assert.equal(w.connection.messagesLive, false);
  w.timers.run(2_999);
  assert.equal(w.last().published.length, 1, "not again before 3 s");
  w.timers.run(3_000);
  w.timers.run(6_000);
  assert.deepEqual(w.last().published.map(([topic, text]) => topic + " " + text), [SYNC + " sync 1", SYNC + " sync 1", SYNC + " sync 1"], "the same token again");
  w.last().onMessage!(SYNC, bytes("sync 1"));
  w.timers.run(20_000);
  assert.equal(w.last().published.length, 3, "back: no more markers");
  assert.deepEqual(w.events.seen.filter((e) => e.startsWith("message")), [], "the marker is the connection's, not the listener's");

  // offline when the retry comes due: nothing is sent (the next connect sends a new token)
  const v = world();
  v.connection.guardReplays(SYNC);
  v.connection.start();
  v.ready();
  const gone = v.last();
  v.drop();
  const before = gone.published.length;
  v.timers.run(3_000);
  assert.equal(gone.published.length, before, "no marker on a connection that is gone");
  assert.ok(v.clients.slice(1).every((c) => c.published.length === 0), "nor on a new one before it is ready");
});

test("replay guard: messages are replays until the marker is back and 1 s more; a wrong token or a second marker changes nothing", () => {
  const w = world();
  w.connection.guardReplays(SYNC);
  w.connection.start();
  w.ready();
  w.last().onMessage!("jbd/house/charge/set", bytes("OFF"));
  w.last().onMessage!(SYNC, bytes("sync 0")); // an older token (a previous connection's)
  w.last().onMessage!(SYNC, bytes("sync 1x")); // not the token
  w.timers.run(2_000);
  assert.equal(w.connection.messagesLive, false, "a wrong marker does not start the settle time");
  w.last().onMessage!(SYNC, bytes("sync 1"));
  w.timers.run(2_999);
  assert.equal(w.connection.messagesLive, false, "the settle time is counted from the marker's return");
  w.last().onMessage!("jbd/house/charge/set", bytes("ON"));
  w.last().onMessage!(SYNC, bytes("sync 1")); // the marker again (a broker's duplicate): consumed, the settle timer kept
  w.timers.run(3_000);
  assert.equal(w.connection.messagesLive, true, "1 s after the marker came back");
  w.last().onMessage!("jbd/house/charge/set", bytes("OFF"));
  assert.deepEqual(w.events.seen.filter((e) => e.startsWith("message")), ["message jbd/house/charge/set OFF", "message jbd/house/charge/set ON", "message jbd/house/charge/set OFF"], "markers never reach the listener");
  assert.deepEqual(w.events.replayed, [true, true, false]);
  assert.equal(w.connection.stats.messagesIn, 7, "every message counted, markers too");
});

test("replay guard: a reconnect starts over with a new token; without a guard nothing is a replay", () => {
  const w = world();
  w.connection.guardReplays(SYNC);
  w.connection.start();
  w.ready();
  w.last().onMessage!(SYNC, bytes("sync 1"));
  w.timers.run(1_000);
  assert.equal(w.connection.messagesLive, true);
  w.drop();
  assert.equal(w.connection.messagesLive, false, "offline");
  w.timers.run(w.timers.pending[0]); // the reconnect backoff
  w.ready();
  assert.deepEqual(w.last().published.at(-1), [SYNC, "sync 2", { retain: false }]);
  w.last().onMessage!(SYNC, bytes("sync 1")); // the old token: not ours any more
  w.timers.run(w.timers.now + 5_000);
  assert.equal(w.connection.messagesLive, false);
  w.last().onMessage!(SYNC, bytes("sync 2"));
  w.timers.run(w.timers.now + 1_000);
  assert.equal(w.connection.messagesLive, true);

  const plain = world();
  plain.connection.start();
  plain.ready();
  assert.equal(plain.connection.messagesLive, true, "no guard: live once online");
  plain.last().onMessage!("jbd/house/charge/set", bytes("OFF"));
  assert.deepEqual(plain.events.replayed, [false]);
  assert.deepEqual(plain.last().published, [], "no marker without a guard");
});
