// The bridge (modules/bridge/bridge.ts) without a broker and without real time: a scripted SDK
// client (scripted-mqtt.ts) plays the broker, the test lets time pass. What is published (topic,
// payload, retain flag, order) for the gateway, its packs and a bank; discovery passes (migration,
// empty parts, packs that left the configuration); availability; commands routed to the right
// pack or refused, replays not obeyed, Home Assistant's birth; the diag timer; retire(), stop(),
// pause(), reconnects; settings changed at run time; exceptions at every entry point logged, never
// thrown. Written for mutation testing (bridge.test.ts and bridge-survivors.test.ts, on a real
// broker in real time, take hours under Stryker).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Bridge, stateExpiry, type BridgeSettings, type BrokerSettings, type BridgePorts } from "../../modules/bridge/bridge";
import { BMS_ENTITY_SLOTS, BMS_PARTS, GATEWAY_ENTITIES, bmsEntity } from "../../modules/bridge/entities";
import { MIGRATE_PAYLOAD } from "../../modules/bridge/discovery-pass";
import type { MqttOptions } from "../../modules/bridge/ports";
import type { SettingsDone, SettingsOutcome, SettingsView } from "../../modules/link/bms-settings";
import type { SettingsSet } from "../../modules/protocol/registers";
import { packSet } from "./pack-settings";
import { FakeBms, SP04S034, SP25S003, DP04S007, type Pack } from "./fake-bms";
import { TestLog } from "./helpers";
import { ManualTimers, ScriptedClient, bytes } from "./scripted-mqtt";

interface WorldOptions {
  settings?: Partial<BridgeSettings>;
  broker?: Partial<BrokerSettings>;
  ports?: Partial<BridgePorts>;
  /** The discovery store's flash; absent: the bridge has no store (every device counts as migrated). */
  flash?: Map<string, string>;
  /** Packs added before start(), each with a reading unless its frames are undefined. */
  bms?: Array<[string, Pack | undefined]>;
  epochMs?: number;
}

type Sent = [topic: string, text: string, retain: boolean];

function world(o: WorldOptions = {}) {
  const timers = new ManualTimers();
  const clock = timers.clock(o.epochMs ?? 0);
  const clients: ScriptedClient[] = [];
  class MQTT extends ScriptedClient { constructor(options: MqttOptions) { super(options); clients.push(this); } }
  const log = new TestLog();
  const flash = o.flash;
  const settings: BridgeSettings = { prefix: "jbd", gatewayId: "gw", discovery: true, discoveryPrefix: "ha", mosControl: true, firmwareVersion: "1.2.3", ...o.settings };
  const store = flash && { get: (k: string) => flash.get(k), set: (k: string, v: string) => { flash.set(k, v); } };
  const bridge = new Bridge(settings, { host: "broker.lan", port: 0, tls: false, user: "", password: "", ...o.broker },
    { MQTT, timers, clock, log, random: () => 0, ...(store ? { discoveryStore: store } : {}), ...o.ports });
  const packs: FakeBms[] = [];
  const add = (id: string, pack?: Pack, online = false, name = "Battery " + id) => {
    const bms = new FakeBms(id, name, "A4:C1:38:00:00:0" + packs.length, clock);
    if (pack) bms.load(pack);
    bms.online = online;
    packs.push(bms);
    bridge.addBms(bms);
    return bms;
  };
  for (const [id, pack] of o.bms ?? []) add(id, pack);
  const last = () => clients.at(-1)!;
  const sent = (): Sent[] => clients.flatMap((c) => c.published.map(([t, x, f]) => [t, x, (f as { retain: boolean }).retain] as Sent));
  let mark = 0;
  const fresh = () => { const all = sent(); const out = all.slice(mark); mark = all.length; return out; };
  const w = {
    timers, clock, clients, log, bridge, packs, add, last, sent, settings, fresh,
    topicsFresh: () => fresh().map(([t]) => t),
    skip: () => { mark = sent().length; },
    /** The broker accepts the newest client; with `live`, its marker comes back and the settle time passes. */
    connect: (live = true) => {
      last().onReady!();
      if (!live) return;
      const sync = settings.prefix + "/" + settings.gatewayId + "/sync";
      last().onMessage!(sync, bytes(last().published.findLast(([t]) => t === sync)![1]));
      timers.run(timers.now + 1_000);
    },
    /** start() and connect(live), everything published, then nothing counted as fresh. */
    up: (live = true) => { bridge.start(); w.connect(live); timers.drain(); w.skip(); },
    drain: () => timers.drain(),
    message: (topic: string, payload: string | Buffer) => last().onMessage!(topic, bytes(payload)),
    /** The newest client refuses (a full send buffer) the next `times` writes on `topic`. */
    refuse: (topic: string, times = 1) => {
      const client = last(), publish = client.publish.bind(client);
      client.publish = (t, data, flags) => { if (t === topic && times-- > 0) throw new Error("can't write all data"); publish(t, data, flags); };
    },
    drop: () => { last().onClose!(); timers.turn(); },
    linkUp: (bms: FakeBms) => { bms.online = true; bridge.onAvailability(bms, true); bridge.onInfo(bms); bridge.onReading(bms); },
    /** The last payload published on `topic`, parsed. */
    json: (topic: string) => { const m = sent().findLast(([t]) => t === topic); assert.ok(m, "nothing on " + topic); return JSON.parse(m[1]); },
    on: (topic: string) => sent().filter(([t]) => t === topic),
  };
  return w;
}

const part = (node: string, name: string) => `ha/device/${node}_${name}/config`;
const PARTS = BMS_PARTS.map((p) => p.name);
/** The parts an SP04S034 (4 cells, 3 NTC, MOS control) fills; the others are announced empty. */
const FULL_4S = ["f1", "f2", "f3", "f4", "f5", "t", "c1"];

/** A pack's settings: records every request; answers when the test says (answer()). */
class FakeSettings implements SettingsView {
  values: SettingsSet | undefined;
  writable = false;
  busy = false;
  readonly calls: string[] = [];
  readonly waiting: Array<() => void> = [];
  read(done?: SettingsDone): void { this.calls.push("read"); this.waiting.push(() => done?.({ ok: true, action: "read" })); }
  write(values: unknown, done: SettingsDone, restore?: boolean): void {
    this.calls.push((restore ? "restore " : "write ") + JSON.stringify(values));
    this.waiting.push(() => done({ ok: true, action: restore ? "restore" : "write", changes: [] }));
  }
  dryRun(values: unknown): SettingsOutcome { this.calls.push("dryRun " + JSON.stringify(values)); return { ok: true, action: "restore", dryRun: true, changes: [] }; }
  answer(): void { this.waiting.shift()!(); }
}

function withSettings(bms: FakeBms, values = true, writable = false): FakeSettings {
  const s = new FakeSettings();
  if (values) s.values = packSet();
  s.writable = writable;
  Object.assign(bms, { settings: s });
  return s;
}

// ---------------------------------------------------------------- connect and what is published

test("start(): the client's options, the subscriptions in order, nothing published before CONNACK", () => {
  const w = world({ bms: [["house", SP04S034]] });
  w.bridge.start();
  assert.deepStrictEqual(w.last().options, { host: "broker.lan", id: "gw", will: { topic: "jbd/gw/availability", message: "offline", retain: true }, timeout: 30_000 });
  assert.deepEqual(w.sent(), []);
  w.connect(false);
  assert.deepEqual(w.last().subscribed, ["jbd/gw/sync", "jbd/+/mos/+/set", "jbd/+/release/set", "jbd/+/maintenance/set", "jbd/+/settings/+", "ha/status"]);
  assert.deepEqual(w.sent(), [["jbd/gw/sync", "sync 1", false]], "only the replay guard's marker within the turn");
  assert.deepEqual(w.timers.pending, [0, 3_000, 30_000, 60_000], "the pump's turn, the marker's retry, the stability timer, the diag");

  const custom = world({ broker: { clientId: "custom" }, settings: { discovery: false, prefix: "p/q", gatewayId: "g2" } });
  custom.bridge.setConsoleHandler(() => {});
  custom.bridge.start();
  custom.connect(false);
  assert.equal(custom.last().options.id, "custom", "a client id of its own");
  assert.deepEqual(custom.last().options.will, { topic: "p/q/g2/availability", message: "offline", retain: true });
  assert.deepEqual(custom.last().subscribed, ["p/q/g2/sync", "p/q/g2/console", "p/q/+/mos/+/set", "p/q/+/release/set", "p/q/+/maintenance/set", "p/q/+/settings/+"],
    "the console when a handler is set; no Home Assistant status without discovery");
});

