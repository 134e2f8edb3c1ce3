// The platform doubles (net, wifi, sntp, serial, preference) keep the SDK's sharp edges: each test
// names the SDK source it follows. A tiny host records what the doubles post.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, dispatch, takeOutbox, type HostOp } from "./runtime";
import Net from "./net";
import WiFi from "./wifi";
import SNTP from "./sntp";
import Serial, { FIFO_SIZE } from "./serial";
import Preference from "./preference";

const store = new Map<string, unknown>();
attachHost((op) => {
  switch (op[0]) {
    case "net.get": return op[1] === "MAC" ? "24:6F:28:A1:B2:C3" : null;
    case "wifi.scan": return [];
    case "pref.set": store.set(`${op[1]}/${op[2]}`, op[3]); return null;
    case "pref.get": return store.get(`${op[1]}/${op[2]}`) ?? null;
    case "pref.delete": store.delete(`${op[1]}/${op[2]}`); return null;
    case "pref.keys": return [...store.keys()].filter((k) => k.startsWith(`${op[1]}/`)).map((k) => k.slice(String(op[1]).length + 1));
    default: return null;
  }
});

const ops = (name: string, list: HostOp[]) => list.filter((op) => op[0] === name);
/** Deliver a host event; returns what the doubles posted while handling it. */
const ev = (time: number, kind: string, args: unknown[]) => dispatch(time, kind, args);

test("net/wifi: no MAC until Wi-Fi is initialised; the mode getter initialises nothing (modNet.c getNIF, xs6wifi.c)", () => {
  assert.equal(Net.get("MAC"), undefined, "nothing initialised Wi-Fi");
  assert.equal(WiFi.mode, -5, "gWiFiState <= 0 reads as off");
  assert.equal(Net.get("MAC"), undefined, "reading the mode does not initialise");
  const events: [string, number | undefined][] = [];
  const station = new WiFi(undefined, (message, code) => events.push([message, code]));
  WiFi.mode = WiFi.Mode.station;
  assert.equal(Net.get("MAC"), "24:6F:28:A1:B2:C3", "upper-case hex, as twoHex() writes it");
  assert.equal(WiFi.mode, 1);
  assert.equal(ops("wifi.init", takeOutbox()).length, 1);
  dispatch(5, "wifi.notify", ["start"]);
  assert.deepEqual(events, [["start", undefined]]);
  assert.throws(() => { WiFi.mode = 7; }, /invalid mode/);
  WiFi.mode = WiFi.Mode.off;
  assert.equal(Net.get("MAC"), undefined, "deinitialised: no interface again");
  assert.throws(() => WiFi.connect({ ssid: "é".repeat(17) }), /ssid too long - 32 bytes max/, "bytes, not characters");
  assert.notEqual(Net.get("MAC"), undefined, "connect() initialised Wi-Fi before checking its options");
  station.close();
  takeOutbox();
});

test("wifi: reason -1 for handshake failures and timeouts, kept until the next connect() (xs6wifi.c doWiFiEvent)", () => {
  const codes: (number | undefined)[] = [];
  const station = new WiFi(undefined, (message, code) => { if (message === "disconnect") codes.push(code); });
  WiFi.connect({ ssid: "ap", password: "secret" });
  dispatch(5, "wifi.notify", ["start"]);
  dispatch(10, "wifi.notify", ["connect"]);
  dispatch(20, "wifi.notify", ["disconnect", [15, 201]]); // a 4-way handshake timeout, then "no AP found"
  assert.deepEqual(codes, [-1], "the later reason does not clear it");
  dispatch(30, "wifi.notify", ["disconnect", [201]]);
  assert.deepEqual(codes, [-1, -1], "still -1: only connect() resets it");
  WiFi.connect({ ssid: "ap", password: "secret" });
  dispatch(40, "wifi.notify", ["disconnect", [201]]);
  assert.deepEqual(codes, [-1, -1, 0]);
  dispatch(50, "wifi.notify", ["disconnect", [204]]); // HANDSHAKE_TIMEOUT: weak signal, right password
  assert.equal(codes.at(-1), -1);
  station.close();
  dispatch(60, "wifi.notify", ["disconnect", [8]]);
  assert.equal(codes.length, 4, "a closed instance gets no callbacks");
  takeOutbox();
});

test("sntp: sntp.js retries, next host from the error callback, closes itself after a reply", () => {
  const messages: [number, unknown][] = [];
  const client = new SNTP({ host: "a.example" }, (message, value) => {
    messages.push([message, value]);
    if (message === SNTP.error && value === "cannot resolve a.example") return "b.example";
    return undefined;
  });
  let posted = takeOutbox();
  const id = ops("udp.open", posted)[0][1] as number;
  assert.deepEqual(ops("sntp.resolve", posted)[0], ["sntp.resolve", id, "a.example"]);
  posted = ev(2, "sntp.resolved", [id, "a.example", null]);
  assert.deepEqual(ops("sntp.resolve", posted)[0], ["sntp.resolve", id, "b.example"], "same socket, next host");
  dispatch(21, "udp.connected", [id]);
  assert.equal(ops("sntp.write", ev(30, "sntp.resolved", [id, "b.example", "203.0.113.1"])).length, 1);
  const timer = ops("timer.set", posted).at(-1)!; // rescheduled: 5 s from the new host
  assert.deepEqual(timer.slice(2), [5000, 5000]);
  const retried = ev(5030, "timer", [timer[1]]);
  assert.equal(ops("sntp.write", retried).length, 1, "the timer sends the request again");
  assert.deepEqual(messages.at(-1), [SNTP.retry, undefined]);
  ev(5060, "udp.posted", [id]);
  const read = ev(5061, "udp.readable", [id, 1_800_000_000]);
  assert.deepEqual(messages.at(-1), [SNTP.time, 1_800_000_000]);
  assert.equal(ops("udp.close", read).length, 1, "sntp.js closed its socket itself, inside its read callback");
  assert.match(String(ops("fatal", read)[0]?.[2]), /closed inside its own read callback/, "fatal on lin: the datagram is posted again");
  assert.throws(() => client.close(), /close on closed socket/, "lin: a second close throws");
});

