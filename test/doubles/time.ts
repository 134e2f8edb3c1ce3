// Double of the Moddable "time" module: ticks follow the host's clock (virtual in the soak).
import { now } from "./runtime";

const Time = {
  get ticks(): number { return Math.floor(now()); },
  delta(start: number, end?: number): number { return (end ?? Math.floor(now())) - start; },
  set(_seconds: number): void { /* the host owns the wall clock */ },
  timezone: 0,
  dst: 0,
};
export default Time;
