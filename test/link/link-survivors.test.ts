// The connection state machine of one link (bms-link) on its own, against a stand-in central and a
// scripted GATT client, on virtual time: what it does with a module that lacks the JBD service or
// its characteristics, a close the stack never confirms, the backoff after failed setups (0.5 s
// doubling to 60 s, +-25 % jitter from the injected random source), and what a scan offers it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { VirtualDevice } from "../virtual/device";
import { NodeTransport } from "../virtual/transport";
import type { BmsLink, LinkConfig } from "../../modules/link/bms-link";
import type { BleCentral, SeenDevice } from "../../modules/link/ble-central";
import type { LinkListener } from "../../modules/link/bms-view";
import type { Logger } from "../../modules/link/logger";

type LinkModule = typeof import("../../modules/link/bms-link");
type BtUtils = typeof import("../doubles/btutils");
let mod!: LinkModule;
let bt!: BtUtils;
const clock = new VirtualClock();
const device = new VirtualDevice({
  clock,
  transport: new NodeTransport(async () => {
    mod = await import("../../modules/link/bms-link");
    bt = await import("../doubles/btutils");
  }),
});
await device.boot();

const logs: string[] = [];
const log: Logger = {
  error: (m, v) => logs.push(`E ${m}${v ?? ""}`), warn: (m, v) => logs.push(`W ${m}${v ?? ""}`),
  info: (m, v) => logs.push(`I ${m}${v ?? ""}`), debug: () => {},
};
const listener: LinkListener = { onReading: () => {}, onAvailability: () => {}, onInfo: () => {} };

/** Stands in for BleCentral: records what the link asks of it. */
class FakeCentral {
  readonly links: BmsLink[] = [];
  updates = 0;
  setupDones = 0;
  readonly probes: string[] = [];
  update(): void { this.updates++; }
  setupDone(): void { this.setupDones++; }
  probe(reason: string): void { this.probes.push(reason); }
}

/** A scripted GATT client: records calls; close() may throw like the SDK's "connection not found". */
class FakeClient {
  discoveries = 0;
  closes = 0;
  closeThrows = false;
  discoverAllPrimaryServices(): void { this.discoveries++; }
  close(): void { this.closes++; if (this.closeThrows) throw new Error("connection not found"); }
}

function service(id: string) {
  const s = { uuid: uuidOf(id), discoveries: 0, discoverAllCharacteristics() { s.discoveries++; } };
  return s;
}
function characteristic(id: string, properties = 0x12) {
  const c = {
    uuid: uuidOf(id), properties, enabled: 0, writes: [] as ArrayBuffer[],
    enableNotifications() { c.enabled++; }, writeWithoutResponse(b: ArrayBuffer) { c.writes.push(b); },
  };
  return c;
}
function uuidOf(id: string) {
  const strings = Object.assign([id], { raw: [id] }) as unknown as TemplateStringsArray;
  return bt.uuid(strings);
}
function seen(mac: string, extra: Partial<SeenDevice> = {}): SeenDevice {
  return { address: new bt.Bytes(mac.replace(/:/g, ""), true), addressType: 0, name: undefined, service: true, rssi: -60, ...extra };
}

function makeLink(config: Partial<LinkConfig>, random: () => number = () => 0.5, central = new FakeCentral()) {
  const link = new mod.BmsLink(
    { id: "t", name: "T", address: "", pattern: "", pollIntervalMs: 5_000, ...config },
    central as unknown as BleCentral, listener, log, random);
  central.links.push(link);
  return { link, central };
}

const invoke = (fn: () => void) => device.invoke(fn);
const MAC = "A4:C1:38:00:09:01";

/** connecting -> connected -> services -> characteristics -> notifications: returns the client. */
async function setUp(link: BmsLink, options: { services?: string[]; chars?: [string, number][] } = {}) {
  const client = new FakeClient();
  const services = (options.services ?? ["FF00"]).map(service);
  const chars = (options.chars ?? [["FF01", 0x12], ["FF02", 0x0c]]).map(([id, p]) => characteristic(id, p));
  await invoke(() => {
    link.connecting();
    assert.equal(link.onConnected(client as never), true);
    link.onServices(services as never);
  });
  if (link.stateName === "discovering") await invoke(() => link.onCharacteristics(chars as never));
  if (link.stateName === "subscribing") await invoke(() => link.onNotificationsEnabled());
  return { client, services, chars };
}