test("sntp: a close while the lin socket still has a message queued is fatal (use after free in modSocket.c)", () => {
  const early = new SNTP({ host: "a.example" }, () => undefined);
  takeOutbox();
  early.close(); // its "connected" message is still queued
  assert.match(String(ops("fatal", takeOutbox())[0]?.[2]), /use after free/);

  const failing = new SNTP({ host: "a.example" }, () => undefined); // no next host: sntp.js closes itself
  const id = ops("udp.open", takeOutbox())[0][1] as number;
  const failed = ev(2, "sntp.resolved", [id, "a.example", null]); // DNS failed at once, 19 ms before "connected"
  assert.equal(ops("fatal", failed).length, 1, "the SDK's own close after the last error crashes mcsim too");
  void failing;

  const settled = new SNTP({ host: "a.example" }, () => undefined);
  const id2 = ops("udp.open", takeOutbox())[0][1] as number;
  ev(21, "udp.connected", [id2]);
  ev(40, "udp.posted", [id2]); // a datagram is queued...
  settled.close(); // ...and the socket is closed before it is read
  assert.equal(ops("fatal", takeOutbox()).length, 1);
});

test("serial: only the 128-byte FIFO holds input while JavaScript is busy; the rest is lost silently (serial.c)", () => {
  const counts: number[] = [];
  const uart = new Serial({ baud: 115200, onReadable: (count) => counts.push(count) });
  takeOutbox();
  const pasted = Buffer.from("x".repeat(300));
  const posted = ev(0, "serial.input", [pasted.toString("hex")]);
  assert.deepEqual(counts, [FIFO_SIZE]);
  assert.deepEqual(ops("serial.dropped", posted), [["serial.dropped", 300 - FIFO_SIZE]]);
  assert.equal(uart.read()!.byteLength, FIFO_SIZE);
  assert.equal(uart.read(), undefined);
  dispatch(1, "serial.input", ["61"]);
  assert.equal(new Uint8Array(uart.read()!)[0], 0x61, "read between events: nothing lost");
  assert.equal(uart.read(0), undefined, "an empty FIFO answers before the count is checked");
  ev(2, "serial.input", ["62"]);
  assert.throws(() => uart.read(0), /invalid/);
  uart.close();
  takeOutbox();
});

test("preference: modPreference.c texts and NVS limits", () => {
  assert.throws(() => Preference.set("a-domain-of-16ch", "k", 1), /^Error: nvs_open fail$/);
  assert.throws(() => Preference.set("jbd", "sixteen-chars-ky", 1), /^Error: nvs set fail$/);
  assert.throws(() => Preference.set("jbd", "k".repeat(64), 1), (e: Error) => e instanceof RangeError && e.message === "cannot buffer string");
  assert.throws(() => Preference.set("jbd", "k", 1.5), /float unsupported/);
  assert.throws(() => Preference.set("jbd", "k", 2 ** 31), /float unsupported/, "not an int32");
  assert.throws(() => Preference.set("jbd", "k", new Uint8Array(2) as unknown as ArrayBuffer), /unsupported type/);
  assert.throws(() => Preference.set("jbd", "k", undefined as unknown as string), /unsupported type/);
  assert.throws(() => Preference.set("jbd", "k", "é".repeat(2000)), /nvs set fail/, "4000 bytes with the terminating zero");
  Preference.set("jbd", "k", "x".repeat(3999));
  assert.equal((Preference.get("jbd", "k") as string).length, 3999);
  Preference.set("jbd", "flag", true);
  assert.equal(Preference.get("jbd", "flag"), true);
  assert.equal(Preference.get("a-domain-of-16ch", "k"), undefined, "get: a domain NVS cannot open is undefined");
  assert.throws(() => Preference.get("jbd", "sixteen-chars-ky"), /^Error: nvs get fail$/);
  assert.doesNotThrow(() => Preference.delete("a-domain-of-16ch", "k"), "delete: silently nothing");
  assert.throws(() => Preference.delete("jbd", "sixteen-chars-ky"), /^Error: nvs erase fail$/);
  assert.doesNotThrow(() => Preference.delete("jbd", "missing"));
  assert.deepEqual(Preference.keys("a-domain-of-16ch"), [], "keys never throws");
  assert.deepEqual(Preference.keys("jbd").sort(), ["flag", "k"]);
});
