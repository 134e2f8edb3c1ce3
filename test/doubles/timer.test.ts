// The timer double keeps modTimer's lifetimes (modules/base/timer/modTimer.c, mc/timer.c).
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, dispatch, takeOutbox } from "./runtime";
import Timer from "./timer";

attachHost(() => null);

function setOpOf(id: number) {
  return takeOutbox().filter((op) => op[1] === id);
}

test("timer: a one-shot re-armed inside its own callback is removed when the callback returns", () => {
  let fired = 0;
  const t = Timer.set((timer) => { fired++; Timer.schedule(timer, 50); }, 10) as { id: number };
  takeOutbox();
  const ops = dispatch(10, "timer", [t.id]);
  assert.equal(fired, 1);
  // the re-arm was posted, then dropped with the timer (xs_timer_callback empties the handle)
  assert.deepEqual(ops.map((op) => op[0]), ["timer.set", "timer.clear"]);
  assert.throws(() => Timer.schedule(t, 10), /C: xsGetHostData: invalid host data/);
  assert.doesNotThrow(() => Timer.clear(t)); // clear on an emptied handle is silent
  dispatch(60, "timer", [t.id]);
  assert.equal(fired, 1);
});

test("timer: a repeating timer re-armed in its callback lives on; an unscheduled one can be armed again", () => {
  let fired = 0;
  const t = Timer.repeat((timer) => { fired++; Timer.schedule(timer, 5, 100); }, 100) as { id: number };
  takeOutbox();
  const ops = [...dispatch(100, "timer", [t.id]), ...dispatch(105, "timer", [t.id])];
  assert.equal(fired, 2);
  Timer.schedule(t);
  ops.push(...setOpOf(t.id));
  assert.deepEqual(ops.map((op) => op[0]), ["timer.set", "timer.set", "timer.clear"]);
  dispatch(300, "timer", [t.id]); // a tick the host had queued before the unschedule
  assert.equal(fired, 2);
  Timer.schedule(t, 10);
  dispatch(310, "timer", [t.id]);
  assert.equal(fired, 3);
  Timer.clear(t);
});
