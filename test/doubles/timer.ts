// Double of the Moddable "timer" module, run by the host's clock (virtual or real).
// Semantics from the SDK: set(cb) = next turn, set(cb, ms) = one-shot, set(cb, ms, repeat) =
// repeating; schedule(t) with no interval unschedules but keeps the timer; callbacks get the timer.
import { on, post } from "./runtime";

type Callback = (timer: TimerId) => void;
export interface TimerId { readonly id: number }
/** The name our declarations (types/timer.d.ts) give the handle. */
export type TimerID = TimerId;

interface Entry { timer: TimerId; callback: Callback; repeat: number }

const live = new Map<number, Entry>();
let nextId = 1;

on("timer", (id: number) => {
  const entry = live.get(id);
  if (!entry) return; // cleared after the host had already queued the tick
  if (!entry.repeat) live.delete(id);
  entry.callback(entry.timer);
});

function arm(entry: Entry, initial: number, repeat: number): void {
  entry.repeat = repeat;
  live.set(entry.timer.id, entry);
  post("timer.set", entry.timer.id, initial, repeat);
}

const Timer = {
  set(callback: Callback, initial = 0, repeat = 0): TimerId {
    const entry: Entry = { timer: { id: nextId++ }, callback, repeat: 0 };
    arm(entry, initial, repeat);
    return entry.timer;
  },
  repeat(callback: Callback, interval: number): TimerId {
    return Timer.set(callback, interval, interval);
  },
  schedule(timer: TimerId, initial?: number, repeat = 0): void {
    const entry = findEntry(timer);
    if (!entry) throw new Error("timer not found");
    if (initial === undefined) {
      post("timer.clear", timer.id);
      live.delete(timer.id);
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
    post("timer.clear", timer.id);
  },
  delay(_ms: number): void { throw new Error("Timer.delay blocks the event loop: not used by the firmware"); },
};

// Unscheduled timers keep their callback so schedule() can re-arm them.
const parked = new Map<number, Entry>();
function findEntry(timer: TimerId): Entry | undefined { return live.get(timer.id) ?? parked.get(timer.id); }

export default Timer;