test("after a connect: gateway availability, the pack's cleared then live availability, state, info, the gateway's device, the pack's parts, availability again, diag", () => {
  const w = world();
  w.add("house", SP04S034, true);
  const offline = w.add("shed");
  w.bridge.start();
  w.connect();
  w.drain();
  const got = w.sent().map(([t, x, r]) => [t, t.startsWith("ha/") ? (x ? "config" : "") : t.endsWith("/diag") || t.endsWith("/state") || t.endsWith("/info") ? "json" : x, r]);
  assert.deepEqual(got, [
    ["jbd/gw/sync", "sync 1", false],
    ["jbd/gw/availability", "online", true],
    ["jbd/house/availability", "", true],
    ["jbd/house/availability", "online", false],
    ["jbd/shed/availability", "", true],
    ["jbd/shed/availability", "offline", false],
    ["jbd/house/state", "json", true],
    ["jbd/house/info", "json", true],
    [part("jbd_gateway_gw", "main"), "config", true],
    ...PARTS.map((p) => [part("jbd_house", p), FULL_4S.includes(p) ? "config" : "", true]),
    ["jbd/house/availability", "online", false],
    ["jbd/gw/diag", "json", true],
    ["jbd/house/diag", "json", true],
    ["jbd/shed/diag", "json", true],
  ]);
  assert.equal(offline.infoAt, -1, "a pack with no reading: no state, info or discovery");
  assert.deepEqual(w.timers.pending, [30_000, 60_000], "nothing left to publish");
  assert.deepEqual(w.log.errors, []);
});

test("a pack's view online when added (a service's new bridge) is published online; one released says released", () => {
  const w = world();
  const a = w.add("a", SP04S034);
  a.released = true;
  w.up();
  w.bridge.onAvailability(a, false);
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/a/availability", "released", false]]);
  a.released = false;
  w.bridge.onAvailability(a, true);
  w.bridge.onAvailability(a, false);
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/a/availability", "offline", false]], "the latest value once");
});

test("the retained availability of an older firmware is cleared once per boot: not at a reconnect, not by a second bridge sharing the set", () => {
  const cleared = new Set<string>();
  const w = world({ bms: [["house", SP04S034]], ports: { clearedAvailability: cleared } });
  w.up();
  assert.deepEqual([...cleared], ["jbd/house/availability"]);
  w.drop();
  w.timers.run(w.timers.now + 500);
  w.connect();
  w.drain();
  assert.deepEqual(w.on("jbd/house/availability").map(([, x, r]) => [x, r]), [["", true], ["offline", false], ["offline", false], ["offline", false], ["offline", false]],
    "cleared at the first connect only");
  const v = world({ bms: [["house", SP04S034]], ports: { clearedAvailability: cleared } });
  v.bridge.start();
  v.connect();
  v.drain();
  assert.deepEqual(v.on("jbd/house/availability").map(([, x, r]) => [x, r]), [["offline", false], ["offline", false]]);
});

test("a refused write is tried again later, in the same order; nothing is skipped", () => {
  const w = world({ bms: [["house", SP04S034]], settings: { discovery: false } });
  w.bridge.start();
  w.connect(false);
  w.last().failPublish = true;
  w.timers.turn();
  assert.equal(w.bridge.connection.stats.publishFailures, 1);
  w.last().failPublish = false;
  w.timers.run(w.timers.now + 100);
  w.drain();
  assert.deepEqual(w.sent().map(([t]) => t), ["jbd/gw/sync", "jbd/gw/availability", "jbd/house/availability", "jbd/house/availability", "jbd/house/state", "jbd/house/info", "jbd/gw/diag", "jbd/house/diag"]);
});

test("a reconnect publishes everything again (discovery too, without migrating twice); offline meanwhile, nothing is sent", () => {
  const w = world({ bms: [["house", SP04S034]], flash: new Map() });
  w.up();
  w.drop();
  assert.equal(w.bridge.connection.online, false);
  w.bridge.onReading(w.packs[0]);
  w.timers.run(w.timers.now + 499);
  assert.deepEqual(w.fresh(), [], "nothing while offline");
  w.timers.run(w.timers.now + 1);
  assert.equal(w.clients.length, 2);
  w.connect();
  w.drain();
  const topics = w.topicsFresh();
  assert.deepEqual(topics.filter((t) => !t.startsWith("ha/device/jbd_house_")), ["jbd/gw/sync", "jbd/gw/availability", "jbd/house/availability", "jbd/house/state", "jbd/house/info",
    part("jbd_gateway_gw", "main"), "jbd/house/availability", "jbd/gw/diag", "jbd/house/diag"]);
  assert.deepEqual(topics.filter((t) => t.startsWith("ha/device/jbd_house_")), FULL_4S.map((p) => part("jbd_house", p)), "parts with entities again; the empty ones not again");
  assert.ok(!topics.some((t) => t.split("/").length === 5 && t.startsWith("ha/")), "no per-entity topic: migrated at the first connect");
});

test("Home Assistant's birth: everything again, at most once per 10 s; its will, a replayed birth, or an empty message do nothing", () => {
  const w = world({ bms: [["house", SP04S034]] });
  w.up();
  w.message("ha/status", "offline");
  w.message("ha/status", "");
  w.message("ha/status", "online!");
  w.drain();
  assert.deepEqual(w.fresh(), []);
  const birth = w.timers.now;
  w.message("ha/status", "online");
  assert.ok(w.log.lines.includes("info Home Assistant is online: publishing discovery, availability and state again"));
  w.drain();
  const first = w.topicsFresh();
  assert.deepEqual(first.slice(0, 4), ["jbd/gw/availability", "jbd/house/availability", "jbd/house/state", "jbd/house/info"]);
  assert.ok(first.includes(part("jbd_gateway_gw", "main")) && first.includes(part("jbd_house", "f1")) && first.includes("jbd/gw/diag"));
  w.timers.run(birth + 9_999);
  w.message("ha/status", "online");
  w.drain();
  assert.deepEqual(w.fresh(), [], "a second birth within 10 s");
  w.timers.run(birth + 10_000);
  w.message("ha/status", "online");
  w.drain();
  assert.equal(w.topicsFresh()[0], "jbd/gw/availability", "10 s later: again");

  // a replayed (retained) birth right after a connect is HA's to keep: nothing published, nothing cleared
  const v = world({ bms: [["house", SP04S034]] });
  v.up(false);
  v.message("ha/status", "online");
  v.drain();
  assert.deepEqual(v.fresh(), []);
  assert.equal(v.bridge.connection.stats.replaysIgnored, 0);
});

test("discovery off: no gateway device, no parts, no Home Assistant status; settings changes announce nothing", () => {
  const w = world({ bms: [["house", SP04S034]], settings: { discovery: false } });
  w.up();
  assert.ok(!w.sent().some(([t]) => t.startsWith("ha/")));
  w.bridge.setMosControl(false);
  w.bridge.setMaintenance("capacity");
  w.bridge.setStateExpiry(90);
  w.packs[0].load(SP25S003);
  w.bridge.onReading(w.packs[0]);
  w.bridge.onInfo(w.packs[0]);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/house/state", "jbd/house/info"]);
});

// ---------------------------------------------------------------- diag, uptime, stop

test("diag: every interval (60 s by default) the gateway's and each pack's diag and the packs' availability; re-armed each time", () => {
  const w = world({ bms: [["house", SP04S034]], settings: { discovery: false } });
  w.up();
  assert.deepEqual(w.timers.armed.filter(([, ms]) => ms === 60_000), [[0, 60_000]]);
  w.timers.run(59_999);
  assert.deepEqual(w.fresh().filter(([t]) => !t.endsWith("/sync")), []);
  w.timers.run(60_000);
  w.drain();
  assert.deepEqual(w.fresh().map(([t, , r]) => [t, r]), [["jbd/house/availability", false], ["jbd/gw/diag", true], ["jbd/house/diag", true]]);
  assert.deepEqual(w.timers.armed.filter(([, ms]) => ms === 60_000), [[0, 60_000], [60_000, 60_000]]);
  w.timers.run(120_000);
  w.drain();
  assert.equal(w.json("jbd/gw/diag").uptime, 120);

  const v = world({ settings: { diagIntervalMs: 5_000, discovery: false } });
  v.up();
  v.timers.run(5_000);
  v.drain();
  assert.deepEqual(v.topicsFresh(), ["jbd/gw/diag"]);
  assert.deepEqual(v.timers.armed.filter(([, ms]) => ms === 5_000), [[0, 5_000], [5_000, 5_000]]);
});

