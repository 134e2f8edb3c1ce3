// Piped standard input typed at the console like a person would: after the boot settles, one
// line at a time, each once its answer has ended with the prompt; then a linger and the end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { SharedTerminal } from "../../scripts/lib/terminal";
import { PipedConsole } from "../../scripts/lib/piped-console";

function rig(options: { lingerMs?: number; maxWaitMs?: number } = {}) {
  const clock = new VirtualClock();
  const terminal = new SharedTerminal({ write: () => {} }, false);
  const typed: string[] = [];
  let done = false;
  const piped = new PipedConsole({
    prompt: "jbd> ", tail: () => terminal.tail, type: (t) => typed.push(t), onDone: () => { done = true; },
    lingerMs: options.lingerMs ?? 2000, maxWaitMs: options.maxWaitMs ?? 90_000, settleMs: 1000, maxSettleMs: 10_000,
    setTimer: (fn, ms) => clock.setTimeout(fn, ms), clearTimer: (h) => clock.clearTimeout(h as number), now: () => clock.now(),
  });
  const serial = (text: string) => { terminal.serial(text); piped.serial(text); };
  return { clock, piped, serial, typed, done: () => done };
}

test("piped console: nothing is typed before the boot has settled at the prompt", () => {
  const r = rig();
  r.piped.push("status\nstats\n");
  assert.deepEqual(r.typed, []);
  r.serial("jbd-gateway 0.1.0\r\njbd> ");
  r.clock.advance(500);
  r.serial("\r\x1b[K     0.500 I BLE ready\r\njbd> "); // a log line redraws the prompt: still booting
  r.clock.advance(999);
  assert.deepEqual(r.typed, []);
  r.clock.advance(1);
  assert.deepEqual(r.typed, ["status\r"]);
});

test("piped console: output queued before the echo is not the answer; the next line waits for the prompt", () => {
  const r = rig();
  r.piped.push("scan 2\nstats\n");
  r.serial("jbd> ");
  r.clock.advance(1000);
  assert.deepEqual(r.typed, ["scan 2\r"]);
  r.serial("\r\x1b[K     1.2 I MQTT connected\r\njbd> "); // was on its way before the line arrived
  assert.deepEqual(r.typed, ["scan 2\r"]);
  r.serial("scan 2\r\nscanning for 2 s...\r\n");
  r.serial("     3.0 I a log line while busy\r\n"); // busy: no prompt drawn
  r.clock.advance(2000);
  assert.deepEqual(r.typed, ["scan 2\r"]);
  r.serial("  A4:C1:38:5A:00:01   -55 dBm  xiaoxiang BMS\r\n1 device(s) seen\r\njbd> ");
  assert.deepEqual(r.typed, ["scan 2\r", "stats\r"]);
});

test("piped console: at the end of input the last line (even without a line break) is answered, then a linger, then done", () => {
  const r = rig({ lingerMs: 2000 });
  r.serial("jbd> ");
  r.clock.advance(1000);
  r.piped.push("stat");
  assert.deepEqual(r.typed, []);
  r.piped.end();
  assert.deepEqual(r.typed, ["stat\r"]);
  r.serial("stat\r\nunknown command 'stat' (try 'help')\r\njbd> ");
  r.clock.advance(1999);
  assert.equal(r.done(), false);
  r.clock.advance(1);
  assert.equal(r.done(), true);
  r.piped.push("more\n"); // after the end: ignored
  assert.deepEqual(r.typed, ["stat\r"]);
});

test("piped console: empty input ends after the boot settles and the linger; a never-ending answer is given up", () => {
  const empty = rig({ lingerMs: 500 });
  empty.piped.end();
  empty.serial("jbd> ");
  empty.clock.advance(1499);
  assert.equal(empty.done(), false);
  empty.clock.advance(1);
  assert.equal(empty.done(), true);

  const stuck = rig({ maxWaitMs: 5000, lingerMs: 100 });
  stuck.piped.push("hang\nstatus\n");
  stuck.piped.end();
  stuck.serial("jbd> ");
  stuck.clock.advance(1000);
  stuck.serial("hang\r\n"); // and never a prompt again
  stuck.clock.advance(4999);
  assert.deepEqual(stuck.typed, ["hang\r"]);
  stuck.clock.advance(1);
  assert.deepEqual(stuck.typed, ["hang\r", "status\r"]);
  stuck.serial("status\r\nuptime 0d\r\njbd> ");
  stuck.clock.advance(100);
  assert.equal(stuck.done(), true);
});

test("piped console: a TAB is echoed as a space, control bytes not at all", () => {
  const r = rig();
  r.piped.push("mos\thouse\x01 charge off\nstatus\n");
  r.serial("jbd> ");
  r.clock.advance(1000);
  r.serial("jbd> "); // stale prompt: not the answer
  assert.equal(r.typed.length, 1);
  r.serial("mos house charge off\r\nok\r\njbd> ");
  assert.deepEqual(r.typed, ["mos\thouse\x01 charge off\r", "status\r"]);
});

test("piped console: a console that never goes quiet gets the first line 10 s after its first prompt", () => {
  const r = rig();
  r.piped.push("status\n");
  r.serial("jbd> ");
  for (let t = 0; t < 24; t++) { r.clock.advance(400); r.serial("\r\x1b[K     debug line\r\njbd> "); } // to 9.6 s
  r.clock.advance(399);
  assert.deepEqual(r.typed, []);
  r.clock.advance(1); // 10 s after the first prompt, 0.4 s after the last output
  assert.deepEqual(r.typed, ["status\r"]);
});