async function bringUp(link: BmsLink) {
  const parts = await setUp(link);
  await device.run(300);
  assert.equal(link.stateName, "ready");
  return parts;
}

test("a module without the FF00/FFF0 service: the setup is given up and the link closed", async () => {
  const { link, central } = makeLink({ address: MAC });
  assert.equal(link.stateName, "down");
  await invoke(() => link.start());
  assert.equal(link.stateName, "waiting");
  logs.length = 0;
  const setupDones = central.setupDones;
  const { client, services } = await setUp(link, { services: ["180A", "1800"] });
  assert.equal(link.stateName, "closing");
  assert.equal(client.closes, 1);
  assert.equal(services[0].discoveries + services[1].discoveries, 0);
  assert.ok(logs.includes("W BMS link setup failed:no FF00/FFF0 service"), logs.join("\n"));
  assert.ok(logs.includes("I closing BMS link:no FF00/FFF0 service"));
  assert.ok(central.setupDones > setupDones, "the central may scan again");
  assert.equal(link.stats.forcedDisconnects, 1);
  await invoke(() => link.onDisconnected());
  assert.equal(link.stateName, "down", "a failed setup backs off");
  assert.equal(link.stats.drops, 0, "closed by us");
  assert.ok(!logs.some((l) => l.startsWith("W BMS link dropped")));
});

test("the FFF0 service is taken, and its characteristics are discovered in one go", async () => {
  const { link } = makeLink({ address: MAC });
  await invoke(() => link.start());
  const { client, services, chars } = await setUp(link, { services: ["1800", "FFF0"], chars: [["FFF1", 0x12], ["FFF2", 0x04]] });
  assert.equal(client.discoveries, 1);
  assert.equal(services[1].discoveries, 1);
  assert.equal(chars[0].enabled, 1, "notifications on FFF1");
  assert.equal(link.stateName, "settling");
  assert.equal(link.connected, false);
  await device.run(299);
  assert.equal(link.stateName, "settling", "300 ms to settle");
  await device.run(1);
  assert.equal(link.stateName, "ready");
  assert.equal(link.connected, true);
  assert.equal(link.stats.connects, 1);
  assert.ok(chars[1].writes.length >= 1, "the poller writes to FFF2");
  assert.ok(!logs.some((l) => /lacks write-without-response/.test(l)));
});

for (const [what, chars] of [
  ["notify", [["FF02", 0x0c], ["2A00", 0x02]]],
  ["write", [["FF01", 0x12], ["2A00", 0x02]]],
] as [string, [string, number][]][]) {
  test(`a module without the ${what} characteristic: given up, never subscribed`, async () => {
    const { link } = makeLink({ address: MAC });
    await invoke(() => link.start());
    logs.length = 0;
    const { client } = await setUp(link, { chars });
    assert.equal(link.stateName, "closing");
    assert.equal(client.closes, 1);
    assert.ok(logs.includes("W BMS link setup failed:notify/write characteristic missing"), logs.join("\n"));
    assert.equal(link.notifyCharacteristic, undefined);
  });
}

test("a write characteristic without write-without-response is tried anyway, with a warning", async () => {
  const { link } = makeLink({ address: MAC });
  await invoke(() => link.start());
  logs.length = 0;
  const { chars } = await setUp(link, { chars: [["FF01", 0x12], ["FF02", 0x08]] });
  assert.ok(logs.includes("W write characteristic lacks write-without-response; trying anyway:8"), logs.join("\n"));
  assert.equal(link.stateName, "settling");
  assert.equal(link.notifyCharacteristic as unknown, chars[0]);
});

test("callbacks out of turn are ignored", async () => {
  const { link } = makeLink({ address: MAC });
  await invoke(() => link.start());
  const early = [service("FF00")];
  await invoke(() => {
    link.onServices(early as never);
    link.onCharacteristics([characteristic("FF01"), characteristic("FF02", 0x0c)] as never);
    link.onNotificationsEnabled();
    link.connectTimedOut(); // not connecting
  });
  assert.equal(early[0].discoveries, 0);
  assert.equal(link.stateName, "waiting");
  assert.equal(link.stats.connectTimeouts, 0);
  const client = new FakeClient();
  await invoke(() => { link.connecting(); link.onConnected(client as never); });
  assert.equal(link.stateName, "discovering");
  const second = new FakeClient();
  let taken = true;
  await invoke(() => { taken = link.onConnected(second as never); });
  assert.equal(taken, false, "a second connection while discovering is not wanted");
  assert.equal(link.client as unknown, client);
  assert.equal(second.discoveries, 0);
  await invoke(() => link.onNotificationsEnabled()); // not subscribing yet
  assert.equal(link.stateName, "discovering");
});