test("the gateway's diag: uptime, packs, restart reason, memory figures, MQTT statistics; a memory port that throws costs the figures only", () => {
  let memoryCalls = 0;
  const w = world({
    bms: [["a", SP04S034], ["b", undefined]], settings: { restartReason: "watchdog", discovery: false },
    ports: { memory: () => { memoryCalls++; return { freeBytes: 1000, slotHeapBytes: 2000, chunkHeapBytes: undefined, stackBytes: 3000 }; } },
  });
  w.timers.run(2_500); // the bridge was made at 0
  w.up();
  const diag = w.json("jbd/gw/diag");
  assert.deepEqual(Object.keys(diag), ["uptime", "bms", "restartReason", "memory", "mqtt"]);
  assert.deepEqual([diag.uptime, diag.bms, diag.restartReason, diag.memory], [2, 2, "watchdog", { freeBytes: 1000, slotHeapBytes: 2000, stackBytes: 3000 }]);
  assert.equal(diag.mqtt.connects, 1);
  assert.equal(memoryCalls, 1);

  const v = world({ ports: { memory: () => { throw new Error("no heap figures"); } }, settings: { discovery: false } });
  v.up();
  assert.deepEqual(Object.keys(v.json("jbd/gw/diag")), ["uptime", "bms", "mqtt"]);
  assert.deepEqual(v.log.errors, ["memory figures:Error: no heap figures"]);

  const u = world({ ports: { uptimeSeconds: () => 4242 }, settings: { discovery: false } });
  u.up();
  assert.equal(u.json("jbd/gw/diag").uptime, 4242, "the uptime port when given");
  assert.equal(u.json("jbd/gw/diag").restartReason, undefined);
});

test("uptime without a port: whole seconds of the clock since the bridge was made, summed across calls", () => {
  const w = world({ bms: [["house", SP04S034]], settings: { discovery: false, diagIntervalMs: 2_750 } });
  w.up();
  assert.equal(w.json("jbd/gw/diag").uptime, 0, "published at the connect");
  assert.equal(w.json("jbd/house/diag").uptime, 0);
  w.timers.run(2_750);
  w.drain();
  assert.equal(w.json("jbd/gw/diag").uptime, 2);
  w.timers.run(5_500);
  w.drain();
  assert.equal(w.json("jbd/gw/diag").uptime, 5);
  w.timers.run(8_250);
  w.drain();
  assert.equal(w.json("jbd/gw/diag").uptime, 8);
  assert.equal(w.json("jbd/house/diag").uptime, 8);
});

test("an exception in the diag timer is caught and logged", () => {
  const w = world({ settings: { discovery: false } });
  w.up();
  const set = w.timers.set.bind(w.timers);
  w.timers.set = (callback, ms) => { if (ms === 60_000) throw new Error("no timer"); return set(callback, ms); };
  assert.doesNotThrow(() => w.timers.run(60_000));
  assert.deepEqual(w.log.errors, ["bridge diag:Error: no timer"]);
});

test("stop(): the diag timer cleared, offline published retained, a clean DISCONNECT; stop(false) publishes nothing", () => {
  const w = world({ bms: [["house", SP04S034]] });
  w.up();
  const client = w.last();
  w.bridge.stop();
  assert.deepEqual(w.fresh(), [["jbd/gw/availability", "offline", true]]);
  assert.deepEqual(client.closed, [false]);
  assert.deepEqual(w.timers.pending, [], "no diag timer left, nothing else");
  w.timers.run(200_000);
  assert.deepEqual(w.fresh(), []);

  const v = world();
  v.up();
  v.bridge.stop(false);
  assert.deepEqual(v.fresh(), []);
  assert.deepEqual(v.last().closed, [false]);
  assert.deepEqual(v.timers.pending, []);
});

test("pause() closes the client at once (the will says offline); resume() connects again and everything is published", () => {
  const w = world({ bms: [["house", SP04S034]], settings: { discovery: false } });
  w.up();
  w.bridge.pause();
  assert.deepEqual(w.last().closed, [true]);
  assert.equal(w.bridge.connection.online, false);
  w.timers.run(w.timers.now + 10_000);
  assert.equal(w.clients.length, 1, "no reconnect while paused");
  w.bridge.resume();
  assert.equal(w.clients.length, 2);
  w.connect();
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/gw/sync", "jbd/gw/availability", "jbd/house/availability", "jbd/house/state", "jbd/house/info", "jbd/gw/diag", "jbd/house/diag"]);
});

// ---------------------------------------------------------------- retire()

test("retire(): every topic of the plan cleared in order (gateway part, bank part, packs' parts, packs' topics, bank state, gateway topics); done on a later turn", () => {
  const w = world({ bms: [["a", SP04S034], ["b", SP25S003]], settings: { bank: "parallel" } });
  withSettings(w.packs[1]);
  w.up();
  let done = 0;
  w.bridge.retire({ gateway: true, bms: true, gatewayDiscovery: true, bmsDiscovery: true, bank: true, bankDiscovery: true }, () => { done++; });
  w.bridge.onReading(w.packs[0]); // marked meanwhile: not published while retiring
  assert.equal(done, 0);
  w.drain();
  assert.equal(done, 1);
  const got = w.fresh();
  assert.ok(got.every(([, x, r]) => x === "" && r), "empty retained messages");
  assert.deepEqual(got.map(([t]) => t), [
    part("jbd_gateway_gw", "main"), part("jbd_bank_gw", "main"),
    ...PARTS.map((p) => part("jbd_a", p)), "jbd/a/state", "jbd/a/info", "jbd/a/diag", "jbd/a/availability",
    ...PARTS.map((p) => part("jbd_b", p)), "jbd/b/state", "jbd/b/info", "jbd/b/diag", "jbd/b/settings", "jbd/b/availability",
    "jbd/gw/bank/state", "jbd/gw/diag", "jbd/gw/availability",
  ]);
  assert.deepEqual(w.timers.pending, [30_000], "the diag timer cleared; nothing else to send");
  w.timers.run(100_000);
  assert.deepEqual(w.fresh(), [], "nothing after it (the owner stops this bridge)");
});

test("retire() with part of a plan; with nothing to clear, done on the next turn", () => {
  const w = world({ bms: [["a", SP04S034]] });
  w.up();
  let done = 0;
  w.bridge.retire({ gateway: false, bms: true, gatewayDiscovery: false, bmsDiscovery: false }, () => { done++; });
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/a/state", "jbd/a/info", "jbd/a/diag", "jbd/a/availability"]);
  assert.equal(done, 1);
  w.bridge.retire({ gateway: false, bms: false, gatewayDiscovery: true, bmsDiscovery: false }, () => { done++; });
  w.drain();
  assert.deepEqual(w.topicsFresh(), [part("jbd_gateway_gw", "main")]);
  w.bridge.retire({ gateway: false, bms: false, gatewayDiscovery: false, bmsDiscovery: false }, () => { done++; });
  assert.equal(done, 2);
  w.timers.turn();
  assert.equal(done, 3);
  assert.deepEqual(w.fresh(), []);
});

test("retire() while offline: done on the next turn, nothing cleared; a connection lost while retiring ends it, done once", () => {
  const w = world({ bms: [["a", SP04S034]] });
  w.bridge.start();
  let done = 0;
  w.bridge.retire({ gateway: true, bms: true, gatewayDiscovery: true, bmsDiscovery: true }, () => { done++; });
  assert.equal(done, 0);
  w.timers.turn();
  assert.equal(done, 1);

  const v = world({ bms: [["a", SP04S034]] });
  v.up();
  let vdone = 0;
  v.last().failPublish = true; // a send buffer that stays full
  v.bridge.retire({ gateway: true, bms: true, gatewayDiscovery: true, bmsDiscovery: true }, () => { vdone++; });
  v.timers.run(v.timers.now + 1_000);
  assert.ok(v.bridge.connection.stats.publishFailures > 1);
  assert.equal(vdone, 0);
  v.last().onClose!();
  v.timers.turn();
  assert.equal(vdone, 1, "at once, without waiting for a reconnect");
  v.timers.run(v.timers.now + 600);
  v.connect();
  v.drain();
  assert.equal(vdone, 1);
  assert.ok(v.fresh().some(([t, x]) => t === "jbd/gw/availability" && x === "online"), "a later connect publishes as usual");
});

