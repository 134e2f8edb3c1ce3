// The central (ble-central) on its own: the real BleCentral over the bleclient double and the
// virtual radio, with scripted links in place of BmsLink, on virtual time. What mutation testing
// left open: the scan parameters of each mode and when they change, the periodic probe that finds
// a host reset while nothing scans, which link a scan report goes to (address, then pattern, then
// service; a service link waits for the name while a pattern link waits), how reports are merged
// per address, which connections are taken or closed, the hang check's bounds, the console's
// scan and "reconnect ble", and the callbacks' boundary (an exception in a link is logged).
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { VirtualDevice } from "../virtual/device";
import { NodeTransport } from "../virtual/transport";
import { addressToWire, type Peripheral } from "../virtual/ble-world";
import { SimulatedBms } from "../sim/bms";
import type { BleCentral, CentralLink, SeenDevice } from "../../modules/link/ble-central";
import type { Logger } from "../../modules/link/logger";

type CentralModule = typeof import("../../modules/link/ble-central");
type BtUtils = typeof import("../doubles/btutils");
type BleModule = typeof import("../doubles/bleclient");
let C!: CentralModule;
let bt!: BtUtils;
let BLE!: BleModule;
let runtime!: typeof import("../doubles/runtime");
let central!: BleCentral;
const logs: string[] = [];
const restarts: string[] = [];
/** The central just after start(), before the stack is ready. */
let bootState: { ready: boolean; scanning: boolean; scanFor: boolean } | undefined;
const log: Logger = {
  error: (m, v) => logs.push(`E ${m}${v ?? ""}`), warn: (m, v) => logs.push(`W ${m}${v ?? ""}`),
  info: (m, v) => logs.push(`I ${m}${v ?? ""}`), debug: () => {},
};
const recovery = { restart: (reason: string, requested = false) => { restarts.push(`${reason}${requested ? " [requested]" : ""}`); return true; } };

const clock = new VirtualClock();
const device = new VirtualDevice({
  clock, seed: 5,
  transport: new NodeTransport(async () => {
    C = await import("../../modules/link/ble-central");
    bt = await import("../doubles/btutils");
    BLE = await import("../doubles/bleclient");
    runtime = await import("../doubles/runtime");
    central = new C.BleCentral(log, recovery as never);
    central.start();
    bootState = { ready: central.ready, scanning: central.scanning, scanFor: central.scanFor(1_000, () => {}) };
  }),
});

/** What the firmware asked of the radio: scan starts (with their parameters) and stops, connects. */
const radio: { op: string; args: unknown[]; at: number }[] = [];
/** Run once in the firmware right before a new client's onReady (between its creation and ready). */
let beforeReady: (() => void) | undefined;
const handle = device.ble.handle.bind(device.ble);
device.ble.handle = (op: string, args: unknown[]) => {
  if (op === "ble.scan" || op === "ble.connect") radio.push({ op, args, at: clock.now() });
  if (op === "ble.init" && beforeReady) { const fn = beforeReady; beforeReady = undefined; device.emit("invoke", runtime.registerInvocation(fn)); }
  handle(op, args);
};
await device.boot();
await device.run(100);

const invoke = (fn: () => void) => device.invoke(fn);
/** Run 1 ms at a time until `done()` (at most `ms`). */
async function h1(done: () => boolean, ms: number): Promise<void> {
  for (let t = 0; !done(); t++) { assert.ok(t < ms, "in time"); await device.run(1); }
}
const now = () => device.uptimeMs;
const scanStarts = (from = 0) => radio.slice(from).filter((r) => r.op === "ble.scan" && r.args[0]).map((r) => r.args.slice(1));
const scanOps = (from = 0) => radio.slice(from).filter((r) => r.op === "ble.scan").map((r) => (r.args[0] ? "start" : "stop"));
const FAST = [true, false, 0x30, 0x30], BACKGROUND = [true, false, 0x100, 0x30], USER = [true, false, 0x50, 0x30];

