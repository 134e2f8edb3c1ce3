// The publish pump (modules/bridge/pump.ts) on manual time, for what mutation testing left open:
// the per-turn budget spent exactly, a packet of exactly the largest size, payloads given as
// bytes, the retry schedule and its reset after a success, the outbox (order, its limit, offline),
// stop(), and a NextItem that throws. The connection is a stand-in whose socket refuses what does
// not fit, as lwIP does on the ESP32 (as in pump.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pump } from "../../modules/bridge/pump";
import { MqttStats, type MqttConnection } from "../../modules/bridge/mqtt-connection";
import { MAX_PACKET, SEND_BUFFER, publishBytes } from "../../modules/bridge/send-buffer";
import { TestLog } from "./helpers";
import { ManualTimers } from "./scripted-mqtt";

interface Sent { topic: string; at: number; bytes: number; payload: string | ArrayBuffer; retain: boolean }

/** An online connection whose socket has `free` bytes; `tries` records every publish attempt's time. */
function socket() {
  const sent: Sent[] = [];
  const tries: number[] = [];
  const stats = new MqttStats();
  const timers = new ManualTimers();
  const s = {
    free: SEND_BUFFER, online: true, sent, tries, stats, timers,
    connection: {
      get online() { return s.online; },
      stats,
      publish(topic: string, payload: string | ArrayBuffer, retain: boolean) {
        tries.push(timers.now);
        if (!s.online) return false;
        const bytes = publishBytes(topic, payload);
        if (bytes > s.free) { stats.publishFailures++; return false; }
        s.free -= bytes;
        sent.push({ topic, at: timers.now, bytes, payload, retain });
        return true;
      },
    } as unknown as MqttConnection,
  };
  return s;
}

/** A NextItem over a queue of [topic, payload]: each item until it is sent. */
function queued(items: Array<[string, string | ArrayBuffer]>, pump: () => Pump) {
  return () => {
    const item = items[0];
    if (!item) return 0;
    const sent = pump().send(item[0], item[1], true);
    if (sent > 0) items.shift();
    return sent;
  };
}

const text = (p: string | ArrayBuffer) => typeof p === "string" ? p : Buffer.from(p).toString();

test("a turn that spends its budget exactly (a quarter of the send buffer) ends there and waits a pace", () => {
  const s = socket(), log = new TestLog();
  const payload = "x".repeat(SEND_BUFFER / 8 - 6); // packet: 1 + 2 + 2 + 1 ("t") + payload = an eighth of the buffer
  assert.equal(publishBytes("t", payload), SEND_BUFFER / 8);
  const items: Array<[string, string]> = Array.from({ length: 6 }, () => ["t", payload]);
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.kick();
  s.timers.run(0);
  assert.deepEqual(s.sent.map((p) => p.at), [0, 0], "two packets, exactly the budget, in the first turn");
  s.timers.run(49);
  assert.equal(s.sent.length, 2, "nothing more before the pace");
  s.timers.run(50);
  assert.deepEqual(s.sent.map((p) => p.at), [0, 0, 50, 50]);
});

test("kicks while a turn is already due make one turn, not one each", () => {
  const s = socket(), log = new TestLog();
  const items: Array<[string, string]> = Array.from({ length: 20 }, (_, i) => ["t/" + i, "y".repeat(500)]);
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.kick();
  pump.kick();
  pump.kick();
  assert.equal(s.timers.pending.length, 1, "one turn scheduled");
  s.timers.run(0);
  const first = s.sent.filter((p) => p.at === 0).reduce((a, p) => a + p.bytes, 0);
  assert.ok(first >= SEND_BUFFER / 4 && first < SEND_BUFFER / 4 + 510, `one budget in the first turn, got ${first} bytes`);
});

test("a packet of exactly the largest writable size is sent; one byte more is given up, with the sizes in the log", () => {
  const s = socket(), log = new TestLog();
  const fits = "f".repeat(MAX_PACKET - 6), tooBig = "g".repeat(MAX_PACKET - 5);
  assert.equal(publishBytes("t", fits), MAX_PACKET);
  const items: Array<[string, string]> = [["t", fits], ["u", tooBig]];
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.kick();
  s.timers.run(0);
  s.free = SEND_BUFFER;
  s.timers.run(1_000);
  assert.deepEqual(s.sent.map((p) => p.topic), ["t"], "the largest packet that can be written is written");
  assert.equal(s.stats.publishesTooLarge, 1);
  assert.deepEqual(log.errors, [`MQTT: a ${MAX_PACKET + 1}-byte packet can never be written (the ${SEND_BUFFER}-byte send buffer takes at most ${MAX_PACKET}), not sent:u`]);
  assert.equal(items.length, 0, "given up: the next item goes on");
});

test("payloads given as UTF-8 bytes are sized by their bytes: too large given up, the rest sent whole and in order", () => {
  const s = socket(), log = new TestLog();
  const big = new Uint8Array(MAX_PACKET).fill(0x61).buffer as ArrayBuffer;
  const small = new TextEncoder().encode("°".repeat(600)).buffer as ArrayBuffer; // 1200 bytes, 600 characters
  const items: Array<[string, string | ArrayBuffer]> = [["a", big], ["b", small], ["c", small], ["d", small]];
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.kick();
  s.timers.run(0);
  assert.equal(s.stats.publishesTooLarge, 1, "an ArrayBuffer of MAX_PACKET bytes does not fit with its header");
  assert.deepEqual(s.sent.map((p) => [p.topic, p.at, p.bytes]), [["b", 0, 1206], ["c", 0, 1206]], "the budget counts bytes, not characters");
  s.timers.run(50);
  assert.deepEqual(s.sent.map((p) => p.topic), ["b", "c", "d"]);
  assert.equal(text(s.sent[2].payload), "°".repeat(600));
});

