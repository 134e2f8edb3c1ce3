// The logger's edges the other log tests leave open (found by mutation testing): each level
// against each threshold, every value type, a byte dump's cut at 64 bytes, the history ring when
// full, sinks removed, the trace sink.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEBUG, ERROR, INFO, Log, WARN, formatValue, traceSink } from "../../modules/console/log";

test("each level against each threshold, counted per level", () => {
  for (const [name, threshold] of [["error", ERROR], ["warn", WARN], ["info", INFO], ["debug", DEBUG]] as const) {
    const log = new Log({ level: name, history: 8 });
    assert.equal(log.levelName, name);
    log.error("e"); log.warn("w"); log.info("i"); log.debug("d");
    const want = ["E e", "W w", "I i", "D d"].slice(0, threshold + 1);
    assert.deepEqual(log.recent(), want, name);
    assert.deepEqual(log.counts, [0, 1, 2, 3].map((l) => (l <= threshold ? 1 : 0)), name);
    for (const level of [ERROR, WARN, INFO, DEBUG]) assert.equal(log.enabled(level), level <= threshold, `${name} enables ${level}`);
  }
  assert.equal(new Log().levelName, "info", "info by default");
  assert.equal(new Log({ level: "verbose" as "info" }).levelName, "info", "an unknown level name means info");
  const log = new Log();
  assert.equal(log.setLevel("DEBUG"), true);
  assert.equal(log.levelName, "debug");
  assert.equal(log.setLevel("loud"), false);
  assert.equal(log.levelName, "debug", "unchanged by a bad name");
});

test("every kind of value", () => {
  assert.equal(formatValue("text"), "text");
  assert.equal(formatValue(12.5), "12.5");
  assert.equal(formatValue(false), "false");
  assert.equal(formatValue(10n), "10");
  assert.equal(formatValue(undefined), "undefined");
  assert.equal(formatValue(() => 1), "[function]");
  assert.equal(formatValue(Symbol("s")), "Symbol(s)");
  assert.equal(formatValue(null), "null");
  assert.equal(formatValue(new RangeError("bad")), "RangeError: bad");
  assert.equal(formatValue(new TypeError("")), "TypeError");
  assert.equal(formatValue({ a: [1, "x"] }), '{"a":[1,"x"]}');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(formatValue(cyclic), "[object Object]");
  assert.equal(formatValue(new Uint8Array([0x00, 0xab, 0x0f])), "00ab0f");
  assert.equal(formatValue(new Uint8Array([0xde, 0xad]).buffer), "dead");
  assert.equal(formatValue(new Uint8Array(64).fill(0x11)), "11".repeat(64));
  assert.equal(formatValue(new Uint8Array(65).fill(0x11)), "11".repeat(64) + "…(65 bytes)");
});

test("values after the message, the third one too; undefined ones left out", () => {
  const log = new Log({ level: "debug" });
  log.info("m", 1, 2, 3);
  log.info("m", undefined, 2);
  log.info("m", 1, undefined, 3);
  log.info("m", 1, 2, undefined);
  assert.deepEqual(log.recent(), ["I m 1 2 3", "I m 2", "I m 1 3", "I m 1 2"]);
});

test("the history ring keeps the newest lines in order; 0 keeps none", () => {
  const log = new Log({ history: 3 });
  for (let i = 1; i <= 3; i++) log.info("l" + i);
  assert.deepEqual(log.recent(), ["I l1", "I l2", "I l3"], "exactly full");
  for (let i = 4; i <= 7; i++) log.info("l" + i);
  assert.deepEqual(log.recent(), ["I l5", "I l6", "I l7"]);
  const none = new Log({ history: 0 });
  const lines: string[] = [];
  none.addSink((_, line) => lines.push(line));
  none.info("x");
  assert.deepEqual(none.recent(), []);
  assert.deepEqual(lines, ["I x"], "sinks still get it");
});

test("every sink gets each line with its level; a removed one no more; removing an unknown one is harmless", () => {
  const log = new Log();
  const a: string[] = [], b: string[] = [];
  const sa = (level: number, line: string) => a.push(level + line), sb = (level: number, line: string) => b.push(level + line);
  log.addSink(sa);
  log.addSink(sb);
  log.warn("one");
  log.removeSink(sa);
  log.removeSink(() => {});
  log.error("two");
  assert.deepEqual(a, ["1W one"]);
  assert.deepEqual(b, ["1W one", "0E two"]);
});

test("timestamps: seconds and milliseconds since boot; a failing clock stamps zero", () => {
  let ms = 12_345;
  const log = new Log({ now: () => ms });
  log.info("a");
  ms = 7;
  log.info("b");
  const broken = new Log({ now: () => { throw new Error("no clock"); } });
  broken.info("c");
  assert.deepEqual(log.recent(), ["    12.345 I a", "     0.007 I b"]);
  assert.deepEqual(broken.recent(), ["     0.000 I c"]);
});

test("traceSink writes through the global trace when there is one", () => {
  const g = globalThis as { trace?: (...values: unknown[]) => void };
  const saved = g.trace;
  const seen: unknown[][] = [];
  try {
    g.trace = (...values) => seen.push(values);
    traceSink(INFO, "I hello");
    delete g.trace;
    traceSink(INFO, "I nobody listens");
  } finally { if (saved) g.trace = saved; }
  assert.deepEqual(seen, [["I hello", "\n"]]);
});
