import { test } from "node:test";
import assert from "node:assert/strict";
import { Log, formatValue, DEBUG, WARN } from "../../modules/console/log";
import type { Logger } from "../../modules/link/logger";

test("levels filter, values are appended, sinks receive lines", () => {
  const lines: string[] = [];
  const log = new Log({ level: "info" });
  log.addSink((level, line) => lines.push(level + ":" + line));
  log.debug("hidden", 1);
  log.info("link: connected", "a4c138112233", -70);
  log.warn("mqtt: closed");
  log.error("bms: status", 0x80, new Error("refused"));
  assert.deepEqual(lines, [
    "2:I link: connected a4c138112233 -70",
    "1:W mqtt: closed",
    "0:E bms: status 128 Error: refused",
  ]);
  assert.deepEqual(log.counts, [1, 1, 1, 0]);
  assert.ok(log.setLevel("DEBUG"));
  assert.equal(log.level, DEBUG);
  assert.ok(!log.setLevel("verbose"));
  log.debug("shown");
  assert.equal(lines.at(-1), "3:D shown");
});

test("nothing is formatted when the level is off", () => {
  const log = new Log({ level: "error" });
  let formatted = 0;
  const value = { toJSON() { formatted++; return 1; } };
  log.info("x", value);
  log.warn("x", value);
  assert.equal(formatted, 0);
  assert.equal(log.level < WARN, true);
});

test("history keeps the last lines in order; timestamps from the clock", () => {
  let now = 12345;
  const log = new Log({ history: 3, now: () => now });
  for (let i = 1; i <= 5; i++) { log.info("n", i); now += 1000; }
  assert.deepEqual(log.recent(), ["    14.345 I n 3", "    15.345 I n 4", "    16.345 I n 5"]);
});

test("a throwing sink is ignored", () => {
  const log = new Log();
  log.addSink(() => { throw new Error("uart"); });
  const seen: string[] = [];
  log.addSink((_, l) => seen.push(l));
  log.info("still here");
  assert.deepEqual(seen, ["I still here"]);
});

test("value formatting", () => {
  assert.equal(formatValue(new Uint8Array([0xdd, 0x03, 0x00])), "dd0300");
  assert.equal(formatValue(new Uint8Array(70).buffer).endsWith("…(70 bytes)"), true);
  assert.equal(formatValue({ a: 1 }), '{"a":1}');
  assert.equal(formatValue(null), "null");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(formatValue(cyclic), "[object Object]");
});

test("Log satisfies the link's Logger interface", () => {
  const logger: Logger = new Log();
  logger.info("ok", 1);
});
