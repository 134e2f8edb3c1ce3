// A Timeout's callback is a boundary: an exception thrown in it would escape the SDK's timer callback,
// abort XS and reboot the ESP32 (the doubles' runtime posts "fatal" for it); Timeout catches it and
// reports it to the log main() names, or to `trace` before that.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, dispatch, takeOutbox } from "../doubles/runtime";
import { Timeout, reportTimeoutErrorsTo } from "../../modules/platform/timeout";
import { TestLog } from "../bridge/helpers";

attachHost(() => null);

/** The double's timer behind a Timeout, and the delay it was armed with. */
function armed(): { id: number; delay: number } {
  const set = takeOutbox().filter((op) => op[0] === "timer.set").at(-1);
  assert.ok(set, "the Timeout armed its timer");
  return { id: set[1] as number, delay: set[2] as number };
}

test("an exception thrown by a Timeout's callback is caught and logged, not fatal; the Timeout works on", () => {
  const log = new TestLog();
  reportTimeoutErrorsTo(log);
  let fired = 0;
  const timeout = new Timeout(() => { fired++; if (fired === 1) throw new Error("boom"); });
  takeOutbox();
  timeout.start(100);
  const first = armed();
  assert.equal(first.delay, 100);
  const ops = dispatch(100, "timer", [first.id]);
  assert.equal(fired, 1);
  assert.deepEqual(ops.filter((op) => op[0] === "fatal"), [], "nothing escaped the callback");
  assert.ok(log.lines.some((line) => /timer callback:.*boom/.test(line)), log.lines.join("\n"));
  assert.equal(timeout.armed, false);
  timeout.start(50);
  const second = armed();
  assert.equal(second.delay, 50);
  dispatch(150, "timer", [second.id]);
  assert.equal(fired, 2, "armed again and fired again");
  timeout.close();
});