test("an exception thrown by retire()'s done is caught and logged; stop() during a retirement: done never called", () => {
  const w = world();
  w.up();
  w.bridge.retire({ gateway: true, bms: false, gatewayDiscovery: false, bmsDiscovery: false }, () => { throw new Error("owner bug"); });
  assert.doesNotThrow(() => w.drain());
  assert.deepEqual(w.log.errors, ["bridge retired:Error: owner bug"]);

  const v = world({ bms: [["a", SP04S034]] });
  v.up();
  let done = 0;
  v.bridge.retire({ gateway: false, bms: false, gatewayDiscovery: false, bmsDiscovery: true }, () => { done++; });
  v.bridge.stop(false);
  v.timers.run(v.timers.now + 100_000);
  assert.equal(done, 0);
  assert.deepEqual(v.log.errors, []);
});

// ---------------------------------------------------------------- commands

test("MOS: ON/OFF on a pack's charge or discharge topic reach that pack; the outcome on its result topic, not retained", () => {
  const w = world({ bms: [["a", SP04S034], ["b", SP04S034]] });
  w.up();
  const [a, b] = w.packs;
  a.mosMode = b.mosMode = "hold";
  w.message("jbd/b/mos/charge/set", "OFF");
  w.message("jbd/a/mos/discharge/set", "on");
  assert.deepEqual(b.mosCalls, [{ fet: "charge", on: false }]);
  assert.deepEqual(a.mosCalls, [{ fet: "discharge", on: true }]);
  assert.ok(w.log.lines.includes("info MOS command: b chargeOFF"), w.log.lines.join("\n"));
  b.answerHeld();
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/b/mos/result", "{\"fet\":\"charge\",\"requested\":\"OFF\",\"ok\":true,\"command\":\"e1\",\"mos\":{\"charge\":false,\"discharge\":true}}", false]]);
  a.answerHeld();
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/a/mos/result"]);
});

test("MOS: a malformed payload or control switched off is refused on the pack's result topic; nothing reaches the pack", () => {
  const w = world({ bms: [["a", SP04S034]] });
  w.up();
  const a = w.packs[0];
  w.message("jbd/a/mos/charge/set", "maybe");
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/a/mos/result", "{\"fet\":\"charge\",\"ok\":false,\"error\":\"invalid payload 'maybe': send ON or OFF\"}", false]]);
  w.bridge.setMosControl(false);
  w.drain();
  w.skip();
  w.message("jbd/a/mos/discharge/set", "ON");
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/a/mos/result", "{\"fet\":\"discharge\",\"requested\":\"ON\",\"ok\":false,\"error\":\"control disabled (mosControl is off)\"}", false]]);
  assert.deepEqual(a.mosCalls, []);
  assert.equal(w.bridge.connection.stats.malformedCommands, 1);
});

test("commands for a pack this gateway lacks, or a FET that does not exist, are answered where they belong", () => {
  const w = world({ bms: [["a", SP04S034]] });
  w.up();
  w.message("jbd/zz/mos/charge/set", "ON");
  w.message("jbd/a/mos/heater/set", "ON");
  w.message("jbd/zz/release/set", "10");
  w.message("jbd/zz/maintenance/set", "capacity");
  w.message("jbd/zz/settings/read", "x");
  w.message("jbd/zz/settings/result", "{}");
  w.message("other/topic", "x");
  w.drain();
  assert.deepEqual(w.fresh(), [
    ["jbd/gw/error", "{\"topic\":\"jbd/zz/mos/charge/set\",\"ok\":false,\"error\":\"unknown BMS 'zz' (this gateway has: a)\"}", false],
    ["jbd/a/mos/result", "{\"ok\":false,\"error\":\"unknown topic 'jbd/a/mos/heater/set': use mos/charge/set or mos/discharge/set\"}", false],
    ["jbd/gw/error", "{\"topic\":\"jbd/zz/release/set\",\"ok\":false,\"error\":\"unknown BMS in 'jbd/zz/release/set' (this gateway has: a)\"}", false],
    ["jbd/gw/error", "{\"topic\":\"jbd/zz/maintenance/set\",\"ok\":false,\"error\":\"unknown BMS in 'jbd/zz/maintenance/s...' (this gateway has: a)\"}", false],
    ["jbd/gw/error", "{\"topic\":\"jbd/zz/settings/read\",\"ok\":false,\"error\":\"unknown BMS 'zz' (this gateway has: a)\"}", false],
  ]);
  assert.equal(w.bridge.connection.stats.malformedCommands, 6, "every one but the echo of a settings result");
  assert.ok(w.log.lines.includes("warn MQTT: unexpected topicother/topic"), w.log.lines.join("\n"));
  assert.deepEqual(w.packs[0].mosCalls, []);
});

test("release and maintenance requests reach the named pack; answers on its own result topics", () => {
  const w = world({ bms: [["a", SP04S034], ["b", SP04S034]] });
  w.up();
  const [a, b] = w.packs;
  w.message("jbd/b/release/set", "30");
  w.drain();
  assert.deepEqual(b.releaseCalls, [30]);
  assert.deepEqual(a.releaseCalls, []);
  assert.deepEqual(w.fresh(), [["jbd/b/release/result", "{\"ok\":true,\"released\":true,\"minutes\":30}", false]]);
  let answer: ((r: { function: string; ok: boolean }) => void) | undefined;
  a.maintain = (name, done) => { a.maintenanceCalls.push(name); answer = done; };
  w.message("jbd/a/maintenance/set", "capacity");
  assert.deepEqual(a.maintenanceCalls, ["capacity"]);
  assert.deepEqual(b.maintenanceCalls, []);
  answer!({ function: "capacity", ok: true });
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/a/maintenance/result", "{\"function\":\"capacity\",\"ok\":true}", false]]);
});

test("settings requests reach the pack's settings; answers on its settings/result; its own answers echoed back are ignored", () => {
  const w = world({ bms: [["a", SP04S034], ["b", SP04S034]] });
  const s = withSettings(w.packs[1]);
  w.up();
  w.message("jbd/b/settings/read", "PRESS");
  w.message("jbd/b/settings/set", "{\"cellOvervoltage\":3.6}");
  w.message("jbd/b/settings/result", "{\"ok\":true}");
  assert.deepEqual(s.calls, ["read", "write {\"cellOvervoltage\":3.6}"]);
  s.answer();
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/b/settings/result", "{\"ok\":true,\"action\":\"read\"}", false]]);
  w.message("jbd/a/settings/read", "PRESS");
  w.drain();
  assert.deepEqual(w.fresh(), [["jbd/a/settings/result", "{\"ok\":false,\"action\":\"read\",\"error\":\"this BMS has no settings\"}", false]]);
  assert.equal(w.bridge.connection.stats.malformedCommands, 0);
});

test("an empty message is never a command (it is how a retained one is deleted): nothing happens, nothing is counted", () => {
  const w = world({ bms: [["a", SP04S034]] });
  w.bridge.setConsoleHandler(() => assert.fail("no line"));
  w.up();
  for (const topic of ["jbd/a/mos/charge/set", "jbd/zz/mos/charge/set", "jbd/gw/console", "ha/status", "x/y"]) w.message(topic, "");
  w.drain();
  assert.deepEqual(w.fresh(), []);
  const stats = w.bridge.connection.stats;
  assert.deepEqual([stats.malformedCommands, stats.replaysIgnored], [0, 0]);
  assert.deepEqual(w.log.lines.filter((l) => !l.startsWith("info MQTT connected")), []);
});

// ---------------------------------------------------------------- replays

