// The doubles keep the Moddable SDK's sharp edges (../shared/moddable-platform.md): the firmware is
// only as safe as these are faithful. A tiny host records what they post.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, dispatch, takeOutbox, type HostOp } from "./runtime";
import BLEClient from "./bleclient";
import { Bytes, uuid, address } from "./btutils";
import MQTT from "./mqtt";
import Preference from "./preference";
import Timer from "./timer";

const store = new Map<string, unknown>();
const calls: HostOp[] = [];
attachHost((op) => {
  calls.push(op);
  switch (op[0]) {
    case "ble.init": return true;
    case "ble.types": return { "01ff": "Uint8Array" };
    case "ble.rssi": return -61;
    case "pref.set": store.set(`${op[1]}/${op[2]}`, op[3]); return null;
    case "pref.get": return store.get(`${op[1]}/${op[2]}`) ?? null;
    default: return null;
  }
});

test("btutils: uuid and address are stored little-endian; '0x' and odd digits are bad data", () => {
  assert.deepEqual([...new Uint8Array(uuid`FF01`)], [0x01, 0xff]);
  assert.equal(String(address`A4:C1:38:11:22:33`), "A4:C1:38:11:22:33");
  assert.equal(new Uint8Array(address`A4:C1:38:11:22:33`)[0], 0x33);
  assert.ok(uuid`FF00`.equals(new Bytes("FF00", true)));
  assert.throws(() => uuid`0xFF00`, /bad data/);
  assert.throws(() => new Bytes("FFF"), /bad data/);
});

test("bleclient: one client at a time, notifications typed by bleservices, close frees the stack", () => {
  const seen: { notifications: unknown[] } = { notifications: [] };
  class Client extends BLEClient {
    override onCharacteristicNotification(_c: unknown, value: ArrayBuffer | Uint8Array) { seen.notifications.push(value); }
  }
  const ble = new Client();
  assert.throws(() => new Client(), /BLE already initialized/);
  dispatch(0, "ble.connected", [1, "33221138c1a4", 0]);
  dispatch(0, "ble.services", [1, [{ uuid: "00ff", start: 0x10, end: 0x1f }]]);
  dispatch(0, "ble.characteristics", [1, 0x10, [{ uuid: "01ff", handle: 0x11, properties: 0x12 }, { uuid: "02ff", handle: 0x15, properties: 0x0c }]]);
  takeOutbox();
  // notifications for FF01 arrive typed as the bleservices JSON says
  dispatch(0, "ble.notification", [1, 0x11, "dd0300"]);
  assert.ok(seen.notifications[0] instanceof Uint8Array);
  ble.close();
  assert.deepEqual(takeOutbox().map((op) => op[0]), ["ble.close"]);
});

test("bleclient: a second discovery wipes the first (FF01 notifications dropped), ArrayBuffer-only writes, synchronous RSSI", () => {
  const seen: unknown[] = [];
  let device: import("./bleclient").Client | undefined;
  class Client extends BLEClient {
    override onConnected(d: import("./bleclient").Client) { device = d; }
    override onCharacteristicNotification(_c: unknown, value: unknown) { seen.push(value); }
  }
  const ble = new Client();
  dispatch(0, "ble.connected", [2, "33221138c1a4", 0]);
  dispatch(0, "ble.services", [2, [{ uuid: "00ff", start: 0x10, end: 0x1f }]]);
  dispatch(0, "ble.characteristics", [2, 0x10, [{ uuid: "01ff", handle: 0x11, properties: 0x12 }]]);
  const write = device!.services[0];
  write.discoverCharacteristic(uuid`FF02`); // clears FF01 from the routing table
  dispatch(0, "ble.characteristics", [2, 0x10, [{ uuid: "02ff", handle: 0x15, properties: 0x0c }]]);
  dispatch(0, "ble.notification", [2, 0x11, "dd"]);
  assert.equal(seen.length, 0);
  const ff02 = write.characteristics[0];
  assert.throws(() => ff02.writeWithoutResponse(new Uint8Array([1]) as unknown as ArrayBuffer), TypeError);
  ff02.writeWithoutResponse(new Uint8Array([0xdd]).buffer);
  let rssi: number | undefined;
  (ble as unknown as { onRSSI(d: unknown, r: number): void }).onRSSI = (_d, r) => { rssi = r; };
  device!.readRSSI();
  assert.equal(rssi, -61, "onRSSI ran inside readRSSI()");
  dispatch(0, "ble.disconnected", [2]);
  assert.throws(() => device!.close(), /connection not found/);
  ble.close();
  takeOutbox();
});

test("mqtt: throws before CONNACK, swallows handler exceptions, onClose has no reason and not after close()", () => {
  let closes = 0;
  const client = new MQTT({ host: "127.0.0.1", port: 1883, id: "t" });
  client.onMessage = () => { throw new Error("handler bug"); };
  client.onClose = (...args: unknown[]) => { closes++; assert.equal(args.length, 0); };
  assert.throws(() => client.publish("a", "b"), /connection closed/);
  assert.throws(() => new MQTT({} as never), /parameter host is required/);
  const id = (takeOutbox().find((op) => op[0] === "mqtt.open")![1]) as number;
  dispatch(0, "mqtt.connected", [id]);
  dispatch(0, "mqtt.ready", [id]);
  client.publish("a", "b", { retain: true });
  assert.doesNotThrow(() => dispatch(0, "mqtt.message", [id, "x", "00"]));
  assert.equal(takeOutbox().filter((op) => op[0] === "fatal").length, 0, "the SDK swallows it: no abort");
  dispatch(0, "mqtt.closed", [id]);
  assert.equal(closes, 1);
  const other = new MQTT({ host: "h" });
  other.onClose = () => { closes++; };
  other.close();
  const otherId = (takeOutbox().find((op) => op[0] === "mqtt.open")![1]) as number;
  dispatch(0, "mqtt.closed", [otherId]);
  assert.equal(closes, 1, "close() by the app never calls onClose");
});

test("preference: ESP32 NVS rules", () => {
  Preference.set("jbd", "pollInterval", 5);
  assert.equal(Preference.get("jbd", "pollInterval"), 5);
  assert.throws(() => Preference.set("jbd", "poll", 1.5), /float unsupported/);
  assert.throws(() => Preference.set("jbd", "aVeryLongKeyName", 1), /nvs/);
  assert.throws(() => Preference.set("jbd", "bytes", new Uint8Array(2) as unknown as ArrayBuffer), /unsupported type/);
});

test("timer: one-shots clear themselves; an exception escaping a callback is fatal, as on the device", () => {
  let fired = 0;
  const t = Timer.set(() => { fired++; throw new Error("boom"); }, 10);
  const setOp = takeOutbox().find((op) => op[0] === "timer.set")!;
  assert.equal(setOp[1], (t as unknown as { id: number }).id);
  const ops = dispatch(10, "timer", [setOp[1]]);
  assert.equal(fired, 1);
  assert.ok(ops.some((op) => op[0] === "fatal"), "reported as an escaped exception");
  dispatch(20, "timer", [setOp[1]]);
  assert.equal(fired, 1, "a one-shot does not fire twice");
});
