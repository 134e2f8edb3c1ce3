// The mqtt double is as strict as the SDK's mqtt.js over an ESP32's lwIP socket (each behaviour
// from modules/network/mqtt/mqtt.js and modules/network/socket/lwip/modSocket.c, see
// /work/notes/fidelity-mqtt.md). A tiny host here records what the double posts and plays the
// network's events.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, dispatch, takeOutbox, type HostOp } from "./runtime";
import MQTT from "./mqtt";
import SecureSocket from "./securesocket";
import { TCP_SND_BUF, TLS_RESERVE, TLS_RECORD_OVERHEAD } from "./lwip-socket";

attachHost(() => null);
let now = 0;
const posted: HostOp[] = [];
const timers = new Map<number, number>(); // id -> repeat
function collect(ops: HostOp[]): HostOp[] {
  for (const op of ops) {
    if (op[0] === "timer.set") timers.set(op[1] as number, op[3] as number);
    if (op[0] === "timer.clear") timers.delete(op[1] as number);
  }
  posted.push(...ops);
  return ops;
}
const event = (kind: string, ...args: unknown[]) => collect(dispatch(now, kind, args));
/** Fire every armed timer once (the next turn). */
function turn(): HostOp[] {
  const out: HostOp[] = [];
  for (const [id, repeat] of [...timers]) { if (!repeat) timers.delete(id); out.push(...event("timer", id)); }
  return out;
}
const ops = (name: string) => { collect(takeOutbox()); return posted.filter((op) => op[0] === name); };

/** A client through CONNACK: [client, its id]. */
function connected(options: Record<string, unknown> = {}): [MQTT, number] {
  const client = new MQTT({ host: "broker", id: "gw", ...options });
  const id = collect(takeOutbox()).find((op) => op[0] === "mqtt.open")![1] as number;
  event("mqtt.connected", id);
  event("mqtt.ready", id);
  return [client, id];
}

