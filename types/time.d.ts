// Our own declarations for the Moddable SDK 8.2.3 "time" module, written from observed runtime
// behaviour (/work/shared/moddable-platform.md §d).

declare module "time" {
  const Time: {
    /** Millisecond counter; signed 32-bit on MCUs, so it wraps: compare with delta(). */
    readonly ticks: number;
    /** Wrap-safe `end - start` in ms; `end` defaults to now. */
    delta(start: number, end?: number): number;
    /** Set the wall clock (seconds since 1970). Date.now() is meaningless on ESP32 until set. */
    set(seconds: number): void;
    /** seconds */
    timezone: number;
    /** seconds */
    dst: number;
  };
  export default Time;
}
