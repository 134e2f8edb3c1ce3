// A timer created once and re-armed for every use, so timeouts on the poll path allocate nothing.
// SDK detail: a timer whose repeat interval is 0 when its callback returns is cleared, so a
// disarmed timer stays scheduled far in the future instead of being unscheduled.
import Timer from "timer";

const PARKED = 0x3fffffff; // ~12 days

export class Timeout {
  #armed = false;
  readonly #timer;

  constructor(onFire: () => void) {
    this.#timer = Timer.repeat(() => {
      if (!this.#armed) return;
      this.#armed = false;
      Timer.schedule(this.#timer, PARKED, PARKED);
      onFire();
    }, PARKED);
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
}
