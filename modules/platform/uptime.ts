// Milliseconds since start, safe across the tick counter's wrap: Time.ticks is a signed 32-bit
// count on the ESP32 (negative from day 24.8) and epoch-based on the simulator. Each call adds the
// wrap-safe delta since the previous one, so it must be read at least every few weeks (logs do).
import Time from "time";

export class Uptime {
  #ms = 0;
  #last = Time.ticks;

  get ms(): number {
    const now = Time.ticks;
    this.#ms += Time.delta(this.#last, now);
    this.#last = now;
    return this.#ms;
  }
}