test("a discovery that never answers is given up after 5 s, a subscription that never confirms too", async () => {
  const { link } = makeLink({ address: MAC });
  await invoke(() => link.start());
  const client = new FakeClient();
  await invoke(() => { link.connecting(); link.onConnected(client as never); });
  await device.run(4_999);
  assert.equal(link.stateName, "discovering");
  logs.length = 0;
  await device.run(1);
  assert.equal(link.stateName, "closing");
  assert.ok(logs.includes("W BMS link setup failed:discovery timeout"), logs.join("\n"));
  await invoke(() => link.onDisconnected());
  await device.run(60_000);

  const { link: other } = makeLink({ address: MAC });
  await invoke(() => other.start());
  const c2 = new FakeClient();
  const chars = [characteristic("FF01"), characteristic("FF02", 0x0c)];
  await invoke(() => { other.connecting(); other.onConnected(c2 as never); other.onServices([service("FF00")] as never); });
  await device.run(2_000);
  await invoke(() => other.onCharacteristics(chars as never));
  assert.equal(other.stateName, "subscribing");
  await device.run(2_999);
  assert.equal(other.stateName, "subscribing", "the 5 s count from the connect");
  await device.run(1);
  assert.equal(other.stateName, "closing");
});

test("a close that gets no disconnect callback: after 3 s the link is down and the stack probed", async () => {
  const { link, central } = makeLink({ address: MAC });
  await invoke(() => link.start());
  const { client } = await bringUp(link);
  logs.length = 0;
  await invoke(() => link.pollsUnanswered());
  assert.ok(logs.includes("I closing BMS link:polls unanswered"), logs.join("\n"));
  assert.equal(link.stateName, "closing");
  assert.equal(client.closes, 1);
  await device.run(2_999);
  assert.equal(link.stateName, "closing");
  assert.deepEqual(central.probes, []);
  await device.run(1);
  assert.equal(link.stateName, "down");
  assert.deepEqual(central.probes, ["no disconnect callback"]);
  assert.equal(link.client, undefined);
  assert.equal(link.stats.drops, 0);
  assert.equal(link.stats.forcedDisconnects, 1);
  await device.run(1_000);
  assert.equal(link.stateName, "waiting", "then it backs off and waits again");
});

test("a close the stack refuses (connection already gone): down at once, nothing probed", async () => {
  const { link, central } = makeLink({ address: MAC });
  await invoke(() => link.start());
  const { client } = await bringUp(link);
  client.closeThrows = true;
  await invoke(() => link.reconnect());
  assert.equal(client.closes, 1);
  assert.equal(link.stateName, "down");
  assert.equal(link.client, undefined);
  await device.run(3_500);
  assert.deepEqual(central.probes, []);
  assert.equal(link.stateName, "waiting");
});

test("a forced close with no client goes down and backs off", async () => {
  const { link } = makeLink({ address: MAC });
  await invoke(() => link.pollsUnanswered());
  assert.equal(link.stateName, "down");
  assert.equal(link.stats.forcedDisconnects, 1);
  await device.run(499);
  assert.equal(link.stateName, "down");
  await device.run(1);
  assert.equal(link.stateName, "waiting");
});

/** Fail one setup (no service) and return the backoff delay that follows, measured to the ms. */
async function failedSetupDelay(link: BmsLink, expected: number): Promise<void> {
  await setUp(link, { services: [] });
  await invoke(() => link.onDisconnected());
  assert.equal(link.stateName, "down");
  await device.run(expected - 1);
  assert.equal(link.stateName, "down", `still backing off at ${expected - 1} ms`);
  await device.run(1);
  assert.equal(link.stateName, "waiting", `waiting again at ${expected} ms`);
  assert.equal(link.wantsConnection, true);
}

