// The bleclient and btutils doubles against the SDK source (nimble/modBLEClient.c, bleclient.js,
// gatt.js, btutils.js/.c): the native record's use count, the scanning flag after connect, the
// close path, host resets, panics, per-notification allocation and btutils' own texts.
// A tiny host stands in for NimBLE: it answers ble_gap_conn_active() and echoes the messages the SDK
// posts to itself. Each test file runs in its own process, so the module state starts fresh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, dispatch, takeOutbox, type HostOp } from "./runtime";
import { ev, turn } from "./host-turns";
import BLEClient, { nativeState, type Client } from "./bleclient";
import { Bytes, uuid, address, Advertisement } from "./btutils";

let connActive = false;
attachHost((op) => {
  switch (op[0]) {
    case "ble.connActive": return connActive;
    case "ble.types": return { "01ff": "Uint8Array" };
    case "ble.rssi": return -61;
    default: return null;
  }
});

const names = (ops: HostOp[]) => ops.map((op) => op[0]);
const WIRE = "33221138c1a4";
const target = { address: address`A4:C1:38:11:22:33`, addressType: 0 };

class Probe extends BLEClient {
  connected: Client[] = [];
  discovered = 0;
  disconnected = 0;
  override onConnected(c: Client) { this.connected.push(c); }
  override onDiscovered() { this.discovered++; }
  override onDisconnected() { this.disconnected++; }
}

test("use count: the instance holds one, a scan one, a pending connect one; a successful connect event gives its count back", () => {
  const ble = new Probe();
  assert.deepEqual(names(turn()), ["ble.init"]);
  assert.equal(nativeState().useCount, 1);
  ble.startScanning();
  assert.equal(nativeState().useCount, 2);
  ble.stopScanning();
  assert.equal(nativeState().useCount, 1);
  assert.deepEqual(names(turn()), ["ble.scan", "ble.scan"]);
  ble.connect(target);
  assert.equal(nativeState().useCount, 2, "connect() takes a count");
  assert.deepEqual(names(turn()), ["ble.connect"]);
  ev("ble.connectEvent", 0, 5, WIRE, 0);
  assert.equal(ble.connected.length, 1);
  assert.equal(nativeState().useCount, 1, "given back by the connect event");
  ev("ble.disconnected", 5);
  assert.equal(ble.disconnected, 1);
  ble.close();
  const ops = turn();
  assert.deepEqual(names(ops), ["ble.self", "ble.deinit"], "freed at 0: the close event runs the destructor");
  assert.equal(nativeState().record, false);
});

test("a failed connect (status != 0) has no callback and never gives its count back: close() then cannot free the stack", () => {
  const ble = new Probe();
  turn();
  ble.connect(target);
  turn();
  ev("ble.connectEvent", 0x3e, 0xffff, "000000000000", 0);
  assert.equal(ble.connected.length, 0);
  assert.equal(nativeState().connections, 0, "the pending record is dropped");
  assert.equal(nativeState().useCount, 2, "the connect's count leaked");
  ble.close();
  assert.deepEqual(names(turn()), [], "no close event: a count is still held");
  assert.equal(nativeState().closing, true);
  assert.throws(() => new Probe(), /BLE already initialized/, "until the record is gone");
  assert.throws(() => ble.stopScanning(), /instance closed/);
  // any radio event reaching the closing record takes a count: this one frees it
  ev("ble.discovered", WIRE, 0, -60, "020106");
  assert.deepEqual(names(turn()), ["ble.self", "ble.deinit"]);
  assert.equal(ble.discovered, 0, "nothing is delivered to a closing record");
  new Probe().close();
  turn();
});

test("close() while a connect is pending neither ends it nor frees the stack; its completion does, with no callback", () => {
  const ble = new Probe();
  turn();
  ble.connect(target);
  turn();
  connActive = true;
  ble.connect({ address: address`A4:C1:38:00:00:01`, addressType: 0 });
  assert.deepEqual(names(turn()), [], "a second connect() while one is pending is a silent no-op");
  ble.close();
  assert.deepEqual(names(turn()), []);
  assert.throws(() => new Probe(), /BLE already initialized/);
  ble.connect(target);
  assert.deepEqual(names(turn()), [], "connect() on a closing record does nothing");
  connActive = false;
  ev("ble.connectEvent", 0, 7, WIRE, 0);
  assert.equal(ble.connected.length, 0, "no onConnected on a closing record");
  const ops = turn();
  // the event never reached connectEvent, so the record has no connection id to terminate: the link
  // ends only when the NimBLE port is stopped
  assert.deepEqual(names(ops), ["ble.self", "ble.deinit"]);
  const again = new Probe();
  assert.deepEqual(names(turn()), ["ble.init"]);
  again.close();
  turn();
});

