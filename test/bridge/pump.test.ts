// The pump against a socket that refuses what does not fit (as lwIP does on the ESP32), on manual
// time: per-turn budget, pacing, retries later each time without loss or reordering, and only a
// packet that can never fit given up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pump } from "../../modules/bridge/pump";
import { MqttStats, type MqttConnection } from "../../modules/bridge/mqtt-connection";
import { MAX_PACKET, SEND_BUFFER, publishBytes } from "../../modules/bridge/send-buffer";
import { TestLog } from "./helpers";
import { ManualTimers } from "./scripted-mqtt";

/** An online connection whose socket has `free` bytes, given back by ack(). */
function socket() {
  const sent: { topic: string; at: number; bytes: number }[] = [];
  const stats = new MqttStats();
  const s = {
    free: SEND_BUFFER, refusals: 0, sent, stats, timers: new ManualTimers(),
    connection: {
      online: true, stats,
      publish(topic: string, payload: string) {
        const bytes = publishBytes(topic, payload);
        if (bytes > s.free) { s.refusals++; stats.publishFailures++; return false; }
        s.free -= bytes;
        sent.push({ topic, at: s.timers.now, bytes });
        return true;
      },
    } as unknown as MqttConnection,
  };
  return s;
}

test("packet bytes as mqtt.js builds them: header, remaining length, topic length, UTF-8", () => {
  assert.equal(publishBytes("a/b", "on"), 1 + 1 + 2 + 3 + 2);
  assert.equal(publishBytes("t", "°"), 1 + 1 + 2 + 1 + 2, "° is two bytes");
  assert.equal(publishBytes("t", "x".repeat(200)), 1 + 2 + 2 + 1 + 200, "two length bytes from 128 on");
});

test("a turn hands the socket about a quarter of the send buffer, then waits a pace", () => {
  const s = socket(), log = new TestLog();
  let n = 0;
  const pump = new Pump(s.connection, s.timers, log, () => n < 40 ? (n++, pump.send("t/" + n, "x".repeat(300), true)) : 0);
  pump.kick();
  s.timers.run(0);
  const first = s.sent.filter((p) => p.at === 0).reduce((a, p) => a + p.bytes, 0);
  assert.ok(first >= SEND_BUFFER / 4 && first < SEND_BUFFER / 4 + 400, `first turn: ${first} bytes`);
  s.timers.run(49);
  assert.equal(s.sent.filter((p) => p.at > 0).length, 0, "nothing before the pace");
  s.free = SEND_BUFFER;
  s.timers.run(50);
  assert.ok(s.sent.some((p) => p.at === 50));
});

test("refused writes are retried, later each time, in order, and nothing is given up", () => {
  const s = socket(), log = new TestLog();
  const items = Array.from({ length: 30 }, (_, i) => "t/" + i);
  let next = 0;
  const pump = new Pump(s.connection, s.timers, log, () => {
    if (next >= items.length) return 0;
    const sent = pump.send(items[next], "y".repeat(700), true);
    if (sent > 0) next++;
    return sent;
  });
  pump.kick();
  // the broker acknowledges 64 bytes every 500 ms: a link so slow that an item waits seconds
  for (let t = 0; t <= 200_000; t += 500) { s.timers.run(t); s.free = Math.min(SEND_BUFFER, s.free + 64); }
  assert.deepEqual(s.sent.map((p) => p.topic), items, "every item, once, in order");
  assert.ok(s.refusals > 0 && s.stats.publishFailures === s.refusals, "refusals counted");
  assert.ok(!log.lines.some((l) => /skipped|never be written/.test(l)), log.lines.join("\n"));
});

test("only a packet larger than the send buffer can hold is given up, counted and logged; the next goes on", () => {
  const s = socket(), log = new TestLog();
  const queue = [["big", "z".repeat(MAX_PACKET)], ["small", "ok"]];
  const pump = new Pump(s.connection, s.timers, log, () => {
    const item = queue[0];
    if (!item) return 0;
    const sent = pump.send(item[0], item[1], true);
    if (sent > 0) queue.shift();
    return sent;
  });
  pump.kick();
  s.timers.run(1_000);
  assert.deepEqual(s.sent.map((p) => p.topic), ["small"]);
  assert.equal(s.stats.publishesTooLarge, 1);
  assert.ok(log.errors.some((l) => /never be written/.test(l)));
});

test("a write refused for a minute (a link that no longer drains) is skipped, so the rest is not stuck forever", () => {
  const s = socket(), log = new TestLog();
  s.free = 10;
  const queue = ["a", "b"];
  const pump = new Pump(s.connection, s.timers, log, () => {
    if (!queue.length) return 0;
    const sent = pump.send(queue[0], "payload", true);
    if (sent > 0) queue.shift();
    return sent;
  });
  pump.kick();
  s.timers.run(59_000);
  assert.equal(queue.length, 2, "still trying after 59 s");
  s.timers.run(61_700);
  assert.equal(queue.length, 1, "given up after a minute");
  assert.ok(log.lines.some((l) => /refused for a minute, skipped/.test(l)));
});

test("lastItem: the turn ends without asking again; an item marked during the send is still published, on a turn of its own", () => {
  const s = socket(), log = new TestLog();
  const asked: number[] = [];
  const queue = ["a"];
  let last = true;
  const pump = new Pump(s.connection, s.timers, log, () => {
    asked.push(s.timers.now);
    const topic = queue.shift();
    if (topic === undefined) return 0;
    const sent = pump.send(topic, "x", true);
    if (topic === "a") { queue.push("b"); pump.kick(); } // marked while its turn runs
    if (last) pump.lastItem();
    return sent;
  });
  pump.kick();
  s.timers.run(0);
  assert.deepEqual(s.sent.map((p) => p.topic), ["a", "b"], "b on the turn its kick set");
  assert.deepEqual(asked, [0, 0], "a (last), then on the kicked turn b (last), and nothing asked after either");
  // without lastItem the turn asks until nothing is left
  last = false;
  asked.length = 0;
  queue.push("c");
  pump.kick();
  s.timers.run(1);
  assert.deepEqual(s.sent.map((p) => p.topic), ["a", "b", "c"]);
  assert.equal(asked.length, 2, "c, then the call that finds nothing");
});

test("lastItem with results waiting in the outbox: they are still sent in the same turn", () => {
  const s = socket(), log = new TestLog();
  let marked = true;
  const pump = new Pump(s.connection, s.timers, log, () => {
    if (!marked) return 0;
    marked = false;
    const sent = pump.send("state", "x", true);
    pump.enqueue("result", "ok"); // an answer made while the item was sent
    pump.lastItem();
    return sent;
  });
  pump.kick();
  s.timers.run(0);
  assert.deepEqual(s.sent.map((p) => `${p.topic}@${p.at}`), ["state@0", "result@0"]);
});