test("backoff: 0.5 s doubling to 60 s, the jitter's low end (-25 %)", async () => {
  const { link } = makeLink({ address: MAC }, () => 0);
  await invoke(() => link.start());
  for (const ms of [375, 750, 1_500, 3_000, 6_000, 12_000, 24_000, 45_000, 45_000]) await failedSetupDelay(link, ms);
});

test("backoff: the jitter's high end (+25 %), and a link up starts it again at 0.5 s", async () => {
  const { link } = makeLink({ address: MAC }, () => 1);
  await invoke(() => link.start());
  for (const ms of [625, 1_250, 2_500]) await failedSetupDelay(link, ms);
  await bringUp(link);
  await invoke(() => link.pollsUnanswered());
  await invoke(() => link.onDisconnected());
  await device.run(624);
  assert.equal(link.stateName, "down");
  await device.run(1);
  assert.equal(link.stateName, "waiting");
});

test("backoff: a connect timeout backs off too; reconnect() and a stack reset start again at 0.5 s", async () => {
  const { link } = makeLink({ address: MAC }, () => 0.5);
  await invoke(() => link.start());
  for (const ms of [500, 1_000]) await failedSetupDelay(link, ms);
  await invoke(() => { link.connecting(); link.connectTimedOut(); });
  assert.equal(link.stats.connectTimeouts, 1);
  assert.equal(link.stateName, "down");
  await device.run(1_999);
  assert.equal(link.stateName, "down");
  await device.run(1);
  assert.equal(link.stateName, "waiting");
  await setUp(link, { services: [] });
  await invoke(() => link.onDisconnected());
  await device.run(100);
  assert.equal(link.stateName, "down", "4 s of backoff");
  await invoke(() => link.reconnect());
  assert.equal(link.stateName, "waiting", "reconnect() waits at once");
  await failedSetupDelay(link, 500);
  await failedSetupDelay(link, 1_000);
  // a stack reset: waiting again at once, the next failure backs off 0.5 s
  await invoke(() => { link.connecting(); link.onConnected(new FakeClient() as never); });
  logs.length = 0;
  await invoke(() => link.onStackReset());
  assert.equal(link.stats.stackResets, 1);
  assert.equal(link.stateName, "waiting");
  assert.equal(link.client, undefined);
  assert.ok(logs.includes("W BMS link dropped:t"), logs.join("\n"));
  await failedSetupDelay(link, 500);
});

test("reconnect() while discovering closes the half-made link; while connecting it just waits again", async () => {
  const { link } = makeLink({ address: MAC });
  await invoke(() => link.start());
  const client = new FakeClient();
  await invoke(() => { link.connecting(); link.onConnected(client as never); });
  await invoke(() => link.reconnect());
  assert.equal(client.closes, 1);
  assert.equal(link.stateName, "closing");
  await invoke(() => link.onDisconnected());
  await device.run(60_000);
  await invoke(() => link.connecting());
  assert.equal(link.stateName, "connecting");
  await invoke(() => link.reconnect());
  assert.equal(link.stateName, "waiting");
  assert.equal(link.stats.forcedDisconnects, 1, "only the discovering one was a close");
});

test("a connect timeout of a working link's reconnect does not restart its reconnect time", async () => {
  const { link } = makeLink({ address: MAC }, () => 0.5);
  await invoke(() => link.start());
  await bringUp(link);
  await device.run(1_000);
  await invoke(() => link.onDisconnected()); // a drop
  assert.equal(link.stats.drops, 1);
  assert.equal(link.stateName, "waiting", "a drop waits at once");
  await device.run(2_000);
  await invoke(() => { link.connecting(); link.connectTimedOut(); });
  await device.run(500);
  assert.equal(link.stateName, "waiting");
  await bringUp(link); // 300 ms settling
  assert.equal(link.stats.lastReconnectMs, 2_800, "from the drop, not from the timeout");
  assert.equal(link.stats.maxReconnectMs, 2_800);
  await device.run(1_000);
  await invoke(() => link.onDisconnected());
  await device.run(100);
  await bringUp(link);
  assert.equal(link.stats.lastReconnectMs, 400, "from the second drop");
  assert.equal(link.stats.maxReconnectMs, 2_800);
});