test("connect() during a scan cancels it but leaves the flag set: 'already scanning', and a second stopScanning() frees the stack", () => {
  const ble = new Probe();
  turn();
  ble.startScanning({ duplicates: false });
  ble.connect(target);
  assert.deepEqual(names(turn()), ["ble.scan", "ble.scan", "ble.connect"]);
  assert.equal(nativeState().scanning, true, "the SDK never clears the flag in connect()");
  assert.throws(() => ble.startScanning(), /already scanning/);
  // still delivered while the flag is set
  ev("ble.discovered", WIRE, 0, -60, "020106");
  assert.equal(ble.discovered, 1);
  ev("ble.connectEvent", 0, 9, WIRE, 0);
  assert.equal(nativeState().useCount, 2, "instance + the throwing startScanning's count");
  ble.stopScanning();
  ble.stopScanning(); // the flag is clear now: no second return
  assert.equal(nativeState().useCount, 1);
  ble.close();
  turn();
});

test("the stale flag's second count can reach 0: the stack is freed with no callback, the link dies silently, startScanning() panics", () => {
  const ble = new Probe();
  turn();
  ble.startScanning();
  ble.connect(target);
  turn();
  ev("ble.connectEvent", 0, 11, WIRE, 0);
  assert.equal(nativeState().useCount, 1);
  const client = ble.connected[0];
  ble.stopScanning(); // count 0
  const ops = turn();
  assert.deepEqual(names(ops), ["ble.scan", "ble.self", "ble.terminate", "ble.deinit"]);
  assert.equal(ble.disconnected, 0, "no onDisconnected");
  assert.throws(() => client.close(), /connection not found/);
  assert.throws(() => ble.stopScanning(), /unknown instance/);
  ble.connect(target);
  assert.deepEqual(names(turn()), [], "connect() on a freed record returns silently");
  ble.startScanning();
  assert.deepEqual(names(turn()), ["panic"], "NULL dereference in xs_ble_client_start_scanning");
});

test("NimBLE host reset: the client is closed internally with no callback; connect ignored, close() of a link throws, scanning panics; then a new client works", () => {
  const ble = new Probe();
  turn();
  ble.connect(target);
  turn();
  ev("ble.connectEvent", 0, 13, WIRE, 0);
  const client = ble.connected[0];
  ev("ble.reset");
  assert.equal(nativeState().closing, true);
  assert.throws(() => ble.stopScanning(), /instance closed/);
  assert.throws(() => new Probe(), /BLE already initialized/, "until the close event ran");
  turn();
  assert.equal(ble.disconnected, 0);
  assert.throws(() => client.close(), /connection not found/);
  ble.connect(target);
  assert.deepEqual(names(turn()), []);
  ble.close(); // a no-op: the native pointer is gone
  ble.startScanning();
  assert.deepEqual(names(turn()), ["panic"]);
  const fresh = new Probe();
  assert.deepEqual(names(turn()), ["ble.init"], "the port was stopped, so NimBLE starts again");
  fresh.close();
  turn();
});

test("the destructor clears gBLE unconditionally: a client created before the old close event ran is orphaned", () => {
  const old = new Probe();
  turn();
  old.close(); // count 0: gBLE cleared at once, the close event still queued
  const queued = takeOutbox();
  assert.deepEqual(names(queued), ["ble.self"]);
  let ready = 0;
  class Fresh extends Probe { override onReady() { ready++; } }
  const fresh = new Fresh(); // allowed: gBLE is already NULL
  const ops = takeOutbox();
  assert.deepEqual(names(ops), ["ble.self"], "the port is still up: the sync callback runs at once");
  dispatch(0, queued[0][1] as string, queued[0].slice(2)); // the old close event
  dispatch(0, ops[0][1] as string, ops[0].slice(2));       // then the new client's ready event
  assert.equal(ready, 0, "onReady never comes");
  assert.throws(() => fresh.stopScanning(), /unknown instance/);
  takeOutbox();
});

test("scan reports: delivered only while the flag is set; advertisement and scan response arrive as separate calls", () => {
  const seen: { name?: string; uuids?: number; type: number }[] = [];
  class Scanner extends BLEClient {
    override onDiscovered(d: { addressType: number; scanResponse: Advertisement }) {
      seen.push({ name: d.scanResponse.completeName, uuids: d.scanResponse.completeUUID16List?.length, type: d.addressType });
    }
  }
  const ble = new Scanner();
  turn();
  ev("ble.discovered", WIRE, 1, -60, "020106030300ff");
  assert.equal(seen.length, 0, "not scanning");
  ble.startScanning();
  ev("ble.discovered", WIRE, 1, -60, "020106030300ff");
  ev("ble.discovered", WIRE, 1, -60, "04094a4244");
  assert.deepEqual(seen, [{ name: undefined, uuids: 1, type: 1 }, { name: "JBD", uuids: undefined, type: 1 }]);
  ble.stopScanning();
  ble.close();
  turn();
});

