// Double of the Moddable "time" module: ticks follow the host's clock (virtual in the soak).
// The wall clock starts at 0 (1970), as on an ESP32 before anything set it; Time.set() sets it,
// and from then on it advances with the device's clock.
import { now } from "./runtime";

let epochAtZeroTicks = 0; // ms since 1970 when ticks were 0; 0 = never set

/** Date.now() as the device sees it (xs-setup installs it inside XS). */
export function wallClockMs(): number { return epochAtZeroTicks + now(); }

const Time = {
  get ticks(): number { return Math.floor(now()); },
  delta(start: number, end?: number): number { return (end ?? Math.floor(now())) - start; },
  set(seconds: number): void { epochAtZeroTicks = seconds * 1000 - now(); },
  timezone: 0,
  dst: 0,
};
export default Time;