test("a replayed command (retained, or before the subscriptions were live) is not obeyed: deleted, logged, counted, and answered on its own answer topic", () => {
  const w = world({ bms: [["a", SP04S034]] });
  const s = withSettings(w.packs[0]);
  w.bridge.setConsoleHandler(() => assert.fail("a replayed console line is not run"));
  w.up(false);
  const why = "not obeyed: it came before the gateway's subscriptions were live (a retained message, or sent during a reconnect); send it again";
  w.message("jbd/a/mos/charge/set", "ON");
  w.message("jbd/a/mos/discharge/set", "OFF");
  w.message("jbd/a/release/set", "30");
  w.message("jbd/a/maintenance/set", "capacity");
  w.message("jbd/a/settings/set", "{}");
  w.message("jbd/gw/console", "status");
  w.message("jbd/zz/mos/charge/set", "ON");
  w.message("jbd/a/settingsx", "1");
  w.message("jbd/zzzzzzzzzz/x", "1"); // a '/' where a settings request of 'a' has one
  assert.deepEqual(w.fresh(), [
    ["jbd/a/mos/charge/set", "", true], ["jbd/a/mos/discharge/set", "", true], ["jbd/a/release/set", "", true], ["jbd/a/maintenance/set", "", true],
    ["jbd/a/settings/set", "", true], ["jbd/gw/console", "", true], ["jbd/zz/mos/charge/set", "", true], ["jbd/a/settingsx", "", true],
    ["jbd/zzzzzzzzzz/x", "", true],
  ], "each deleted at once (retained, empty)");
  w.drain();
  assert.deepEqual(w.fresh(), [
    ["jbd/a/mos/result", JSON.stringify({ fet: "charge", ok: false, error: why }), false],
    ["jbd/a/mos/result", JSON.stringify({ fet: "discharge", ok: false, error: why }), false],
    ["jbd/a/release/result", JSON.stringify({ ok: false, error: why }), false],
    ["jbd/a/maintenance/result", JSON.stringify({ ok: false, error: why }), false],
    ["jbd/a/settings/result", JSON.stringify({ ok: false, error: why }), false],
    ["jbd/gw/console/out", "ignored 'status': " + why, false],
  ], "an unknown pack's command and a topic that only starts like the settings' get no answer");
  assert.equal(w.bridge.connection.stats.replaysIgnored, 9);
  assert.deepEqual(w.packs[0].mosCalls, []);
  assert.deepEqual(w.packs[0].releaseCalls, []);
  assert.deepEqual(s.calls, []);
  assert.ok(w.log.lines.includes("warn MQTT: not obeyed (retained, or sent while the gateway subscribed):jbd/a/mos/charge/set 'ON'"), w.log.lines.join("\n"));
  assert.ok(w.log.lines.includes("warn MQTT: not obeyed (retained, or sent while the gateway subscribed):jbd/gw/console 'status'"));
});

test("replays: the gateway's own settings answers are neither obeyed nor deleted; a console line that is not text is ignored as ''", () => {
  const w = world({ bms: [["a", SP04S034]] });
  w.bridge.setConsoleHandler(() => {});
  w.up(false);
  w.message("jbd/a/settings/result", "{\"ok\":true}");
  w.drain();
  assert.deepEqual(w.fresh(), []);
  assert.equal(w.bridge.connection.stats.replaysIgnored, 0);
  w.message("jbd/gw/console", Buffer.from([0xff]));
  w.drain();
  assert.deepEqual(w.fresh().at(-1)!.slice(0, 2), ["jbd/gw/console/out", "ignored '': not obeyed: it came before the gateway's subscriptions were live (a retained message, or sent during a reconnect); send it again"]);
  assert.ok(w.log.lines.includes("warn MQTT: not obeyed (retained, or sent while the gateway subscribed):jbd/gw/console (not text, or too long)"), w.log.lines.join("\n"));
  w.message("jbd/gw/console", "x".repeat(300));
  assert.ok(w.log.lines.at(-1)!.endsWith("jbd/gw/console (not text, or too long)"), "cut at a console line's 256 bytes");
});

// ---------------------------------------------------------------- console

test("console: lines trimmed to the handler; its replies on console/out, not retained; a long reply cut at 2048 characters", () => {
  const w = world();
  const lines: string[] = [];
  let reply: (text: string) => void = () => {};
  w.bridge.setConsoleHandler((line, r) => { lines.push(line); reply = r; });
  w.up();
  w.message("jbd/gw/console", "  status \r\n");
  w.message("jbd/gw/console", "y".repeat(256));
  assert.deepEqual(lines, ["status", "y".repeat(256)]);
  reply("first");
  reply("é".repeat(2048));
  reply("z".repeat(2049));
  w.drain();
  assert.deepEqual(w.fresh(), [
    ["jbd/gw/console/out", "first", false],
    ["jbd/gw/console/out", "é".repeat(2048), false],
    ["jbd/gw/console/out", "z".repeat(2048) + "\n...(cut)", false],
  ]);
  assert.doesNotThrow(() => reply(undefined as unknown as string));
  assert.deepEqual(w.log.errors, ["bridge console reply:TypeError: Cannot read properties of undefined (reading 'length')"]);
});

test("console: a payload that is no command line is counted, a too long one logged, and the sender told; no handler: nothing", () => {
  const w = world();
  const lines: string[] = [];
  w.bridge.setConsoleHandler((line) => { lines.push(line); });
  w.up();
  w.message("jbd/gw/console", "x".repeat(257));
  w.message("jbd/gw/console", Buffer.from([0x73, 0xff]));
  w.drain();
  const error = "error: a command line is text of at most 256 bytes";
  assert.deepEqual(w.fresh(), [["jbd/gw/console/out", error, false], ["jbd/gw/console/out", error, false]]);
  const stats = w.bridge.connection.stats;
  assert.deepEqual([stats.malformedCommands, stats.oversizedPayloads], [2, 1]);
  assert.deepEqual(w.log.lines.filter((l) => l.startsWith("warn")), ["warn MQTT: 257-byte console payload discarded (a command line is at most 256 bytes)"]);
  assert.deepEqual(lines, []);
  w.message("jbd/gw/console", Buffer.concat([Buffer.from("a".repeat(255)), Buffer.from([0xff])]));
  assert.deepEqual([stats.malformedCommands, stats.oversizedPayloads], [3, 1], "256 bytes, not UTF-8: malformed, not oversized");

  const v = world();
  v.up();
  v.message("jbd/gw/console", "status");
  v.drain();
  assert.deepEqual(v.fresh(), []);
  assert.ok(!v.last().subscribed.includes("jbd/gw/console"));
  assert.deepEqual(v.log.errors, []);
  assert.equal(v.bridge.connection.stats.malformedCommands, 0, "the console's topic: not taken for a misaddressed command");
});

// ---------------------------------------------------------------- link events and the shape of a pack

test("a reading of the same shape publishes the state only; a change of cells, NTC count or extended block a new pass too (and the info)", () => {
  const w = world({ bms: [["house", SP04S034]] });
  w.up();
  const bms = w.packs[0];
  w.bridge.onReading(bms);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/house/state"]);
  const pass = (expectParts: string[]) => {
    w.drain();
    const topics = w.topicsFresh();
    assert.deepEqual(topics.slice(0, 2), ["jbd/house/state", "jbd/house/info"]);
    assert.deepEqual(topics.filter((t) => t.startsWith("ha/")), expectParts.map((p) => part("jbd_house", p)));
    assert.equal(topics.at(-1), "jbd/house/availability", "availability after the pass, for the entities HA just made");
  };
  bms.info.temperatureCount = 2;
  w.bridge.onReading(bms);
  pass(FULL_4S);
  bms.info.hasExtended = true;
  w.bridge.onReading(bms);
  pass(FULL_4S);
  const objects = () => FULL_4S.flatMap((p) => Object.keys(JSON.parse(w.on(part("jbd_house", p)).at(-1)![1]).cmps));
  assert.ok(objects().includes("humidity"), "the extended block announced");
  assert.ok(!objects().includes("temp_3") && objects().includes("temp_2"));
  bms.cells.count = 9;
  w.bridge.onReading(bms);
  pass([...FULL_4S, "c2"]);
  bms.cells.count = 4;
  w.bridge.onReading(bms);
  pass([...FULL_4S, "c2"]);
  assert.equal(w.on(part("jbd_house", "c2")).at(-1)![1], "", "the part that became empty is removed again");
  bms.cells.count = 5;
  bms.cells.count = 4;
  w.bridge.onReading(bms);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/house/state"]);
});

test("a part once announced empty is not sent again by later passes; one of the pack's parts with entities is", () => {
  const w = world({ bms: [["house", SP04S034]] });
  w.up();
  w.bridge.setMosControl(false);
  w.drain();
  const topics = w.topicsFresh();
  assert.deepEqual(topics, [...FULL_4S.map((p) => part("jbd_house", p)), "jbd/house/availability"]);
});

test("MOS control switched: switches or read-only FET states; the same value again, or a pack with no reading, changes nothing", () => {
  const w = world({ bms: [["house", SP04S034], ["new", undefined]] });
  w.up();
  const components = () => {
    const out: string[] = [];
    for (const p of FULL_4S) {
      const text = w.on(part("jbd_house", p)).at(-1)![1];
      for (const [id, c] of Object.entries(JSON.parse(text).cmps as Record<string, { p: string }>)) if (id.endsWith("charge_mos")) out.push(c.p + " " + id);
    }
    return out.sort();
  };
  assert.deepEqual(components(), ["switch charge_mos", "switch discharge_mos"]);
  w.bridge.setMosControl(true);
  w.drain();
  assert.deepEqual(w.fresh(), []);
  w.bridge.setMosControl(false);
  w.drain();
  assert.ok(w.topicsFresh().every((t) => t.startsWith("ha/device/jbd_house_") || t === "jbd/house/availability"), "a pass of the pack with a reading only");
  assert.deepEqual(components(), ["binary_sensor charge_mos", "binary_sensor discharge_mos"]);
  w.bridge.setMosControl(true);
  w.drain();
  assert.deepEqual(components(), ["switch charge_mos", "switch discharge_mos"]);
});

