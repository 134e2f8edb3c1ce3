// A timer created once and re-armed for every use, so timeouts on the poll path allocate nothing.
// SDK detail: a timer whose repeat interval is 0 when its callback returns is cleared, so a
// disarmed timer stays scheduled far in the future instead of being unscheduled.
// Every callback is a boundary: an exception escaping a timer's callback aborts XS and reboots the
// ESP32, so one thrown by `onFire` is caught here and reported (reportTimeoutErrorsTo).
import Timer from "timer";
import type { Logger } from "../link/logger";

const PARKED = 0x3fffffff; // ~12 days

/**
 * Where a callback's exception is reported: the gateway's log once main() has said so, `trace`
 * before. A property, not a binding: a preloaded module's bindings are constants on the device
 * (this object, written once at run time, is one alias).
 */
const reportTo: { log?: Logger } = {};

/** Report exceptions thrown by any Timeout's callback to `log`. */
export function reportTimeoutErrorsTo(log: Logger): void {
  reportTo.log = log;
}

export class Timeout {
  #armed = false;
  readonly #timer;

  constructor(onFire: () => void) {
    // the work in a method shared by every Timeout: each arrow made here costs RAM per Timeout (a
    // slot per binding it names; on the device build its code's size in chunks too: a try/catch
    // in it cost 64 bytes per Timeout there)
    this.#timer = Timer.repeat(() => this.fired(onFire), PARKED);
  }

  get armed(): boolean { return this.#armed; }

  start(ms: number): void {
    this.#armed = true;
    Timer.schedule(this.#timer, ms, PARKED);
  }

  stop(): void {
    if (!this.#armed) return;
    this.#armed = false;
    Timer.schedule(this.#timer, PARKED, PARKED);
  }

  close(): void {
    this.#armed = false;
    Timer.clear(this.#timer);
  }

  private fired(onFire: () => void): void {
    if (!this.#armed) return;
    this.#armed = false;
    Timer.schedule(this.#timer, PARKED, PARKED);
    try { onFire(); } catch (error) { this.report(error); }
  }

  private report(error: unknown): void {
    const log = reportTo.log;
    if (log) log.error("timer callback:", error);
    else (globalThis as { trace?: (...values: unknown[]) => void }).trace?.("timer callback: " + String(error) + "\n");
  }
}