test("per notification the SDK allocates a fresh buffer and the bleservices view; routing goes through the discovered characteristics", () => {
  const values: unknown[] = [];
  let device: Client | undefined;
  class Link extends BLEClient {
    override onConnected(c: Client) { device = c; }
    override onCharacteristicNotification(_c: unknown, value: unknown) { values.push(value); }
  }
  const ble = new Link();
  turn();
  ble.connect(target);
  turn();
  ev("ble.connectEvent", 0, 2, WIRE, 0);
  device!.discoverAllPrimaryServices();
  ev("ble.services", 2, [{ uuid: "00ff", start: 0x10, end: 0x1f }]);
  device!.services[0].discoverAllCharacteristics();
  // upper-case hex, as the virtual device's BLE world reports it: the SDK matches the UUID's bytes
  // (nimble/modBLEClient.c uuidToCharName: ble_uuid_cmp), so the type is found whatever the case
  ev("ble.characteristics", 2, 0x10, [{ uuid: "01FF", handle: 0x11, properties: 0x12 }, { uuid: "02ff", handle: 0x15, properties: 0x0c }]);
  ev("ble.notification", 2, 0x11, "dd0300");
  ev("ble.notification", 2, 0x11, "dd0300");
  assert.ok(values[0] instanceof Uint8Array && values[1] instanceof Uint8Array);
  assert.notEqual((values[0] as Uint8Array).buffer, (values[1] as Uint8Array).buffer, "a new ArrayBuffer each time");
  // a second characteristic discovery wipes the first: FF01 notifications are dropped
  const service = device!.services[0];
  service.discoverCharacteristic(uuid`FF02`);
  ev("ble.characteristics", 2, 0x10, [{ uuid: "02ff", handle: 0x15, properties: 0x0c }]);
  ev("ble.notification", 2, 0x11, "dd");
  assert.equal(values.length, 2);
  const ff02 = service.characteristics[0];
  assert.throws(() => ff02.writeWithoutResponse(new Uint8Array([1]) as unknown as ArrayBuffer), /not an ArrayBuffer instance/);
  let rssi: number | undefined;
  (ble as unknown as { onRSSI(d: unknown, r: number): void }).onRSSI = (_d, r) => { rssi = r; };
  device!.readRSSI();
  assert.equal(rssi, -61, "onRSSI ran inside readRSSI()");
  assert.throws(() => device!.exchangeMTU(600), /invalid mtu/);
  ev("ble.disconnected", 2);
  assert.throws(() => device!.close(), /connection not found/);
  ble.close();
  turn();
});

test("btutils: Bytes, uuid and address as btutils.js/.c do them", () => {
  assert.deepEqual([...new Uint8Array(uuid`FF01`)], [0x01, 0xff]);
  assert.equal(String(address`A4:C1:38:11:22:33`), "A4:C1:38:11:22:33");
  assert.equal(new Uint8Array(address`A4:C1:38:11:22:33`)[0], 0x33);
  assert.equal(String(uuid`0000FF01-0000-1000-8000-00805F9B34FB`), "0000FF01-0000-1000-8000-00805F9B34FB");
  assert.equal(String(uuid`FF00`), "FF00");
  assert.ok(uuid`FF00`.equals(new Bytes("FF00", true)));
  assert.throws(() => uuid`0xFF00`, /bad data/);
  assert.throws(() => new Bytes("zz"), /bad data/);
  assert.equal(new Bytes("FFF").byteLength, 1, "an odd last digit is ignored, not refused");
  assert.throws(() => new Bytes(5 as unknown as string), /unsupported type/);
  assert.throws(() => uuid`FF00`.equals(new Uint8Array(2) as unknown as ArrayBuffer), /not an ArrayBuffer instance/);
  assert.throws(() => uuid`FF00`.slice(0), /unsupported type/, "slice() runs the Bytes constructor with a number");
  const prefix = "FF";
  assert.equal(uuid`${prefix}01`.byteLength, 0, "substitutions are ignored: only the first literal (here empty) counts");
  assert.ok(Object.isFrozen(Bytes.prototype));
  // Advertisement reads one packet; names are UTF-8
  const ad = new Advertisement(new Uint8Array([2, 0x01, 0x06, 5, 0x09, 0xc3, 0xa9, 0x41, 0x42]).buffer);
  assert.equal(ad.flags, 6);
  assert.equal(ad.completeName, "éAB");
  assert.equal(ad.shortName, undefined);
});

test("scan reports and GATT discovery share one queue: a report of the other kind aborts the VM", () => {
  let device: Client | undefined;
  class Both extends BLEClient { override onConnected(c: Client) { device = c; } }
  const ble = new Both();
  turn();
  ble.connect(target);
  turn();
  ev("ble.connectEvent", 0, 3, WIRE, 0);
  ble.startScanning();
  device!.discoverAllPrimaryServices(); // the queue now serves service discovery
  ev("ble.discovered", "010203040506", 0, -70, "020106");
  const fatal = turn().find((op) => op[0] === "fatal");
  assert.ok(fatal, "a scan report reached the service-discovery handler");
  assert.match(String(fatal[2]), /connection not found/);
  ble.stopScanning();
  ble.close();
  turn();
});
