// Our own declarations for the Moddable SDK 8.2.3 "timer" module, written from observed runtime
// behaviour (/work/shared/moddable-platform.md §d).

declare module "timer" {
  /** Opaque handle of a scheduled timer. */
  export interface TimerID { readonly __timerID: never }
  /** Receives the timer; `this` is globalThis, so prefer arrow functions. */
  export type TimerCallback = (id: TimerID) => void;

  const Timer: {
    /**
     * No intervals: fires once on the next turn. Only `initial`: one-shot after `initial` ms.
     * Both: first after `initial`, then every `repeat` ms. One-shots clear themselves after firing.
     */
    set(callback: TimerCallback, initial?: number, repeat?: number): TimerID;
    /** Repeating timer with the same first and repeat interval. */
    repeat(callback: TimerCallback, interval: number): TimerID;
    /** Reschedule; with no intervals the timer is unscheduled but kept for reuse. */
    schedule(id: TimerID, initial?: number, repeat?: number): void;
    /** undefined/null are ignored. Do not clear a one-shot that already fired and was reused elsewhere. */
    clear(id: TimerID | undefined | null): void;
    /** Blocks the whole VM for `ms` milliseconds. */
    delay(ms: number): void;
  };
  export default Timer;
}