test("offer(): a configured address takes only its device, with the scan's address type, and only while waiting", async () => {
  const { link } = makeLink({ address: "a4c138000901" });
  assert.equal(link.needsAddress, false);
  assert.equal(link.matchKind, "address");
  assert.equal(link.address, MAC);
  assert.equal(link.offer(seen(MAC)), undefined, "not waiting yet");
  await invoke(() => link.start());
  assert.equal(link.offer(seen("A4:C1:38:00:09:02")), undefined);
  const target = link.offer(seen(MAC, { addressType: 1 }));
  assert.ok(target);
  assert.equal(target.addressType, 1);
  assert.equal(String(target.address), MAC);
});

test("offer(): a pattern needs a matching name, no pattern needs the service, and a device another link holds is left alone", async () => {
  const central = new FakeCentral();
  const { link: byName } = makeLink({ pattern: "JBD-*" }, undefined, central);
  const { link: byService } = makeLink({}, undefined, central);
  const { link: fixed } = makeLink({ address: "A4:C1:38:00:09:07" }, undefined, central);
  assert.equal(byName.matchKind, "pattern");
  assert.equal(byService.matchKind, "service");
  assert.equal(byName.needsAddress, true);
  await invoke(() => { byName.start(); byService.start(); });
  assert.equal(byName.offer(seen(MAC, { name: undefined })), undefined, "no name heard");
  assert.equal(byName.offer(seen(MAC, { name: "XYZ-1" })), undefined);
  assert.equal(byService.offer(seen(MAC, { service: false })), undefined, "no FF00/FFF0 advertised");
  assert.equal(byName.offer(seen("A4:C1:38:00:09:07", { name: "JBD-7" })), undefined, "another link's configured address");
  assert.equal(byService.offer(seen("A4:C1:38:00:09:07")), undefined);
  const t = byName.offer(seen(MAC, { name: "JBD-SP04S", service: false, addressType: 1 }));
  assert.ok(t, "a name is enough for a pattern");
  assert.equal(t.addressType, 1);
  assert.equal(byName.isTarget(seen(MAC).address), true, "tentatively its");
  assert.equal(byService.offer(seen(MAC)), undefined, "tried by the pattern link");
  assert.ok(byName.offer(seen(MAC, { name: "JBD-SP04S" })), "its own tentative device is still offered to it");
  assert.ok(byService.offer(seen("A4:C1:38:00:09:03")));
  assert.equal(fixed.isTarget(seen("A4:C1:38:00:09:07").address), true);
  assert.equal(fixed.isTarget(seen(MAC).address), false);
});

test("a scanned-for BMS: the address is adopted when its link comes up, onFound told once; an onFound that throws is logged", async () => {
  const found: string[] = [];
  const { link } = makeLink({ pattern: "JBD-*", onFound: (l, address) => { found.push(`${l.id} ${address}`); throw new Error("flash full"); } });
  await invoke(() => link.start());
  assert.ok(link.offer(seen(MAC, { name: "JBD-1" })));
  assert.equal(link.address, undefined);
  logs.length = 0;
  await bringUp(link);
  assert.deepEqual(found, [`t ${MAC}`]);
  assert.equal(link.address, MAC);
  assert.equal(link.needsAddress, false);
  assert.ok(logs.includes(`I BMS found:${MAC}`), logs.join("\n"));
  assert.ok(logs.some((l) => l.startsWith("E BMS found:") && /flash full/.test(l)), logs.join("\n"));
  assert.ok(logs.includes("I BMS link up:t"));
  assert.equal(link.connected, true, "the link is up despite onFound");
  await invoke(() => link.onDisconnected());
  assert.equal(link.matchKind, "address", "the found address is kept");
  await bringUp(link);
  assert.equal(found.length, 1, "told once");
});

test("a scanned-for device whose setup fails is forgotten: the next scan may offer another", async () => {
  const { link } = makeLink({});
  await invoke(() => link.start());
  assert.ok(link.offer(seen(MAC)));
  assert.equal(link.isTarget(seen(MAC).address), true);
  await setUp(link, { services: [] });
  assert.equal(link.isTarget(seen(MAC).address), false);
  await invoke(() => link.onDisconnected());
  await device.run(1_000);
  assert.equal(link.needsAddress, true);
  assert.ok(link.offer(seen("A4:C1:38:00:09:04")));
  await invoke(() => { link.connecting(); link.connectTimedOut(); });
  assert.equal(link.isTarget(seen("A4:C1:38:00:09:04").address), false, "a connect timeout forgets it too");
});