test("publish: one packet sized as mqtt.js builds it, refused with \"can't write all data\" when it does not fit the 8192-byte buffer", () => {
  const [client, id] = connected();
  const connect = ops("mqtt.connect").at(-1)!;
  assert.equal(connect[2], 1 + 1 + 10 + 2 + 2, "CONNECT: header, length, variable header, client id");
  const free = client.sendBufferFree;
  assert.equal(free, TCP_SND_BUF - (connect[2] as number));
  client.publish("a/b", "xy");
  assert.equal(ops("mqtt.publish").at(-1)![6], 1 + 1 + 2 + 3 + 2);
  // exactly what is left fits; one byte more does not, and nothing is sent
  const left = client.sendBufferFree, topic = "t";
  const body = "p".repeat(left - (1 + 2 + 2 + topic.length));
  const before = ops("mqtt.publish").length;
  assert.throws(() => client.publish(topic, body + "p"), /can't write all data/);
  assert.equal(collect(takeOutbox()).length, 0, "nothing posted for a refused write");
  client.publish(topic, body);
  assert.equal(client.sendBufferFree, 0);
  assert.throws(() => client.subscribe("x"), /can't write all data/, "subscribe writes through the same buffer");
  assert.equal(ops("mqtt.publish").length, before + 1);
  // space comes back only with the broker's acknowledgement
  turn();
  assert.throws(() => client.publish("t", "1"), /can't write all data/, "a new turn alone frees nothing");
  event("mqtt.acked", id, 100);
  client.publish("t", "1");
  client.close();
});

test("payloads: an ArrayBuffer is sent as bytes, anything else as its string; UTF-8 counted; QoS adds a packet id", () => {
  const [client] = connected();
  client.publish("t", Uint8Array.of(0xff, 0).buffer);
  assert.deepEqual(ops("mqtt.publish").at(-1)!.slice(3, 5), [{ hex: "ff00" }, false]);
  client.publish("t", Uint8Array.of(1, 2) as unknown as ArrayBuffer);
  assert.equal(ops("mqtt.publish").at(-1)![3], "1,2", "a typed array is stringified");
  client.publish("t", 42 as unknown as string, { retain: true });
  assert.deepEqual(ops("mqtt.publish").at(-1)!.slice(3, 5), ["42", true]);
  client.publish("t", "°");
  assert.equal(ops("mqtt.publish").at(-1)![6], 1 + 1 + 2 + 1 + 2, "° is two UTF-8 bytes");
  client.publish("t", "x", { quality: 1 });
  assert.equal(ops("mqtt.publish").at(-1)![6], 1 + 1 + 2 + 1 + 2 + 1);
  client.publish("t", "x".repeat(200));
  assert.equal(ops("mqtt.publish").at(-1)![6], 1 + 2 + 2 + 1 + 200, "two remaining-length bytes from 128 on");
  client.close();
});

test("CONNACK allows publish at once, but onReady and onMessage run from a later Timer batch; every exception is swallowed; close() ends the batch", () => {
  const client = new MQTT({ host: "broker" });
  const id = collect(takeOutbox()).find((op) => op[0] === "mqtt.open")![1] as number;
  const calls: string[] = [];
  client.onReady = () => { calls.push("ready"); throw new Error("bug in onReady"); };
  client.onMessage = (topic: string, data: ArrayBuffer) => {
    calls.push(topic + ":" + new Uint8Array(data).length);
    if (topic === "boom") throw new Error("bug in onMessage");
    if (topic === "close") client.close();
  };
  event("mqtt.connected", id);
  assert.throws(() => client.publish("t", "x"), /connection closed/, "state 1 until CONNACK");
  event("mqtt.ready", id);
  assert.deepEqual(calls, [], "onReady is deferred");
  client.publish("t", "early"); // state 2 already
  for (const topic of ["boom", "a", "close", "never"]) event("mqtt.message", id, topic, "0102");
  const fatal = turn().filter((op) => op[0] === "fatal");
  assert.deepEqual(calls, ["ready", "boom:2", "a:2", "close:2"], "retained or live: two arguments, in order, the rest dropped after close()");
  assert.equal(fatal.length, 0, "swallowed");
  const bare = new MQTT({ host: "broker" });
  const bareId = collect(takeOutbox()).find((op) => op[0] === "mqtt.open")![1] as number;
  event("mqtt.connected", bareId);
  event("mqtt.ready", bareId);
  assert.equal(turn().filter((op) => op[0] === "fatal").length, 0, "no onReady at all: mqtt.js calls it anyway, the TypeError is swallowed");
  bare.close();
});

test("a failed socket drops writes silently until JavaScript hears of it; then onClose() without arguments, and no DISCONNECT", () => {
  const [client, id] = connected();
  let closes = 0;
  client.onClose = (...args: unknown[]) => { closes++; assert.equal(args.length, 0); };
  event("mqtt.failed", id);
  const before = posted.length;
  client.publish("t", "x".repeat(9000)); // would not fit; the SDK does not even look
  client.publish("t", "y");
  assert.equal(collect(takeOutbox()).length, 0);
  assert.equal(posted.length, before, "dropped, without a word");
  event("mqtt.closed", id);
  assert.equal(closes, 1);
  assert.equal(ops("mqtt.close").filter((op) => op[1] === id).length, 0, "the socket is gone: no DISCONNECT, no close op");
  assert.throws(() => client.publish("t", "z"), /connection closed/);
  client.close();
  event("mqtt.closed", id);
  assert.equal(closes, 1, "once");
});

test("close(): DISCONNECT unless immediate, and none when it does not fit (the broker then sends the will); never onClose", () => {
  const [a] = connected();
  a.onClose = () => assert.fail("no onClose for the app's own close()");
  a.close();
  assert.equal(ops("mqtt.close").at(-1)![2], false, "DISCONNECT written");
  const [b] = connected();
  b.close(true);
  assert.equal(ops("mqtt.close").at(-1)![2], true);
  const [c] = connected();
  c.publish("t", "f".repeat(c.sendBufferFree - 6));
  assert.equal(c.sendBufferFree, 0);
  c.close();
  assert.equal(ops("mqtt.close").at(-1)![2], true, "DISCONNECT refused: the socket closes without it");
  assert.throws(() => c.publish("t", "x"), /connection closed/);
});

test("keep-alive: PINGREQ every ~3/4 T; no PINGRESP for 1.5 T ends the connection (onClose, then DISCONNECT); a refused PINGREQ too", () => {
  now = 0;
  const [client, id] = connected({ timeout: 4000 });
  let closes = 0;
  client.onClose = () => { closes++; };
  const tick = () => { now += 1000; return turn(); };
  tick(); tick();
  assert.equal(ops("mqtt.ping").filter((op) => op[1] === id).length, 0, "not before 3/4 T - 500 ms");
  tick();
  assert.equal(ops("mqtt.ping").filter((op) => op[1] === id).length, 1);
  event("mqtt.pingresp", id);
  tick(); tick(); tick(); tick(); tick();
  assert.equal(closes, 0, "answered pings keep it up");
  for (let i = 0; i < 6 && !closes; i++) tick();
  assert.equal(closes, 1, "read time out");
  assert.equal(ops("mqtt.close").at(-1)![1], id);
  assert.equal(ops("mqtt.close").at(-1)![2], false, "fail() closes with a DISCONNECT: the broker drops the will");

  now = 0;
  const [full, fullId] = connected({ timeout: 4000 });
  let fullCloses = 0;
  full.onClose = () => { fullCloses++; };
  full.publish("t", "f".repeat(full.sendBufferFree - 6));
  for (let i = 0; i < 4 && !fullCloses; i++) { now += 1000; turn(); }
  assert.equal(fullCloses, 1, "write failed");
  assert.equal(ops("mqtt.ping").filter((op) => op[1] === fullId).length, 0);
  now = 0;
});

test("an exception thrown by onClose escapes (on the device the VM aborts and the ESP32 reboots)", () => {
  const [client, id] = connected();
  client.onClose = () => { throw new Error("bug in onClose"); };
  const out = event("mqtt.closed", id);
  assert.equal(out.filter((op) => op[0] === "fatal").length, 1);
});

test("through SecureSocket the records' overhead comes back with their acknowledgement: hundreds of publishes never fill the buffer", () => {
  const [client, id] = connected({ Socket: SecureSocket });
  event("mqtt.acked", id, ops("mqtt.connect").at(-1)![2] as number); // the CONNECT, and its record
  const free = client.sendBufferFree;
  assert.equal(free, TCP_SND_BUF);
  for (let i = 0; i < 400; i++) {
    client.publish("jbd/house/state", "{\"soc\":" + i + "}");
    // the host world acknowledges the MQTT packets it was told about, whole and in order
    event("mqtt.acked", id, 2 + 2 + "jbd/house/state".length + ("{\"soc\":" + i + "}").length);
  }
  assert.equal(client.sendBufferFree, free, "a leak of 29 bytes a record stalled a TLS connection after ~270 publishes");
  client.publish("t", "x");
  event("mqtt.acked", id, 3); // part of a packet: nothing of its record comes back yet
  assert.equal(client.sendBufferFree, free - 6 - TLS_RECORD_OVERHEAD + 3);
  event("mqtt.acked", id, 3); // the rest of it: its record's overhead too
  assert.equal(client.sendBufferFree, free);
  client.close();
});

test("through SecureSocket (TLS) a write must fit in the free space minus 128 bytes, and costs a record header more", () => {
  const [client] = connected({ Socket: SecureSocket });
  const free = client.sendBufferFree;
  client.publish("t", "x");
  assert.equal(client.sendBufferFree, free - (1 + 1 + 2 + 1 + 1) - TLS_RECORD_OVERHEAD);
  const left = client.sendBufferFree;
  const body = (n: number) => "p".repeat(n - (1 + 2 + 2 + 1));
  assert.throws(() => client.publish("t", body(left - TLS_RESERVE + 1)), /can't write all data/);
  client.publish("t", body(left - TLS_RESERVE));
  client.close();
});
