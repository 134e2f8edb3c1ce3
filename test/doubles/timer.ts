// Double of the Moddable "timer" module (modules/base/timer/modTimer.c, mc/timer.c), run by the
// host's clock (virtual or real). Semantics from the SDK source:
// - set(cb) = next turn, set(cb, ms) = one-shot, set(cb, ms, repeat) = repeating; callbacks get the timer;
// - schedule(t) with no interval unschedules but keeps the timer; schedule(t, ms[, repeat]) re-arms it;
// - a one-shot's handle stays valid during its own callback; when the callback returns with a repeat
//   interval of 0 the timer is removed (modTimersExecute) and the handle is emptied
//   (xs_timer_callback), even if the callback re-armed it with schedule(t, ms): that re-arm is lost;
// - schedule() on an emptied handle throws "C: xsGetHostData: invalid host data" (SyntaxError);
//   clear() on one is silent.
import { calledFromFirmware, fire } from "./meter-zone";
import { on, post, postOp, type HostOp } from "./runtime";
import { fireApart, isApart, later } from "./apart";

// In the RAM bench's apart mode: tells the host that this "timer" delivery ran the firmware (a one-shot
// it set), not only a double's own timer (mqtt.js's batch or keep-alive); made once, posting allocates nothing
const FIRMWARE_RAN: HostOp = Object.freeze(["host.firmware"]) as unknown as HostOp;

type Callback = (timer: TimerId) => void;
export interface TimerId { readonly id: number }
/** The name our declarations (types/timer.d.ts) give the handle. */
export type TimerID = TimerId;

// ours: set by the firmware, not by another double (mqtt.js's keepalive): which zone its callback is charged to
interface Entry { timer: TimerId; callback: Callback; repeat: number; ours: boolean }

const live = new Map<number, Entry>();
let nextId = 1;

on("timer", (id: number) => {
  const entry = live.get(id);
  if (!entry) return; // cleared after the host had already queued the tick
  try {
    // the firmware's callback of a repeating timer: in the RAM bench's apart mode in the next delivery
    // (apart.ts); a one-shot's runs now, so that a re-arm inside it is dropped with the timer as here
    if (entry.ours && entry.repeat !== 0) fireApart(entry.callback, entry, entry.timer);
    else if (entry.ours) {
      if (isApart()) postOp(FIRMWARE_RAN);
      fire(entry.callback, entry, entry.timer);
    }
    else entry.callback(entry.timer);
  } finally {
    if (entry.repeat === 0 && live.get(id) === entry) {
      live.delete(id);
      post("timer.clear", id); // a re-arm made inside the callback is dropped with the timer
    }
  }
});

function arm(entry: Entry, initial: number, repeat: number): void {
  entry.repeat = repeat;
  live.set(entry.timer.id, entry);
  // the host's copy: in the RAM bench's apart mode in a delivery of its own (apart.ts)
  if (!later(postSet, entry.timer.id, initial, repeat)) postSet(entry.timer.id, initial, repeat);
}

function postSet(id: unknown, initial: unknown, repeat: unknown): void { post("timer.set", id, initial, repeat); }
function postClear(id: unknown): void { post("timer.clear", id); }

function create(callback: Callback, initial: number, repeat: number): TimerId {
  const entry: Entry = { timer: { id: nextId++ }, callback, repeat: 0, ours: calledFromFirmware() };
  arm(entry, initial, repeat);
  return entry.timer;
}

const Timer = {
  set(callback: Callback, initial = 0, repeat = 0): TimerId { return create(callback, initial, repeat); },
  repeat(callback: Callback, interval: number): TimerId { return create(callback, interval, interval); },
  schedule(timer: TimerId, initial?: number, repeat = 0): void {
    const entry = findEntry(timer);
    if (!entry) throw new SyntaxError("C: xsGetHostData: invalid host data");
    if (initial === undefined) {
      if (!later(postClear, timer.id)) postClear(timer.id);
      live.delete(timer.id);
      entry.repeat = -1; // modTimerUnschedule: kept, not removed after its callback
      parked.set(timer.id, entry);
      return;
    }
    parked.delete(timer.id);
    arm(entry, initial, repeat);
  },
  clear(timer: TimerId | undefined | null): void {
    if (!timer) return;
    live.delete(timer.id);
    parked.delete(timer.id);
    if (!later(postClear, timer.id)) postClear(timer.id);
  },
  delay(_ms: number): void { throw new Error("Timer.delay blocks the event loop: not used by the firmware"); },
};

// Unscheduled timers keep their callback so schedule() can re-arm them.
const parked = new Map<number, Entry>();
function findEntry(timer: TimerId): Entry | undefined { return live.get(timer.id) ?? parked.get(timer.id); }

export default Timer;
