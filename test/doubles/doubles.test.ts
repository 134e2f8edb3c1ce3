// The doubles keep the Moddable SDK's sharp edges (../shared/moddable-platform.md): the firmware is
// only as safe as these are faithful. A tiny host records what they post.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, dispatch, takeOutbox, type HostOp } from "./runtime";
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

// BLE (bleclient, btutils): test/doubles/ble-record.test.ts

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