test("after a refusal the same item is tried 100, 200, 400, 800, then every 1600 ms; a success starts that over", () => {
  const s = socket(), log = new TestLog();
  s.free = 0;
  const items: Array<[string, string]> = [["a", "1"], ["b", "2"]];
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.kick();
  s.timers.run(10_000);
  const waits = s.tries.slice(1).map((t, i) => t - s.tries[i]);
  assert.deepEqual(waits.slice(0, 7), [100, 200, 400, 800, 1600, 1600, 1600]);
  // space again: "a" goes at the next try, and then "b" meets a full socket: back to 100 ms
  s.free = publishBytes("a", "1");
  const before = s.tries.length;
  s.timers.run(20_000);
  assert.deepEqual(s.sent.map((p) => p.topic), ["a"]);
  const after = s.tries.slice(before);
  assert.equal(after[1] - after[0], 0, "b is tried in the same turn as a's success");
  assert.deepEqual(after.slice(2, 5).map((t, i) => t - after[i + 1]), [100, 200, 400], "the schedule starts over after a success");
});

test("the minute before giving up counts one item's refusals only: a success starts it over", () => {
  const s = socket(), log = new TestLog();
  s.free = 0;
  const items: Array<[string, string]> = [["a", "1"], ["b", "2"]];
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.kick();
  s.timers.run(50_000);
  s.free = publishBytes("a", "1"); // a goes; b is refused from then on
  s.timers.run(100_000);
  assert.deepEqual(s.sent.map((p) => p.topic), ["a"]);
  assert.equal(items.length, 1, "b still tried, 50 s after a was sent");
  assert.ok(!log.lines.some((l) => l.includes("skipped")), log.lines.join("\n"));
  s.timers.run(120_000);
  assert.equal(items.length, 0, "b given up once it has been refused for a minute");
  assert.ok(log.lines.includes("warn MQTT: publish refused for a minute, skipped:b"), log.lines.join("\n"));
});

test("the outbox: events go first, in order, without retain; when full the oldest are dropped and logged", () => {
  const s = socket(), log = new TestLog();
  const items: Array<[string, string]> = [["state", "s"]];
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  for (let i = 1; i <= 10; i++) pump.enqueue("ev/" + i, "e" + i);
  s.timers.run(0);
  assert.deepEqual(s.sent.map((p) => p.topic), ["ev/3", "ev/4", "ev/5", "ev/6", "ev/7", "ev/8", "ev/9", "ev/10", "state"]);
  assert.deepEqual(s.sent.map((p) => p.retain), [false, false, false, false, false, false, false, false, true]);
  assert.deepEqual(log.lines.filter((l) => l.startsWith("warn")), ["warn MQTT outbox full, dropped:ev/1", "warn MQTT outbox full, dropped:ev/2"]);
  assert.deepEqual(log.errors, []);
});

test("an event refused by a full socket stays first in the outbox and is retried", () => {
  const s = socket(), log = new TestLog();
  s.free = 0;
  const items: Array<[string, string]> = [["state", "s"]];
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.enqueue("ev/1", "e1");
  pump.enqueue("ev/2", "e2");
  s.timers.run(0);
  s.free = SEND_BUFFER;
  s.timers.run(100);
  assert.deepEqual(s.sent.map((p) => [p.topic, text(p.payload)]), [["ev/1", "e1"], ["ev/2", "e2"], ["state", "s"]]);
});

test("an event while offline is not sent, then or later (logged as not sent)", () => {
  const s = socket(), log = new TestLog();
  s.online = false;
  const pump: Pump = new Pump(s.connection, s.timers, log, () => 0);
  pump.enqueue("ev/1", "e1");
  assert.equal(s.timers.pending.length, 0);
  s.online = true;
  pump.kick();
  s.timers.run(1_000);
  assert.equal(s.sent.length, 0);
  assert.deepEqual(log.lines, ["debug MQTT offline, not sent:ev/1"]);
});

test("stop(): the outbox is dropped, the turn under way cancelled, and the retry schedule starts over", () => {
  const s = socket(), log = new TestLog();
  const items: Array<[string, string]> = [["state", "s"]];
  const pump: Pump = new Pump(s.connection, s.timers, log, queued(items, () => pump));
  pump.enqueue("ev/1", "e1");
  pump.stop();
  s.timers.run(1_000);
  assert.equal(s.sent.length, 0, "nothing from before the stop");

  s.free = 0;
  pump.enqueue("ev/2", "e2");
  s.timers.run(60_000); // refused for about a minute
  pump.stop();
  s.tries.length = 0;
  pump.kick();
  s.timers.run(90_000);
  assert.ok(!log.lines.some((l) => l.includes("skipped")), "a minute of refusals before the stop does not count after it");
  assert.deepEqual(s.tries.slice(1, 4).map((t, i) => t - s.tries[i]), [100, 200, 400], "the state, tried from 100 ms on again");
  s.free = SEND_BUFFER;
  s.timers.run(100_000);
  assert.deepEqual(s.sent.map((p) => p.topic), ["state"], "the event from before the stop is gone");
});

test("a NextItem that throws is logged, and the pump goes on at the next kick", () => {
  const s = socket(), log = new TestLog();
  let calls = 0;
  const pump: Pump = new Pump(s.connection, s.timers, log, () => {
    if (++calls === 1) throw new Error("owner bug");
    return calls === 2 ? pump.send("t", "ok", true) : 0;
  });
  pump.kick();
  s.timers.run(0);
  assert.deepEqual(log.errors, ["publish pump:Error: owner bug"]);
  pump.kick();
  s.timers.run(10);
  assert.deepEqual(s.sent.map((p) => p.topic), ["t"]);
});