test("maintenance functions allowed: a button each; the same value (none: \"\") changes nothing", () => {
  const w = world({ bms: [["house", SP04S034]] });
  w.up();
  const buttons = () => FULL_4S.flatMap((p) => Object.keys(JSON.parse(w.on(part("jbd_house", p)).at(-1)![1]).cmps)).filter((id) => /reset_capacity|clear_protection|clear_counters/.test(id)).sort();
  assert.deepEqual(buttons(), []);
  w.bridge.setMaintenance("");
  w.drain();
  assert.deepEqual(w.fresh(), []);
  w.bridge.setMaintenance("capacity,counters");
  w.drain();
  assert.ok(w.fresh().length > 0);
  assert.deepEqual(buttons(), ["clear_counters", "reset_capacity"]);
  w.bridge.setMaintenance("capacity,counters");
  w.drain();
  assert.deepEqual(w.fresh(), []);

  const u = world({ bms: [["new", undefined]] });
  u.up();
  u.bridge.setMaintenance("capacity");
  u.bridge.setStateExpiry(120);
  u.drain();
  assert.deepEqual(u.fresh(), [], "a pack with no reading: no pass");

  const v = world({ bms: [["house", SP04S034]], settings: { maintenance: "protection" } });
  v.up();
  v.bridge.setMaintenance("protection");
  v.drain();
  assert.deepEqual(v.fresh(), [], "the configured value");
  assert.ok(v.sent().some(([t, x]) => t.startsWith("ha/device/jbd_house_") && x.includes("\"clear_protection\"")));
});

test("state expiry: expire_after on the state's entities follows; the same value (none: 0) changes nothing", () => {
  assert.deepEqual([stateExpiry(5), stateExpiry(10), stateExpiry(20)], [60, 60, 90]);
  const w = world({ bms: [["house", SP04S034]] });
  w.up();
  const expiry = () => {
    const f1 = JSON.parse(w.on(part("jbd_house", "f1")).at(-1)![1]);
    return (Object.values(f1.cmps) as Array<{ exp_aft?: number }>).map((c) => c.exp_aft).filter((x) => x !== undefined);
  };
  assert.deepEqual(expiry(), []);
  w.bridge.setStateExpiry(0);
  w.drain();
  assert.deepEqual(w.fresh(), []);
  w.bridge.setStateExpiry(90);
  w.drain();
  assert.ok(w.fresh().length > 0);
  assert.ok(expiry().length > 0 && expiry().every((s) => s === 90), String(expiry()));
  w.bridge.setStateExpiry(90);
  w.drain();
  assert.deepEqual(w.fresh(), []);
});

test("onInfo: the info, and for a pack with a reading a new pass (the model may have changed); a pack without a hardware string is a 'Smart BMS'", () => {
  const w = world({ bms: [["house", SP25S003], ["new", undefined]] });
  w.up();
  const dev = JSON.parse(w.on(part("jbd_house", "f1"))[0][1]).dev;
  assert.deepEqual(dev, { ids: ["jbd_house"], name: "Battery house", mf: "JBD", mdl: "Smart BMS", sw: "2.0", via_device: "jbd_gateway_gw" });
  const house = w.packs[0];
  house.hardware.bytes.set(new TextEncoder().encode("NEW-MODEL"));
  house.hardware.length = 9;
  w.bridge.onInfo(house);
  w.drain();
  const topics = w.topicsFresh();
  assert.equal(topics[0], "jbd/house/info");
  assert.equal(JSON.parse(w.on(part("jbd_house", "f1")).at(-1)![1]).dev.mdl, "NEW-MODEL");
  w.bridge.onInfo(w.packs[1]);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/new/info"], "no reading: the info only");
});

test("onSettings: the settings published retained; entities follow when they became known or writable; none without values", () => {
  const w = world({ bms: [["house", SP04S034]] });
  const s = withSettings(w.packs[0], false);
  w.up();
  w.bridge.onSettings(w.packs[0]);
  w.drain();
  assert.deepEqual(w.fresh(), [], "a read that ended without values");
  s.values = packSet();
  w.bridge.onSettings(w.packs[0]);
  w.drain();
  const topics = w.topicsFresh();
  assert.equal(topics[0], "ha/device/jbd_house_f1/config", "discovery before the settings (the settings go last)");
  assert.ok(topics.includes(part("jbd_house", "s1")));
  assert.equal(topics.at(-1), "jbd/house/settings");
  assert.equal(w.on("jbd/house/settings").at(-1)![2], true);
  const s1 = () => Object.values(JSON.parse(w.on(part("jbd_house", "s1")).at(-1)![1]).cmps as Record<string, { p: string }>).map((c) => c.p);
  assert.ok(!s1().includes("number"), "read-only: sensors");
  w.bridge.onSettings(w.packs[0]);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/house/settings"], "same mode: the settings only");
  s.writable = true;
  w.bridge.onSettings(w.packs[0]);
  w.drain();
  assert.ok(s1().includes("number"), "writable: numbers");
  w.drop();
  w.timers.run(w.timers.now + 500);
  w.connect();
  w.drain();
  assert.equal(w.on("jbd/house/settings").length, 4, "again after a reconnect");
});

test("onSettings for a pack without a reading: the settings, no pass until its first reading", () => {
  const w = world({ bms: [["new", undefined]] });
  withSettings(w.packs[0]);
  w.up();
  w.bridge.onSettings(w.packs[0]);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/new/settings"]);
  w.packs[0].load(SP04S034);
  w.bridge.onReading(w.packs[0]);
  w.drain();
  assert.ok(w.topicsFresh().includes(part("jbd_new", "s1")), "the settings' entities with the first pass");
});

test("events for a pack the bridge was never given are ignored; an exception inside each is caught and logged", () => {
  const w = world({ bms: [["house", SP04S034]] });
  w.up();
  const stranger = new FakeBms("stranger", "S", undefined, w.clock).load(SP04S034);
  w.bridge.onAvailability(stranger, true);
  w.bridge.onInfo(stranger);
  w.bridge.onReading(stranger);
  w.bridge.onSettings(stranger);
  w.drain();
  assert.deepEqual(w.fresh(), []);
  const bms = w.packs[0];
  const set = w.timers.set.bind(w.timers);
  w.timers.set = () => { throw new Error("no timer"); };
  for (const call of [() => w.bridge.onReading(bms), () => w.bridge.onAvailability(bms, false), () => w.bridge.onInfo(bms), () => w.bridge.onSettings(bms)]) assert.doesNotThrow(call);
  w.timers.set = set;
  assert.deepEqual(w.log.errors, ["bridge onReading:Error: no timer", "bridge onAvailability:Error: no timer", "bridge onInfo:Error: no timer", "bridge onSettings:Error: no timer"]);
  w.log.errors.length = 0;
  Object.defineProperty(bms, "cells", { get() { throw new Error("view bug"); } });
  Object.defineProperty(bms, "settings", { get() { throw new Error("settings bug"); } });
  assert.doesNotThrow(() => w.bridge.onReading(bms));
  assert.doesNotThrow(() => w.bridge.onSettings(bms));
  assert.deepEqual(w.log.errors, ["bridge onReading:Error: view bug", "bridge onSettings:Error: settings bug"]);
});

// ---------------------------------------------------------------- devices, migration, packs that left

