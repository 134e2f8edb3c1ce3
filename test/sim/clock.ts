// Host-side time for the simulated world: virtual (tests, soak) or real (npm start).
// Everything on the host that takes time (BMS reply latency, BLE connects, firmware timers)
// is scheduled through a Clock, so a 48-hour soak runs in seconds on a VirtualClock.

export type TimerHandle = number;

export interface Clock {
  /** Milliseconds since the clock started. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

interface Entry { id: number; at: number; seq: number; fn: () => void }

/** Deterministic clock: time only moves when advance()/runUntil() say so. */
export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  #nextId = 1;
  #queue: Entry[] = []; // kept sorted by (at, seq)
  #live = new Set<number>();

  now(): number { return this.#now; }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry: Entry = { id: this.#nextId++, at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    // binary insertion keeps the queue ordered; ties run in scheduling order
    let lo = 0, hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.#queue[mid];
      if (m.at < entry.at || (m.at === entry.at && m.seq < entry.seq)) lo = mid + 1; else hi = mid;
    }
    this.#queue.splice(lo, 0, entry);
    this.#live.add(entry.id);
    return entry.id;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle === undefined || !this.#live.delete(handle)) return;
    // Cleared entries are skipped when they reach the front; firmware timers re-armed every poll
    // would otherwise pile up far in the future and make every insertion slower.
    if (this.#queue.length > 64 && this.#queue.length > 2 * this.#live.size) {
      this.#queue = this.#queue.filter((e) => this.#live.has(e.id));
    }
  }

  /** Time of the next pending event, or undefined. */
  nextAt(): number | undefined {
    while (this.#queue.length && !this.#live.has(this.#queue[0].id)) this.#queue.shift();
    return this.#queue[0]?.at;
  }

  /** Run the next due event (at or before `limit`); returns false when there is none. */
  step(limit = Infinity): boolean {
    const at = this.nextAt();
    if (at === undefined || at > limit) return false;
    const entry = this.#queue.shift()!;
    this.#live.delete(entry.id);
    this.#now = Math.max(this.#now, entry.at);
    entry.fn();
    return true;
  }

  /** Run every event up to `time` (inclusive), then set the clock to `time`. */
  runUntil(time: number): void {
    while (this.step(time)) { /* keep going */ }
    this.#now = Math.max(this.#now, time);
  }

  advance(ms: number): void { this.runUntil(this.#now + ms); }
}

/** Wall-clock time for interactive runs. */
export class RealClock implements Clock {
  readonly #start = performance.now();
  now(): number { return performance.now() - this.#start; }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return globalThis.setTimeout(fn, ms) as unknown as TimerHandle;
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) globalThis.clearTimeout(handle as unknown as NodeJS.Timeout);
  }
}