test("the link passes its poller's readings and a probe request through", async () => {
  const { link, central } = makeLink({ address: MAC });
  assert.equal(link.frameStats, link.poller.assembler.stats);
  assert.equal(link.errorCounters, link.poller.errorCounters);
  assert.equal(link.cellsAt, link.poller.cellsAt);
  assert.equal(link.infoAt, link.poller.infoAt);
  assert.equal(link.name, "T");
  link.probe("poll failed");
  assert.deepEqual(central.probes, ["poll failed"]);
  link.onRSSI(-71);
  assert.equal(link.rssi, -71);
  assert.equal(link.info, link.poller.info);
  assert.equal(link.cells, link.poller.cells);
  assert.equal(link.hardware, link.poller.hardware);
  assert.equal(link.assembler, link.poller.assembler);
  assert.equal(link.online, false);
  const capture = () => {};
  link.capture = capture;
  assert.equal(link.poller.capture, capture);
  assert.equal(link.capture, capture);
  const answers: string[] = [];
  link.setMos("charge", false, (r) => answers.push(`mos ${r.error}`));
  link.sendRaw(new ArrayBuffer(7), (_reply, error) => answers.push(`raw ${error}`));
  assert.deepEqual(answers, ["mos not connected", "raw not connected"]);
});

test("connect attempts, waiting only while waiting, a requested close named in the log, and a forced close timed from its end", async () => {
  const { link } = makeLink({ pattern: "JBD-*" }, () => 0.5);
  assert.equal(link.wantsConnection, false, "down");
  await invoke(() => link.start());
  assert.equal(link.wantsConnection, true);
  assert.ok(link.offer(seen(MAC, { name: "JBD-1" })));
  logs.length = 0;
  await bringUp(link);
  assert.equal(link.wantsConnection, false, "ready");
  assert.equal(link.stats.connectAttempts, 1);
  assert.ok(!logs.some((l) => l.startsWith("E ")), "no onFound configured is no error: " + logs.join("\n"));
  await invoke(() => link.onDisconnected()); // a drop
  await device.run(200);
  await bringUp(link);
  assert.equal(link.stats.lastReconnectMs, 500);
  await device.run(1_000);
  logs.length = 0;
  await invoke(() => link.reconnect());
  assert.ok(logs.includes("I closing BMS link:reconnect requested"), logs.join("\n"));
  await device.run(100);
  await invoke(() => link.onDisconnected()); // the close confirmed
  await device.run(1_000);
  await bringUp(link);
  assert.equal(link.stats.lastReconnectMs, 1_300, "from the confirmed close");
  assert.equal(link.stats.connectAttempts, 3);
});

test("polls nobody answers: the stack is probed (a host reset shows first as silence), and before any reading the times are -1", async () => {
  const { link, central } = makeLink({ address: MAC });
  assert.equal(link.infoAt, -1);
  assert.equal(link.cellsAt, -1);
  await invoke(() => link.start());
  const { chars } = await bringUp(link);
  assert.ok(chars[1].writes.length >= 1, "a request went out");
  await device.run(5_000);
  assert.ok(central.probes.includes("poll failed"), central.probes.join(", "));
  assert.ok(link.stats.timeouts >= 1);
  assert.equal(link.cellsAt, -1, "still no reading");
});

test("a failed setup after a drop does not restart the reconnect clock (it runs from the drop)", async () => {
  const { link } = makeLink({ address: MAC });
  await invoke(() => link.start());
  await bringUp(link);
  await device.run(1_000);
  await invoke(() => link.onDisconnected()); // the working link drops
  await device.run(1_000);
  await setUp(link, { services: ["180A"] }); // back, but the setup fails: the link closes itself
  assert.equal(link.stateName, "closing");
  await invoke(() => link.onDisconnected());
  assert.equal(link.stateName, "down");
  for (let i = 0; i < 40 && link.stateName !== "waiting"; i++) await device.run(100);
  await device.run(200);
  await bringUp(link);
  assert.ok(link.stats.lastReconnectMs >= 1_000 + 500 + 300, `lastReconnectMs ${link.stats.lastReconnectMs}: from the drop, across the failed setup`);
  assert.equal(link.stats.maxReconnectMs, link.stats.lastReconnectMs);
});