test("the gateway's device: name, maker, model, version, its entities on the gateway's topics; ids made of HA's characters", () => {
  const w = world({ settings: { gatewayId: "gw.1", prefix: "jbd" } });
  w.add("a:b", SP04S034);
  w.up();
  const gw = JSON.parse(w.on(part("jbd_gateway_gw_1", "main"))[0][1]);
  assert.deepEqual(gw.dev, { ids: ["jbd_gateway_gw_1"], name: "JBD gateway gw.1", mf: "jbd-gateway", mdl: "ESP32 BLE-MQTT gateway", sw: "1.2.3" });
  assert.deepEqual(gw.o, { name: "jbd-gateway", sw: "1.2.3" });
  assert.deepEqual(Object.keys(gw.cmps), GATEWAY_ENTITIES.map((e) => e.object));
  assert.equal(gw.cmps.uptime.stat_t, "jbd/gw.1/diag");
  assert.equal(gw.cmps.status.stat_t, "jbd/gw.1/availability");
  assert.deepEqual(gw.cmps.uptime.avty, [{ t: "jbd/gw.1/availability" }], "the gateway's availability alone");
  const f1 = JSON.parse(w.on(part("jbd_a_b", "f1"))[0][1]);
  assert.equal(f1.dev.via_device, "jbd_gateway_gw_1");
  assert.deepEqual(f1.o, { name: "jbd-gateway", sw: "1.2.3" });
  assert.deepEqual(f1.avty.map((a: { t: string }) => a.t), ["jbd/gw.1/availability", "jbd/a:b/availability"]);

  const plain = world({ settings: { firmwareVersion: undefined } });
  plain.up();
  const dev = JSON.parse(plain.on(part("jbd_gateway_gw", "main"))[0][1]);
  assert.deepEqual([dev.dev.sw, dev.o], [undefined, { name: "jbd-gateway" }]);
});

test("a pack added while online is published at once (state, info, its parts)", () => {
  const w = world();
  w.up();
  w.add("late", SP04S034, true);
  w.drain();
  const topics = w.topicsFresh();
  assert.deepEqual(topics.slice(0, 4), ["jbd/late/availability", "jbd/late/availability", "jbd/late/state", "jbd/late/info"]);
  assert.ok(topics.includes(part("jbd_late", "f1")));
  w.add("empty");
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/empty/availability", "jbd/empty/availability", "jbd/empty/diag"], "one without a reading: its availability and diag");
});

test("first boot with a store: each device hands its old per-entity configs over, then its parts, then clears them; remembered", () => {
  const flash = new Map<string, string>();
  const w = world({ bms: [["house", SP04S034]], flash });
  w.up();
  const sent = w.sent().filter(([t]) => t.startsWith("ha/"));
  const gatewayOld = GATEWAY_ENTITIES.map((e) => `ha/${e.component}/jbd_gateway_gw/${e.object}/config`);
  assert.deepEqual(sent.slice(0, gatewayOld.length + 2), [...gatewayOld.map((t) => [t, MIGRATE_PAYLOAD, true]), [part("jbd_gateway_gw", "main"), sent[gatewayOld.length][1], true], [gatewayOld[0], "", true]]);
  const old = (i: number) => { const e = bmsEntity(i); return `ha/${e.component}/jbd_house/${e.object}/config`; };
  const bms = sent.slice(2 * gatewayOld.length + 1);
  assert.equal(bms.length, 2 * BMS_ENTITY_SLOTS + BMS_PARTS.length);
  assert.deepEqual(bms.slice(0, BMS_ENTITY_SLOTS).map(([t, x]) => [t, x]), Array.from({ length: BMS_ENTITY_SLOTS }, (_, i) => [old(i), MIGRATE_PAYLOAD]));
  assert.deepEqual(bms.slice(BMS_ENTITY_SLOTS, BMS_ENTITY_SLOTS + BMS_PARTS.length).map(([t]) => t), PARTS.map((p) => part("jbd_house", p)));
  assert.deepEqual(bms.slice(-BMS_ENTITY_SLOTS).map(([t, x]) => [t, x]), Array.from({ length: BMS_ENTITY_SLOTS }, (_, i) => [old(i), ""]));
  assert.deepEqual(Object.fromEntries(flash), { migrated: "jbd_gateway_gw,jbd_house", announced: "house" });

  // the next boot: no migration
  const v = world({ bms: [["house", SP04S034]], flash });
  v.up();
  assert.deepEqual(v.sent().filter(([t]) => t.startsWith("ha/")).map(([t]) => t), [part("jbd_gateway_gw", "main"), ...PARTS.map((p) => part("jbd_house", p))]);
});

test("a pack an earlier boot announced that left the configuration: its parts and topics cleared, its old configs too if never migrated; forgotten", () => {
  const flash = new Map([["announced", "old,house"], ["migrated", "jbd_gateway_gw,jbd_house"]]);
  const w = world({ bms: [["house", SP04S034]], flash });
  w.up();
  const gone = w.sent().filter(([t]) => t.includes("jbd_old") || t.startsWith("jbd/old/"));
  assert.ok(gone.every(([, x, r]) => x === "" && r));
  const old = (i: number) => { const e = bmsEntity(i); return `ha/${e.component}/jbd_old/${e.object}/config`; };
  assert.deepEqual(gone.map(([t]) => t), [
    ...PARTS.map((p) => part("jbd_old", p)), "jbd/old/state", "jbd/old/info", "jbd/old/diag", "jbd/old/availability", "jbd/old/settings",
    ...Array.from({ length: BMS_ENTITY_SLOTS }, (_, i) => old(i)),
  ]);
  const topics = w.sent().map(([t]) => t);
  assert.ok(topics.indexOf(part("jbd_house", "s3")) < topics.indexOf(part("jbd_old", "f1")), "after the configured packs' discovery");
  assert.ok(topics.indexOf("jbd/old/settings") < topics.indexOf("jbd/gw/diag"), "before the diag");
  assert.ok(w.log.lines.includes("info Home Assistant: removed old (no longer configured)"));
  assert.equal(flash.get("announced"), "house");
  w.drop();
  w.timers.run(w.timers.now + 500);
  w.connect();
  w.drain();
  assert.ok(!w.fresh().some(([t]) => t.includes("old")), "removed once");

  const migrated = new Map([["announced", "x,y"], ["migrated", "jbd_gateway_gw,jbd_x,jbd_y"]]);
  const v = world({ flash: migrated });
  v.up();
  assert.deepEqual(v.sent().filter(([t]) => t.includes("/jbd_x") || t.startsWith("jbd/x/")).length, PARTS.length + 5, "migrated: no old configs to clear");
  assert.deepEqual(v.sent().filter(([t]) => t.includes("/jbd_y") || t.startsWith("jbd/y/")).length, PARTS.length + 5, "every pack that left, in turn");
  assert.equal(migrated.get("announced"), "");

  const off = world({ flash: new Map([["announced", "old"], ["migrated", "jbd_gateway_gw"]]), settings: { discovery: false } });
  off.up();
  assert.ok(!off.sent().some(([t]) => t.includes("old")), "discovery off: nothing removed");
});

test("a connection lost during a removal or a pass starts it over at the next connect", () => {
  const flash = new Map([["announced", "old"], ["migrated", "jbd_gateway_gw"]]);
  const w = world({ flash });
  w.bridge.start();
  w.connect(false);
  w.timers.turn();
  w.last().failPublish = true;
  w.timers.run(w.timers.now + 300);
  w.drop();
  const before = w.sent().filter(([t]) => t.includes("jbd_old")).length;
  assert.ok(before > 1 && before < PARTS.length + BMS_ENTITY_SLOTS, String(before));
  w.skip();
  w.timers.run(w.timers.now + 500);
  w.connect();
  w.drain();
  const again = w.fresh().filter(([t]) => t.includes("jbd_old")).map(([t]) => t);
  assert.deepEqual(again.slice(0, PARTS.length), PARTS.map((p) => part("jbd_old", p)), "from its first part again");
});

// ---------------------------------------------------------------- the bank