/** A scripted link: takes what `accepts` says, records what the central tells it. */
class FakeLink implements CentralLink {
  client: any = undefined;
  notifyCharacteristic: any = undefined;
  wantsConnection = false;
  waitingSince = 0;
  readonly calls: string[] = [];
  readonly offers: { address: string; name: string | undefined; service: boolean; addressType: number; rssi?: number }[] = [];
  accepts: (seen: SeenDevice) => boolean = () => false;
  target: { address: ArrayBuffer; addressType: number } | undefined;
  takes = true;
  lastRssi = 0;
  throws = new Set<string>();
  onClient: ((client: any) => void) | undefined;
  constructor(readonly id: string, readonly matchKind: "address" | "pattern" | "service" = "address") {}
  #call(what: string): void { if (what !== "offer") this.calls.push(what); if (this.throws.has(what)) throw new Error(`${this.id} ${what} broke`); }
  offer(seen: SeenDevice) {
    this.offers.push({ address: hex(seen.address), name: seen.name, service: seen.service, addressType: seen.addressType });
    this.lastRssi = seen.rssi;
    this.#call("offer");
    if (!this.accepts(seen)) return undefined;
    this.target = { address: new bt.Bytes(seen.address), addressType: seen.addressType };
    return this.target;
  }
  isTarget(address: ArrayBuffer): boolean { return !!this.target && hex(this.target.address) === hex(address); }
  connecting(): void { this.#call("connecting"); this.wantsConnection = false; }
  connectTimedOut(): void { this.#call("timeout"); }
  onConnected(client: any): boolean {
    if (this.takes) { this.client = client; this.onClient?.(client); }
    this.#call("connected");
    return this.takes;
  }
  onDisconnected(): void { this.client = undefined; this.#call("disconnected"); }
  onServices(): void { this.#call("services"); }
  onCharacteristics(): void { this.#call("characteristics"); }
  onNotificationsEnabled(): void { this.#call("notifications"); }
  readonly notifications = { onNotification: () => this.#call("notification") };
  onRSSI(rssi: number): void { this.#call(`rssi`); void rssi; }
  onStackReset(): void { this.client = undefined; this.#call("reset"); }
  pairingPasskey = "";
  onAuthenticated(bonded: boolean): void { this.#call(bonded ? "authenticated bonded" : "authenticated"); }
  /** Out of the way for the next test. */
  retire(): void { this.wantsConnection = false; this.accepts = () => false; this.target = undefined; this.throws.clear(); }
}

function hex(b: ArrayBuffer): string { return Buffer.from(new Uint8Array(b)).toString("hex"); }
const wire = (mac: string) => new bt.Bytes(addressToWire(mac));

let all: FakeLink[] = [];
async function links(...made: FakeLink[]): Promise<FakeLink[]> {
  await invoke(() => {
    for (const l of all) l.retire();
    for (const l of made) central.add(l);
    central.update();
  });
  all.push(...made);
  return made;
}

/** Advertising data: optional flags, a 16-bit service list (complete 0x03 / incomplete 0x02) and a name (complete 0x09 / short 0x08). */
function ad(parts: { services?: string[]; incomplete?: boolean; name?: string; short?: boolean }): InstanceType<BtUtils["Advertisement"]> {
  const bytes: number[] = [2, 0x01, 0x06];
  if (parts.services) {
    bytes.push(1 + 2 * parts.services.length, parts.incomplete ? 0x02 : 0x03);
    for (const s of parts.services) bytes.push(parseInt(s.slice(2), 16), parseInt(s.slice(0, 2), 16));
  }
  if (parts.name !== undefined) {
    const name = Buffer.from(parts.name, "utf8");
    bytes.push(name.length + 1, parts.short ? 0x08 : 0x09, ...name);
  }
  return new bt.Advertisement(new Uint8Array(bytes).buffer);
}
function report(mac: string, parts: Parameters<typeof ad>[0], addressType = 0, rssi = -61) {
  return { address: wire(mac), addressType, rssi, scanResponse: ad(parts) };
}
/** True the first time only (a link that takes a device once). */
function once(match: (seen: SeenDevice) => boolean): (seen: SeenDevice) => boolean {
  let done = false;
  return (seen) => { if (done || !match(seen)) return false; done = true; return true; };
}
const is = (mac: string) => (seen: SeenDevice) => hex(seen.address) === hex(wire(mac));

test("nothing before the stack is ready: not ready, not scanning, no console scan; then ready", () => {
  assert.deepEqual(bootState, { ready: false, scanning: false, scanFor: false });
  assert.equal(central.ready, true);
});

test("scan parameters: fast for the first 30 s a link waits, then background; the console's own; stopped when nobody needs it", async () => {
  const [a] = await links(new FakeLink("params"));
  const from = radio.length;
  await invoke(() => { a.wantsConnection = true; a.waitingSince = now(); central.update(); });
  assert.deepEqual(scanStarts(from), [FAST]);
  assert.equal(central.scanning, true);
  await invoke(() => { a.waitingSince = now() - 29_999; central.update(); });
  assert.deepEqual(scanStarts(from), [FAST], "29.999 s: still fast, not restarted");
  await invoke(() => { a.waitingSince = now() - 30_000; central.update(); });
  assert.deepEqual(scanStarts(from), [FAST, BACKGROUND], "30 s: background");
  await invoke(() => central.update());
  assert.deepEqual(scanStarts(from), [FAST, BACKGROUND], "the same parameters: the scan runs on");
  const seen: string[] = [];
  let ok = false;
  await invoke(() => { ok = central.scanFor(2_000, (d) => seen.push(hex(d.address))); });
  assert.equal(ok, true);
  assert.equal(central.userScanning, true);
  assert.deepEqual(scanStarts(from), [FAST, BACKGROUND, USER]);
  await device.run(1_999);
  assert.equal(central.userScanning, true);
  await device.run(1);
  assert.equal(central.userScanning, false);
  assert.deepEqual(scanStarts(from), [FAST, BACKGROUND, USER, BACKGROUND], "back to the link's scan");
  const stops = scanOps(from).filter((o) => o === "stop").length;
  await invoke(() => { a.wantsConnection = false; central.update(); });
  assert.equal(central.scanning, false);
  assert.equal(scanOps(from).filter((o) => o === "stop").length, stops + 1);
  // the console's scan alone (no link waits) runs, and ends with its time
  await invoke(() => { ok = central.scanFor(1_000, () => {}); });
  assert.equal(central.scanning, true);
  await device.run(500);
  await invoke(() => central.update());
  assert.equal(central.scanning, true, "a link's update does not end the console's scan");
  await device.run(500);
  assert.equal(central.scanning, false);
  assert.equal(central.userScanning, false);
});

test("a scan session restarts every 10 s with the parameters due then", async () => {
  const [a] = await links(new FakeLink("sessions"));
  await invoke(() => { a.wantsConnection = true; a.waitingSince = now() - 25_000; central.update(); });
  const from = radio.length - 1;
  assert.deepEqual(scanStarts(from), [FAST]);
  await device.run(9_999);
  assert.deepEqual(scanStarts(from), [FAST]);
  await device.run(1);
  assert.deepEqual(scanStarts(from), [FAST, BACKGROUND], "restarted at 10 s, 35 s after the link began waiting");
  await device.run(10_000);
  assert.deepEqual(scanStarts(from), [FAST, BACKGROUND, BACKGROUND]);
  await invoke(() => { a.wantsConnection = false; central.update(); });
});

test("a probe finds a host reset; after the client is made again, a periodic check finds the next one while nothing scans", async () => {
  const [a] = await links(new FakeLink("idle"));
  const resets = central.stackResets;
  assert.equal(central.scanning, false);
  logs.length = 0;
  device.ble.hostReset();
  await device.run(100);
  await invoke(() => central.probe("polls unanswered"));
  assert.equal(central.stackResets, resets + 1);
  assert.equal(central.ready, false);
  assert.ok(logs.includes("W BLE stack lost:polls unanswered"), logs.join("\n"));
  assert.deepEqual(a.calls, ["reset"], "every link is told");
  await invoke(() => central.probe("again")); // no client: nothing to probe
  assert.equal(central.stackResets, resets + 1);
  // between the new client and its onReady: no scan, not even for a link that waits
  let early: { ready: boolean; scanFor: boolean; scanning: boolean } | undefined;
  beforeReady = () => {
    const scanFor = central.scanFor(1_000, () => {});
    a.wantsConnection = true; a.waitingSince = now();
    central.update();
    early = { ready: central.ready, scanFor, scanning: central.scanning };
    a.wantsConnection = false;
  };
  await device.run(499);
  assert.equal(central.ready, false, "made again after 0.5 s");
  await device.run(100);
  assert.equal(central.ready, true, "a new client");
  assert.ok(logs.includes("I BLE ready"), logs.join("\n"));
  assert.deepEqual(early, { ready: false, scanFor: false, scanning: false });
  assert.equal(central.scanning, false);
  await invoke(() => central.update()); // nobody waits: nothing to stop, the session goes on
  // the new client's scan session runs although nothing scans: it probes every 10 s
  device.ble.hostReset();
  await device.run(10_000);
  assert.equal(central.stackResets, resets + 2, "found within one 10 s session");
  assert.ok(logs.includes("W BLE stack lost:periodic check"), logs.join("\n"));
  // the next client's first periodic check comes 10 s after it is ready
  await h1(() => central.ready, 2_000);
  device.ble.hostReset();
  await device.run(9_999);
  assert.equal(central.stackResets, resets + 2);
  await device.run(1);
  assert.equal(central.stackResets, resets + 3, "10 s after the client was ready");
  await h1(() => central.ready, 2_000);
  // and every 10 s after: a reset after the first check is found by the second
  const again = now();
  await device.run(10_500);
  assert.equal(central.stackResets, resets + 3, "nothing found at the first check");
  device.ble.hostReset();
  await device.run(again + 20_000 - now());
  assert.equal(central.stackResets, resets + 4, "found by the second, 20 s after ready");
  await h1(() => central.ready, 2_000);
});

test("a host reset while scanning is found when the session restarts the scan; a link whose reset throws is logged", async () => {
  const [a, b] = await links(new FakeLink("scan-a"), new FakeLink("scan-b"));
  await invoke(() => { a.wantsConnection = true; a.waitingSince = now(); central.update(); });
  assert.equal(central.scanning, true);
  a.throws.add("reset");
  const resets = central.stackResets;
  logs.length = 0;
  device.ble.hostReset();
  await device.run(10_000);
  assert.equal(central.stackResets, resets + 1);
  assert.ok(logs.includes("W BLE stack lost:BLE record gone (probe before scanning)"), logs.join("\n"));
  assert.ok(logs.some((l) => /^E link reset:.*scan-a reset broke/.test(l)), logs.join("\n"));
  assert.ok(b.calls.includes("reset"), "the other link is told anyway");
  assert.equal(central.scanning, false);
  await device.run(1_000);
  assert.equal(central.ready, true);
  assert.equal(central.scanning, true, "scanning again for the waiting link");
  await invoke(() => { a.wantsConnection = false; central.update(); });
});

/** A BMS at `mac` that the scan does not hear (not present) until `appear`. */
function bms(mac: string, variant: "ff00" | "fff0" = "ff00"): Peripheral {
  const p = device.ble.add({ address: mac, name: "JBD-" + mac.slice(-2), sim: new SimulatedBms(clock, { seed: 3 }), variant });
  device.ble.vanish(p);
  return p;
}

test("which link a report goes to: address first, then pattern, then service; a service link waits for the name while a pattern link waits", async () => {
  const mac = "A4:C1:38:00:0C:01";
  const p = bms(mac);
  const byService = new FakeLink("svc", "service");
  const byPattern = new FakeLink("pat", "pattern");
  const byAddress = new FakeLink("adr", "address");
  await links(byService, byPattern, byAddress);
  byService.accepts = (s) => s.service;
  byPattern.accepts = (s) => s.name === "JBD-01";
  byPattern.wantsConnection = true; // waiting, by name
  // advertisement only (the service, no name yet): the service link must wait for the name
  await invoke(() => central.discovered(report(mac, { services: ["FF00"] })));
  assert.equal(central.connecting, undefined, "no connect before the name is heard");
  assert.deepEqual(byAddress.offers.map((o) => o.address), [hex(wire(mac))], "the address link was asked");
  assert.equal(byPattern.offers.length, 1);
  assert.equal(byService.offers.length, 0, "the service link was not");
  // the scan response: a name that is not the pattern's: now the service link may take it
  await invoke(() => central.discovered(report(mac, { name: "OTHER" })));
  assert.equal(central.connecting, byService);
  assert.deepEqual(byService.offers.at(-1), { address: hex(wire(mac)), name: "OTHER", service: true, addressType: 0 }, "merged: service from the advertisement, name from the response");
  assert.deepEqual(byService.calls, ["connecting"]);
  // the connect completes when the device is there
  device.ble.appear(p);
  await device.run(500);
  assert.deepEqual(byService.calls, ["connecting", "connected"]);
  assert.equal(central.connecting, undefined);
  assert.equal(central.settingUp, byService);
  await invoke(() => { byService.client.close(); central.setupDone(byService); });
  await device.run(100);
  assert.deepEqual(byService.calls, ["connecting", "connected", "disconnected"]);
  device.ble.vanish(p);

  // the pattern link before the service link, the address link before both
  const other = "A4:C1:38:00:0C:02";
  const q = bms(other);
  byService.accepts = () => true;
  byPattern.accepts = () => true;
  byService.target = undefined;
  await invoke(() => central.discovered(report(other, { services: ["FF00"], name: "JBD-02" })));
  assert.equal(central.connecting, byPattern);
  device.ble.appear(q);
  await device.run(500);
  await invoke(() => { byPattern.client.close(); central.setupDone(byPattern); });
  await device.run(100);
  device.ble.vanish(q);
  byAddress.accepts = () => true;
  byPattern.target = undefined;
  await invoke(() => central.discovered(report(other, { services: ["FF00"], name: "JBD-02" })));
  assert.equal(central.connecting, byAddress);
  device.ble.appear(q);
  await device.run(500);
  await invoke(() => { byAddress.client.close(); central.setupDone(byAddress); });
  await device.run(100);
  device.ble.vanish(q);
  // only a waiting *pattern* link makes the service link wait for the name
  const third = "A4:C1:38:00:0C:03";
  const r = bms(third);
  byAddress.retire(); byPattern.retire();
  byAddress.wantsConnection = true;
  byService.accepts = (s) => s.service;
  byService.target = undefined;
  await invoke(() => central.discovered(report(third, { services: ["FF00"] })));
  assert.equal(central.connecting, byService, "no name needed while only an address link waits");
  device.ble.appear(r);
  await device.run(500);
  byAddress.wantsConnection = false;
  await invoke(() => { byService.client.close(); central.setupDone(byService); });
  await device.run(100);
  device.ble.vanish(r);
});

test("reports merged per address: short names, incomplete lists, FFF0; the address type of the latest report; a 17th device evicts the oldest", async () => {
  const [l] = await links(new FakeLink("merge", "service"));
  const mac = "A4:C1:38:00:0D:01";
  await invoke(() => central.discovered(report(mac, { name: "SHORT", short: true }, 1)));
  assert.deepEqual(l.offers.at(-1), { address: hex(wire(mac)), name: "SHORT", service: false, addressType: 1 });
  await invoke(() => central.discovered(report(mac, { services: ["180A", "FFF0"], incomplete: true }, 0)));
  assert.deepEqual(l.offers.at(-1), { address: hex(wire(mac)), name: "SHORT", service: true, addressType: 0 }, "name kept, FFF0 in an incomplete list");
  const mac2 = "A4:C1:38:00:0D:02";
  await invoke(() => central.discovered(report(mac2, { services: ["180A"] })));
  assert.deepEqual(l.offers.at(-1), { address: hex(wire(mac2)), name: undefined, service: false, addressType: 0 }, "another service is not FF00/FFF0");
  await invoke(() => central.discovered(report(mac2, { services: ["FF00"] }, 0, -77)));
  assert.equal(l.offers.at(-1)!.service, true);
  assert.equal(l.lastRssi, -77, "the latest report's RSSI");
  // 14 more devices: 16 in the table, mac (the oldest) still in it
  for (let i = 0; i < 14; i++) await invoke(() => central.discovered(report(`A4:C1:38:00:0E:${(i + 16).toString(16)}`, {})));
  await invoke(() => central.discovered(report(mac, {})));
  assert.equal(l.offers.at(-1)!.name, "SHORT", "16 devices seen: the first is still known");
  // mac was looked up again but keeps its place; two more new devices push it out
  await invoke(() => central.discovered(report("A4:C1:38:00:0F:01", {})));
  await invoke(() => central.discovered(report(mac, {})));
  assert.equal(l.offers.at(-1)!.name, undefined, "the 17th device evicted the oldest");
});

test("connections: no scan during a setup, resumed when it ends (only by its own link); a refused one and a late one nobody targets are closed, and scanning resumes", async () => {
  const mac = "A4:C1:38:00:10:01", mac2 = "A4:C1:38:00:10:02", mac3 = "A4:C1:38:00:10:03";
  const p = bms(mac), q = bms(mac2), r = bms(mac3);
  const a = new FakeLink("conn-a"), b = new FakeLink("conn-b"), c = new FakeLink("conn-c"), w = new FakeLink("conn-waits");
  await links(a, b, c, w);
  a.accepts = once(is(mac));
  await invoke(() => central.discovered(report(mac, {})));
  assert.equal(central.connecting, a);
  device.ble.appear(p);
  await device.run(500);
  assert.equal(central.settingUp, a);
  assert.equal(central.scanning, false);
  b.accepts = () => true;
  await invoke(() => central.discovered(report(mac2, {})));
  assert.equal(central.connecting, undefined, "no connect while a link sets up");
  assert.equal(b.offers.length, 0, "not even offered");
  b.accepts = () => false;
  const from = radio.length;
  await invoke(() => { w.wantsConnection = true; w.waitingSince = now(); central.update(); });
  assert.deepEqual(scanStarts(from), [], "no scan while a link discovers its services");
  await invoke(() => central.setupDone(b));
  assert.equal(central.settingUp, a, "another link's setupDone changes nothing");
  assert.equal(central.scanning, false);
  await invoke(() => central.setupDone(a));
  assert.equal(central.settingUp, undefined);
  assert.equal(central.scanning, true, "scanning again for the waiting link at once");
  // b refuses its connection: closed (a close the stack refuses is logged), and the scan goes on
  b.takes = false;
  b.accepts = once(is(mac2));
  let refused: any;
  b.onClient = undefined;
  const connected = b.onConnected.bind(b);
  b.onConnected = (client: any) => {
    refused = client;
    client.close = () => { throw new Error("connection not found"); };
    return connected(client);
  };
  logs.length = 0;
  await invoke(() => central.discovered(report(mac2, {})));
  assert.equal(central.connecting, b);
  assert.equal(central.scanning, false, "stopped for the connect");
  device.ble.appear(q);
  await device.run(500);
  assert.deepEqual(b.calls, ["connecting", "connected"]);
  assert.equal(central.settingUp, undefined, "refused: nobody sets up");
  assert.ok(logs.includes("W BLE close:Error: connection not found"), logs.join("\n"));
  assert.equal(central.scanning, true, "scanning again right after");
  logs.length = 0;
  await invoke(() => BLE.Client.prototype.close.call(refused));
  await device.run(100);
  assert.equal(q.connection, 0, "closed");
  assert.deepEqual(logs.filter((l) => l.startsWith("E ")), [], "its disconnect reaches no link, and is no error");
  device.ble.vanish(q);
  // c's connect times out and c forgets the device; the connection that comes late is closed
  c.accepts = once(is(mac3));
  await invoke(() => central.discovered(report(mac3, {})));
  await device.run(4_000);
  assert.deepEqual(c.calls, ["connecting", "timeout"]);
  c.target = undefined;
  assert.equal(central.scanning, true, "scanning for the waiting link meanwhile");
  const ops = radio.length;
  logs.length = 0;
  device.ble.appear(r);
  await device.run(500);
  assert.deepEqual(c.calls, ["connecting", "timeout"], "not told");
  assert.deepEqual(scanOps(ops), [], "the scan for the waiting link runs on");
  assert.deepEqual(logs.filter((l) => l.startsWith("E ")), [], "the closed connection's disconnect reaches no link, and is no error");
  assert.equal(r.connection, 0, "closed");
  assert.equal(central.settingUp, undefined);
  await invoke(() => { w.wantsConnection = false; central.update(); });
  await invoke(() => a.client.close());
  await device.run(100);
  device.ble.vanish(p); device.ble.vanish(r);
  c.retire(); b.retire();
});

test("a connect that times out: the link told, counted, suspected, the scan resumed; a late connection is still taken by its link and stops the scan", async () => {
  const mac = "A4:C1:38:00:11:01", mac2 = "A4:C1:38:00:11:02";
  const p = bms(mac);
  const [a, w, b] = await links(new FakeLink("late"), new FakeLink("late-waits"), new FakeLink("late-other"));
  a.accepts = once(is(mac));
  a.throws.add("timeout");
  const timeouts = central.connectTimeouts;
  logs.length = 0;
  await invoke(() => central.discovered(report(mac, {})));
  const started = now();
  // while the connect is pending: no scan for a waiting link, no second connect for a stray report
  const from = radio.length;
  await invoke(() => { w.wantsConnection = true; w.waitingSince = now(); central.update(); });
  assert.deepEqual(scanStarts(from), [], "no scan while a connect is pending");
  b.accepts = () => true;
  await invoke(() => central.discovered(report(mac2, {})));
  assert.equal(central.connecting, a, "still the first connect");
  assert.equal(b.offers.length, 0, "the report was not offered");
  b.accepts = () => false;
  await device.run(3_999);
  assert.equal(central.connecting, a);
  await device.run(1);
  assert.equal(central.connecting, undefined);
  assert.equal(central.connectTimeouts, timeouts + 1);
  assert.equal(central.suspectSince, started);
  assert.ok(logs.includes("W BLE connect timeout:late"), logs.join("\n"));
  assert.ok(logs.some((l) => /^E connect timeout:.*late timeout broke/.test(l)), logs.join("\n"));
  assert.deepEqual(scanStarts(from), [FAST], "the scan resumes for the waiting link at the timeout");
  assert.equal(central.scanning, true);
  device.ble.appear(p); // the hanging connect completes after all
  await device.run(500);
  assert.equal(central.suspectSince, undefined, "a connection clears the suspicion");
  assert.equal(central.settingUp, a);
  assert.equal(central.scanning, false, "no scan while it discovers");
  assert.deepEqual(a.calls, ["connecting", "timeout", "connected"]);
  await invoke(() => { w.wantsConnection = false; a.client.close(); central.setupDone(a); });
  await device.run(100);
  device.ble.vanish(p);
});

test("a late connection does not end another link's pending connect", async () => {
  const mac = "A4:C1:38:00:11:03", mac2 = "A4:C1:38:00:11:04";
  const p = bms(mac);
  const [a, b] = await links(new FakeLink("late-a"), new FakeLink("late-b"));
  a.accepts = once(is(mac));
  await invoke(() => central.discovered(report(mac, {})));
  await device.run(4_000);
  assert.deepEqual(a.calls, ["connecting", "timeout"]);
  // a report reaches b while NimBLE still waits for a's device (b's connect() is ignored by the stack)
  b.accepts = once(is(mac2));
  await invoke(() => central.discovered(report(mac2, {})));
  assert.equal(central.connecting, b);
  await device.run(1_000);
  device.ble.appear(p);
  await device.run(500);
  assert.deepEqual(a.calls, ["connecting", "timeout", "connected"]);
  assert.equal(central.connecting, b, "b's connect is still pending");
  await device.run(2_500);
  assert.deepEqual(b.calls, ["connecting", "timeout"], "and times out 4 s after it began");
  await invoke(() => { a.client.close(); central.setupDone(a); });
  await device.run(100);
  device.ble.vanish(p);
  await invoke(() => central.discovered(report("A4:C1:38:00:11:99", {}))); // clears the suspicion
});

test("a connect() that throws is logged and runs into the connect timeout", async () => {
  const [a] = await links(new FakeLink("short-address"));
  a.accepts = () => true;
  const offer = a.offer.bind(a);
  a.offer = (seen) => { const t = offer(seen); return t && { address: new ArrayBuffer(3), addressType: 0 }; };
  logs.length = 0;
  await invoke(() => central.discovered(report("A4:C1:38:00:12:01", {})));
  assert.ok(logs.some((l) => l.startsWith("E BLE connect:") && /RangeError/.test(l)), logs.join("\n"));
  assert.equal(central.connecting, a);
  await device.run(4_000);
  assert.equal(central.connecting, undefined);
  assert.ok(a.calls.includes("timeout"));
  assert.notEqual(central.suspectSince, undefined);
  a.retire();
  await invoke(() => central.discovered(report("A4:C1:38:00:12:02", {})));
  assert.equal(central.suspectSince, undefined, "any report clears the suspicion");
});

/** A connect that hangs (its device left between report and connect), timed out at the returned time. */
async function hang(id: string, mac: string): Promise<{ link: FakeLink; timedOutAt: number; since: number; p: Peripheral }> {
  const p = bms(mac);
  const [l] = await links(new FakeLink(id));
  l.accepts = () => true;
  await invoke(() => central.discovered(report(mac, {})));
  const since = now();
  await device.run(4_000);
  assert.equal(central.suspectSince, since);
  return { link: l, timedOutAt: now(), since, p };
}
/** The hanging connect completes (its device is back); the link closes it again. */
async function release(l: FakeLink, p: Peripheral): Promise<void> {
  device.ble.appear(p);
  await device.run(500);
  assert.equal(central.settingUp, l);
  await invoke(() => { l.client.close(); central.setupDone(l); });
  await device.run(100);
  device.ble.vanish(p);
  l.retire();
}

test("the hang check: another link waiting 3 s that went down at most 30 s before the hang began restarts; 1 ms less does not", async () => {
  const { link, timedOutAt, since, p } = await hang("hangs", "A4:C1:38:00:13:01");
  const other = new FakeLink("waits");
  const older = new FakeLink("waited-long");
  await invoke(() => {
    // went down 30 s before the connect began, 1 ms too early to count
    older.wantsConnection = true; older.waitingSince = since - 30_001;
    central.add(older);
  });
  all.push(older);
  restarts.length = 0;
  await device.run(5_000);
  assert.deepEqual(restarts, [], "a link that waited long before the hang gains nothing from a quick restart");
  // the hanging link itself waiting again counts for nothing
  await invoke(() => { link.wantsConnection = true; link.waitingSince = now() - 10_000; central.update(); });
  assert.deepEqual(restarts, [], "its own link");
  link.wantsConnection = false;
  // checked at every update too: 2.999 s waited is not enough, 3 s is
  await invoke(() => { other.wantsConnection = true; other.waitingSince = now() - 2_999; central.add(other); central.update(); });
  all.push(other);
  assert.deepEqual(restarts, []);
  await invoke(() => { other.waitingSince = now() - 3_000; central.update(); });
  assert.deepEqual(restarts, ["BLE connect to hangs hangs while other links wait"], "at the update");
  restarts.length = 0;
  await invoke(() => { other.waitingSince = now() - 2_000; });
  const t = now();
  // checks run every second from the timeout: the next at 2 s waited (no), then 3 s (yes)
  await device.run(999 - ((t - timedOutAt) % 1_000));
  assert.deepEqual(restarts, []);
  await device.run(1_000);
  assert.deepEqual(restarts, ["BLE connect to hangs hangs while other links wait"]);
  restarts.length = 0;
  // a link that went down exactly 30 s before the hang began counts
  other.wantsConnection = false;
  older.waitingSince = since - 30_000;
  await device.run(1_000);
  assert.deepEqual(restarts, ["BLE connect to hangs hangs while other links wait"]);
  restarts.length = 0;
  older.wantsConnection = false;
  await release(link, p);
});

test("the hang check: after 10 min even a link that was waiting long before; the console's reconnect restarts while a connect hangs", async () => {
  const { link, since, p } = await hang("hangs-long", "A4:C1:38:00:14:01");
  const older = new FakeLink("away");
  await invoke(() => { older.waitingSince = since - 3_600_000; central.add(older); });
  all.push(older);
  restarts.length = 0;
  await device.run(10 * 60_000 - 4_000 + 2_000);
  assert.deepEqual(restarts, [], "past 10 min, but no other link waits");
  await invoke(() => { older.wantsConnection = true; });
  await device.run(1_000);
  assert.deepEqual(restarts, ["BLE connect to hangs-long hangs while other links wait"]);
  restarts.length = 0;
  await invoke(() => { older.wantsConnection = false; });
  // the 10 min bound, to the ms: a new hang, the other link waiting from the start
  await release(link, p);
  const second = await hang("hangs-long-2", "A4:C1:38:00:14:02");
  await invoke(() => { older.wantsConnection = true; central.add(older); });
  await device.run(10 * 60_000 - 4_000 - 1_000);
  assert.deepEqual(restarts, []);
  await device.run(1_000);
  assert.deepEqual(restarts, ["BLE connect to hangs-long-2 hangs while other links wait"], "10 min after the connect began");
  restarts.length = 0;
  older.wantsConnection = false;
  await invoke(() => central.recover("console: reconnect ble"));
  assert.deepEqual(restarts, ["console: reconnect ble (a connect is pending) [requested]"]);
  restarts.length = 0;
  await release(second.link, second.p);
});

test("the console's scan is refused while a connect is pending or a link sets up; it hears every device; reconnect ble while connecting", async () => {
  const mac = "A4:C1:38:00:15:01";
  const p = bms(mac);
  const [a] = await links(new FakeLink("busy"));
  await invoke(() => central.discovered(report("A4:C1:38:00:15:99", {}))); // clears any suspicion
  a.accepts = () => true;
  await invoke(() => central.discovered(report(mac, {})));
  let ok = true;
  await invoke(() => { ok = central.scanFor(1_000, () => {}); });
  assert.equal(ok, false, "a connect is pending");
  restarts.length = 0;
  await invoke(() => central.recover("console: reconnect ble"));
  assert.deepEqual(restarts, ["console: reconnect ble (a connect is pending) [requested]"]);
  restarts.length = 0;
  device.ble.appear(p);
  await device.run(500);
  assert.equal(central.settingUp, a);
  await invoke(() => { ok = central.scanFor(1_000, () => {}); });
  assert.equal(ok, false, "a link sets up");
  await invoke(() => central.setupDone(a));
  a.accepts = () => false;
  // with nothing pending, reconnect ble only probes: fine, or a lost stack found
  logs.length = 0;
  const resets = central.stackResets;
  await invoke(() => central.recover("console: reconnect ble"));
  assert.deepEqual(restarts, []);
  assert.equal(central.stackResets, resets);
  device.ble.hostReset();
  await device.run(100);
  await invoke(() => central.recover("console: reconnect ble"));
  assert.deepEqual(restarts, [], "no restart: the stack is made again");
  assert.equal(central.stackResets, resets + 1);
  assert.ok(logs.includes("W BLE stack lost:console: reconnect ble"), logs.join("\n"));
  assert.ok(a.calls.includes("reset"));
  await device.run(1_000);
  assert.equal(central.ready, true);
  const thrower = new FakeLink("offer-throws");
  thrower.throws.add("offer");
  await invoke(() => central.add(thrower));
  all.push(thrower);
  // a scan that hears a device every link ignores
  const n = device.ble.add({ address: "A4:C1:38:00:15:77", name: "phone" });
  const heard: string[] = [];
  await invoke(() => { ok = central.scanFor(2_000, (d) => heard.push(hex(d.address))); });
  assert.equal(ok, true);
  await device.run(2_000);
  assert.ok(heard.includes(hex(wire("A4:C1:38:00:15:77"))), heard.join(", "));
  assert.ok(logs.some((l) => /^E onDiscovered:.*offer-throws offer broke/.test(l)), logs.join("\n"));
  device.ble.vanish(n);
  device.ble.vanish(p);
});

test("GATT callbacks reach the link that holds the client; an exception in one is logged, not thrown", async () => {
  const mac = "A4:C1:38:00:16:01";
  const p = bms(mac);
  const [a, bystander] = await links(new FakeLink("gatt"), new FakeLink("bystander"));
  bystander.notifyCharacteristic = {};
  a.accepts = () => true;
  let client: any;
  a.onClient = (c) => { client = c; c.discoverAllPrimaryServices(); };
  a.onServices = () => {
    a.calls.push("services");
    const s = client.services.find((x: any) => x.start === 0x10);
    s.discoverAllCharacteristics();
  };
  a.onCharacteristics = () => {
    a.calls.push("characteristics");
    const chars = client.services.flatMap((s: any) => s.characteristics);
    a.notifyCharacteristic = chars.find((c: any) => c.handle === 0x11);
    a.notifyCharacteristic.enableNotifications();
  };
  await invoke(() => central.discovered(report(mac, {})));
  device.ble.appear(p);
  await device.run(1_000);
  assert.deepEqual(a.calls, ["connecting", "connected", "services", "characteristics", "notifications"]);
  assert.equal(bystander.calls.length, 0, "only the link whose characteristic it is");
  assert.equal(central.byClient(client), a);
  assert.equal(central.byServices(client.services), a);
  assert.equal(central.byServices([]), undefined);
  assert.equal(central.byCharacteristics([]), undefined);
  // a request to the BMS: its reply arrives as notifications for this link only
  const write = client.services.flatMap((s: any) => s.characteristics).find((c: any) => c.handle === 0x15);
  await invoke(() => write.writeWithoutResponse(new Uint8Array([0xdd, 0xa5, 0x03, 0x00, 0xff, 0xfd, 0x77]).buffer));
  await device.run(500);
  assert.ok(a.calls.includes("notification"));
  assert.ok(!bystander.calls.includes("notification"));
  await invoke(() => client.readRSSI());
  assert.ok(a.calls.includes("rssi"));
  // answers for a client no link holds any more (it gave up meanwhile) reach nobody, and are no error
  logs.length = 0;
  const calls = a.calls.length;
  a.client = undefined;
  await invoke(() => client.discoverAllPrimaryServices());
  await device.run(100);
  await invoke(() => client.services.find((x: any) => x.start === 0x10).discoverAllCharacteristics());
  await device.run(100);
  await invoke(() => client.readRSSI());
  assert.equal(a.calls.length, calls);
  assert.deepEqual(logs.filter((l) => l.startsWith("E ")), []);
  a.client = client;
  a.notifyCharacteristic = client.services.flatMap((s: any) => s.characteristics).find((c: any) => c.handle === 0x11);
  // each callback is a boundary
  logs.length = 0;
  for (const what of ["notification", "rssi", "disconnected"]) a.throws.add(what);
  await invoke(() => write.writeWithoutResponse(new Uint8Array([0xdd, 0xa5, 0x03, 0x00, 0xff, 0xfd, 0x77]).buffer));
  await device.run(500);
  await invoke(() => client.readRSSI());
  await invoke(() => client.close());
  await device.run(100);
  assert.ok(logs.some((l) => /^E onNotification:.*gatt notification broke/.test(l)), logs.join("\n"));
  assert.ok(logs.some((l) => /^E onRSSI:.*gatt rssi broke/.test(l)), logs.join("\n"));
  assert.ok(logs.some((l) => /^E onDisconnected:.*gatt disconnected broke/.test(l)), logs.join("\n"));
  assert.equal(device.fatalErrors, 0);
  await invoke(() => central.setupDone(a));
  device.ble.vanish(p);
});

test("every SDK callback is a boundary: an exception in the link's onConnected, onServices, onCharacteristics, onNotificationsEnabled is logged", async () => {
  const mac = "A4:C1:38:00:17:01";
  const p = bms(mac);
  const phone = device.ble.add({ address: "A4:C1:38:00:17:77", name: "phone" });
  const [a, w] = await links(new FakeLink("throws"), new FakeLink("throws-waits"));
  a.accepts = once(is(mac));
  let client: any;
  a.onClient = (c) => { client = c; c.discoverAllPrimaryServices(); };
  a.onServices = () => {
    client.services.find((x: any) => x.start === 0x10).discoverAllCharacteristics();
    throw new Error("services broke");
  };
  a.onCharacteristics = () => {
    a.notifyCharacteristic = client.services.flatMap((s: any) => s.characteristics).find((c: any) => c.handle === 0x11);
    a.notifyCharacteristic.enableNotifications();
    throw new Error("characteristics broke");
  };
  a.onNotificationsEnabled = () => { throw new Error("notifications broke"); };
  a.throws.add("connected");
  logs.length = 0;
  await invoke(() => central.discovered(report(mac, {})));
  await device.run(4_000); // timed out; the central scans for the other link (the phone advertises)
  await invoke(() => { w.wantsConnection = true; w.waitingSince = now(); central.update(); });
  assert.equal(central.scanning, true);
  device.ble.appear(p); // a late connection, whose link starts discovering and then throws
  await device.run(1_000);
  assert.equal(central.scanning, false, "the scan was stopped before the link could discover");
  assert.equal(device.fatalErrors, 0, "no scan report reached the GATT queue");
  await invoke(() => { w.wantsConnection = false; central.update(); });
  device.ble.vanish(phone);
  for (const [prefix, what] of [["onConnected", "throws connected broke"], ["onServices", "services broke"],
    ["onCharacteristics", "characteristics broke"], ["onNotificationEnabled", "notifications broke"]]) {
    assert.ok(logs.some((l) => l.startsWith(`E ${prefix}:`) && l.includes(what)), `${prefix}: ${logs.join("\n")}`);
  }
  // a notification for a characteristic no link holds (any more) reaches nobody and is no error
  a.notifyCharacteristic = undefined;
  logs.length = 0;
  const write = client.services.flatMap((s: any) => s.characteristics).find((c: any) => c.handle === 0x15);
  await invoke(() => write.writeWithoutResponse(new Uint8Array([0xdd, 0xa5, 0x03, 0x00, 0xff, 0xfd, 0x77]).buffer));
  await device.run(500);
  assert.deepEqual(logs.filter((l) => l.startsWith("E ")), []);
  assert.ok(!a.calls.includes("notification"));
  // a scan start that throws is logged; the central does not count it as scanning
  const ble = client.ble;
  ble.startScanning = () => { throw new Error("scan refused"); };
  try {
    await invoke(() => { a.wantsConnection = true; a.waitingSince = now(); central.update(); });
    assert.ok(logs.includes("W BLE scan:Error: scan refused"), logs.join("\n"));
    assert.equal(central.scanning, false);
  } finally { delete ble.startScanning; }
  await invoke(() => central.update());
  assert.equal(central.scanning, true, "started at the next update");
  await invoke(() => { a.wantsConnection = false; central.update(); client.close(); });
  await device.run(100);
  assert.equal(device.fatalErrors, 0);
  device.ble.vanish(p);
});

test("a host reset found at a connect, during a pending connect, a setup or a suspected hang: the old stack's state is forgotten", async () => {
  const mac = "A4:C1:38:00:18:01", mac2 = "A4:C1:38:00:18:02", mac3 = "A4:C1:38:00:18:03", mac4 = "A4:C1:38:00:18:04";
  bms(mac); bms(mac2); const p = bms(mac3); bms(mac4);
  const [a, b, c, d] = await links(new FakeLink("lost-a"), new FakeLink("lost-b"), new FakeLink("lost-c"), new FakeLink("lost-d"));
  // found by the connect's own stop of the scan: no connect
  a.accepts = once(is(mac));
  device.ble.hostReset();
  await device.run(100);
  logs.length = 0;
  await invoke(() => central.discovered(report(mac, {})));
  assert.deepEqual(a.calls, ["reset"], "never told connecting");
  assert.equal(central.connecting, undefined);
  assert.ok(logs.includes("W BLE stack lost:BLE record gone (stop scanning)"), logs.join("\n"));
  await device.run(1_000);
  assert.equal(central.ready, true);
  // during a pending connect
  b.calls.length = 0;
  b.accepts = once(is(mac2));
  await invoke(() => central.discovered(report(mac2, {})));
  assert.equal(central.connecting, b);
  device.ble.hostReset();
  await device.run(100);
  await invoke(() => central.probe("test"));
  assert.equal(central.connecting, undefined);
  await device.run(5_000);
  assert.deepEqual(b.calls, ["connecting", "reset"], "no connect timeout for a connect of the old stack");
  // during a setup
  c.accepts = once(is(mac3));
  device.ble.appear(p);
  await invoke(() => central.discovered(report(mac3, {})));
  await device.run(500);
  assert.equal(central.settingUp, c);
  device.ble.hostReset();
  await device.run(100);
  await invoke(() => central.probe("test"));
  assert.equal(central.settingUp, undefined);
  await device.run(1_000);
  device.ble.vanish(p);
  // a suspected hang
  d.accepts = once(is(mac4));
  await invoke(() => central.discovered(report(mac4, {})));
  await device.run(4_000);
  assert.notEqual(central.suspectSince, undefined);
  device.ble.hostReset();
  await device.run(100);
  await invoke(() => central.probe("test"));
  assert.equal(central.suspectSince, undefined);
  await device.run(1_000);
  assert.equal(central.ready, true);
});

test("a client that cannot be made again: retried every 0.5 s, a restart 30 s after the stack was lost; an exception in onReady is logged", async () => {
  const [a] = await links(new FakeLink("recreate"));
  restarts.length = 0;
  device.ble.hostReset();
  await device.run(100);
  logs.length = 0;
  await invoke(() => central.probe("test"));
  const lost = now();
  assert.equal(central.ready, false);
  // something else holds the BLE record meanwhile (as a connect's leaked count does)
  let holder: any;
  await device.run(100);
  await invoke(() => { holder = new BLE.default(); });
  await device.run(400);
  assert.deepEqual(logs.filter((l) => l.startsWith("W BLE init:")), ["W BLE init:Error: BLE already initialized"], "first attempt at 0.5 s");
  await device.run(30_000 - 500 - 1);
  assert.equal(logs.filter((l) => l.startsWith("W BLE init:")).length, 59, "every 0.5 s");
  assert.deepEqual(restarts, []);
  assert.equal(now() - lost, 29_999);
  await device.run(1);
  assert.deepEqual(restarts, ["BLE client could not be created again"]);
  // the record is freed: the next attempt makes the client; an exception during onReady is logged
  let throwOnce = true;
  Object.defineProperty(a, "wantsConnection", { configurable: true, get: () => { if (throwOnce) { throwOnce = false; throw new Error("link broke"); } return false; } });
  logs.length = 0;
  await invoke(() => holder.close());
  await device.run(600);
  assert.equal(central.ready, true);
  assert.ok(logs.some((l) => l.startsWith("E onReady:") && l.includes("link broke")), logs.join("\n"));
  Object.defineProperty(a, "wantsConnection", { configurable: true, writable: true, value: false });
});