test("a bank of two packs: its availability (not retained), its reading (retained), its device after the packs', availability again", () => {
  const w = world({ settings: { bank: "parallel" } });
  w.add("a", SP04S034, true);
  w.add("b", DP04S007, true);
  w.up();
  const topics = w.sent().map(([t]) => t);
  const at = (t: string) => topics.indexOf(t);
  assert.deepEqual(w.on("jbd/gw/bank/availability").map(([, x, r]) => [x, r]), [["online", false], ["online", false]]);
  assert.ok(at("jbd/b/availability") < at("jbd/gw/bank/availability") && at("jbd/gw/bank/availability") < at("jbd/a/state"));
  assert.ok(at("jbd/b/state") < at("jbd/gw/bank/state") && at("jbd/gw/bank/state") < at("jbd/a/info"));
  assert.ok(at(part("jbd_b", "s3")) < at(part("jbd_bank_gw", "main")) && at(part("jbd_bank_gw", "main")) < topics.lastIndexOf("jbd/gw/bank/availability"));
  assert.ok(topics.lastIndexOf("jbd/gw/bank/availability") < at("jbd/gw/diag"));
  assert.equal(w.on("jbd/gw/bank/state")[0][2], true);
  assert.deepEqual(w.json("jbd/gw/bank/state").packs, 2);
  assert.equal(w.on(part("jbd_bank_gw", "main"))[0][2], true, "retained");
  const bank = JSON.parse(w.on(part("jbd_bank_gw", "main"))[0][1]);
  assert.deepEqual(bank.dev, { ids: ["jbd_bank_gw"], name: "JBD bank gw", mf: "jbd-gateway", mdl: "parallel bank of 2 packs", via_device: "jbd_gateway_gw" });
  assert.deepEqual(bank.o, { name: "jbd-gateway", sw: "1.2.3" });
  assert.equal(Object.keys(bank.cmps).length, 12);
  assert.equal(bank.cmps.voltage.stat_t, "jbd/gw/bank/state");
  assert.deepEqual(bank.avty.map((a: { t: string }) => a.t), ["jbd/gw/availability", "jbd/gw/bank/availability"]);
  assert.equal(bank.cmps.voltage.exp_aft, undefined);

  const v = world({ settings: { bank: "series", stateExpireS: 90 } });
  v.add("a", SP04S034, true);
  v.add("b", DP04S007, true);
  v.up();
  const series = JSON.parse(v.on(part("jbd_bank_gw", "main"))[0][1]);
  assert.equal(series.dev.mdl, "series bank of 2 packs");
  assert.equal(series.cmps.voltage.exp_aft, 90);
});

test("the bank's reading once every online pack has reported; a pack going offline says so at once", () => {
  const w = world({ settings: { bank: "parallel", discovery: false } });
  const a = w.add("a", SP04S034, true), b = w.add("b", DP04S007, true);
  w.up();
  w.bridge.onReading(a);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/a/state"]);
  w.bridge.onReading(b);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/b/state", "jbd/gw/bank/state"]);
  b.online = false;
  w.bridge.onAvailability(b, false);
  w.drain();
  assert.deepEqual(w.fresh().map(([t, x]) => [t, t.endsWith("state") ? JSON.parse(x).offline : x]), [["jbd/b/availability", "offline"], ["jbd/gw/bank/availability", "online"], ["jbd/gw/bank/state", ["b"]]]);
  a.online = false;
  w.bridge.onAvailability(a, false);
  w.drain();
  assert.deepEqual(w.fresh().map(([t, x]) => [t, x]), [["jbd/a/availability", "offline"], ["jbd/gw/bank/availability", "offline"]], "no figures: no state");
  w.bridge.onAvailability(a, false);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/a/availability", "jbd/gw/bank/availability"], "the availability again, no state (nothing changed)");
  w.timers.run(60_000);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/a/availability", "jbd/b/availability", "jbd/gw/bank/availability", "jbd/gw/diag", "jbd/a/diag", "jbd/b/diag"], "the diag repeats the bank's availability too");
});

test("a bank needs two packs: with one, a warning and no bank device; without the setting, none", () => {
  const w = world({ bms: [["a", SP04S034]], settings: { bank: "series" } });
  w.up();
  assert.ok(w.log.lines.includes("warn bank: a series bank needs two or more BMS (this gateway has 1): no bank device"), w.log.lines.join("\n"));
  assert.ok(!w.sent().some(([t]) => t.includes("bank")));
  const v = world({ bms: [["a", SP04S034], ["b", SP04S034]], settings: { bank: "" } });
  v.up();
  assert.ok(!v.sent().some(([t]) => t.includes("bank")));
  assert.deepEqual(v.log.lines.filter((l) => l.startsWith("warn")), []);
  v.bridge.retire({ gateway: false, bms: false, gatewayDiscovery: false, bmsDiscovery: false, bankDiscovery: true }, () => {});
  v.drain();
  assert.deepEqual(v.fresh(), [[part("jbd_bank_gw", "main"), "", true]], "the bank device of a bank switched off is cleared all the same");
});

// ---------------------------------------------------------------- refused writes

test("a refused write of any item is tried again, never skipped nor counted as sent: a pack's cleared and live availability, its state", () => {
  const w = world({ bms: [["house", SP04S034]], settings: { discovery: false } });
  w.bridge.start();
  w.connect(false);
  w.refuse("jbd/house/availability");
  w.refuse("jbd/house/state");
  w.timers.run(w.timers.now + 1_000);
  w.drain();
  assert.deepEqual(w.fresh().filter(([t]) => t.startsWith("jbd/house/")).map(([t, x]) => [t, t.endsWith("availability") ? x : "json"]),
    [["jbd/house/availability", ""], ["jbd/house/availability", "offline"], ["jbd/house/state", "json"], ["jbd/house/info", "json"], ["jbd/house/diag", "json"]]);
  assert.equal(w.bridge.connection.stats.publishFailures, 2);
  const again = world({ bms: [["house", SP04S034]], settings: { discovery: false } });
  again.bridge.start();
  again.connect(false);
  again.timers.turn();
  again.refuse("jbd/house/availability");
  again.bridge.onAvailability(again.packs[0], false);
  again.timers.run(again.timers.now + 1_000);
  assert.deepEqual(again.on("jbd/house/availability").map(([, x]) => x), ["", "offline", "offline"], "the live value after a refusal");
});

test("a refused write of the bank's device, availability or state is tried again; the availability follows the device", () => {
  const w = world({ settings: { bank: "parallel" } });
  w.add("a", SP04S034, true);
  w.add("b", DP04S007, true);
  w.bridge.start();
  w.connect(false);
  w.refuse(part("jbd_bank_gw", "main"));
  w.refuse("jbd/gw/bank/state");
  w.refuse("jbd/gw/bank/availability");
  w.timers.run(w.timers.now + 2_000);
  w.drain();
  const bank = w.sent().filter(([t]) => t.includes("bank")).map(([t]) => t.replace("ha/device/jbd_bank_gw_main/config", "device"));
  assert.deepEqual(bank, ["jbd/gw/bank/availability", "jbd/gw/bank/state", "device", "jbd/gw/bank/availability"]);
});

test("a refused clearing write during retire() is tried again: every topic cleared, none skipped", () => {
  const w = world({ bms: [["a", SP04S034]] });
  w.up();
  w.refuse("jbd/a/info", 3);
  let done = 0;
  w.bridge.retire({ gateway: true, bms: true, gatewayDiscovery: false, bmsDiscovery: false }, () => { done++; });
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/a/state", "jbd/a/info", "jbd/a/diag", "jbd/a/availability", "jbd/gw/diag", "jbd/gw/availability"]);
  assert.equal(done, 1);
});

test("answers waiting when the connection drops are dropped with it (moot); marked items are published at the next connect", () => {
  const w = world();
  let reply: (text: string) => void = () => {};
  w.bridge.setConsoleHandler((_line, r) => { reply = r; });
  w.up();
  w.message("jbd/gw/console", "status");
  w.refuse("jbd/gw/console/out");
  reply("late answer");
  w.timers.turn();
  assert.equal(w.bridge.connection.stats.publishFailures, 1, "waiting for space");
  w.drop();
  w.timers.run(w.timers.now + 500);
  w.connect();
  w.drain();
  assert.deepEqual(w.sent().filter(([t]) => t === "jbd/gw/console/out"), []);
});

test("readings of several packs in one turn: every state is published, in the packs' order; one pack's, then another's on its own", () => {
  const w = world({ bms: [["a", SP04S034], ["b", SP25S003], ["c", DP04S007]] });
  w.up();
  for (const bms of w.packs) w.bridge.onReading(bms);
  w.drain(); // two states fill a turn's budget: the third goes a pace later
  assert.deepEqual(w.topicsFresh(), ["jbd/a/state", "jbd/b/state", "jbd/c/state"]);
  // a state alone ends the pump's turn (lastItem); the next reading is published on its own turn
  w.bridge.onReading(w.packs[1]);
  w.timers.turn();
  assert.deepEqual(w.topicsFresh(), ["jbd/b/state"]);
  w.bridge.onReading(w.packs[2]);
  w.bridge.onReading(w.packs[0]);
  w.drain();
  assert.deepEqual(w.topicsFresh(), ["jbd/a/state", "jbd/c/state"], "the packs' order, not the readings'");
  // a state and the diag marked together (the diag timer came due): both
  w.timers.run(60_000);
  w.bridge.onReading(w.packs[0]);
  w.drain();
  const topics = w.topicsFresh();
  assert.ok(topics.includes("jbd/a/state") && topics.includes("jbd/gw/diag") && topics.includes("jbd/c/diag"), topics.join(" "));
});
