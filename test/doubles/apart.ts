// The RAM bench's "apart" mode (off everywhere else): the doubles' work on the poll path is moved
// into deliveries of its own, so that xsnap's heap count per delivery tells the firmware's
// allocations from the SDK doubles' (xsnap reports the count only between deliveries).
//
// - A notification: the BLE double makes the SDK's params object, ArrayBuffer and view in its own
//   delivery ("ble.notification"), and the firmware's callback runs in the next one ("host.fire").
// - A publish or a BLE write: the firmware's call does what it must at once (the send buffer's
//   accounting, which may throw), and the double's hex text and op for the host are made in the
//   next delivery ("host.flush").
// Each deferred item is stored in preallocated cells (no allocation in the firmware's delivery)
// and the host is asked for the delivery that runs it; the order of items is kept.
import { fire } from "./meter-zone";
import { on, postOp, type HostOp } from "./runtime";

// the ops that ask the host for the next delivery, made once: posting them allocates nothing
const AGAIN_FIRE: HostOp = Object.freeze(["host.again", "host.fire"]) as unknown as HostOp;
const AGAIN_FLUSH: HostOp = Object.freeze(["host.again", "host.flush"]) as unknown as HostOp;

let apart = false;
const SIZE = 64;
// inbound: a callback and its arguments; outbound: a thunk-free record (what, and up to 6 fields)
const fns: unknown[] = new Array(SIZE).fill(undefined);
const selves: unknown[] = new Array(SIZE).fill(undefined);
const firstArgs: unknown[] = new Array(SIZE).fill(undefined);
const secondArgs: unknown[] = new Array(SIZE).fill(undefined);
let fireHead = 0, fireTail = 0;
const flushers: unknown[] = new Array(SIZE).fill(undefined);
const flushFields: unknown[][] = Array.from({ length: SIZE }, () => new Array(6).fill(undefined));
let flushHead = 0, flushTail = 0;

/** The host switches the mode (the RAM bench, for its per-cycle window). */
on("host.apart", (on: boolean) => { apart = !!on; });

export function isApart(): boolean { return apart; }

/** fire(fn, self, a, b), or in apart mode the same in the next delivery (two arguments at most; no return value). */
export function fireApart(fn: ((...args: any[]) => unknown) | undefined, self: unknown, a?: unknown, b?: unknown): void {
  if (!apart) { fire(fn, self, a, b); return; }
  const i = fireTail % SIZE;
  fns[i] = fn; selves[i] = self; firstArgs[i] = a; secondArgs[i] = b;
  fireTail++;
  postOp(AGAIN_FIRE);
}
on("host.fire", () => {
  if (fireHead === fireTail) return;
  const i = fireHead++ % SIZE;
  const fn = fns[i] as (a: unknown, b: unknown) => unknown, self = selves[i], a = firstArgs[i], b = secondArgs[i];
  fns[i] = selves[i] = firstArgs[i] = secondArgs[i] = undefined;
  // called as the SDK calls it, with no array of arguments made on the way (fire's rest parameter would)
  if (typeof fn !== "function") throw new TypeError("call: not a function");
  fn.call(self, a, b);
});

/** In apart mode: run `flush(fields...)` in the next delivery and answer true; else false (do it now). */
export function later(flush: (...fields: unknown[]) => void, f0?: unknown, f1?: unknown, f2?: unknown, f3?: unknown, f4?: unknown, f5?: unknown): boolean {
  if (!apart) return false;
  const i = flushTail % SIZE, fields = flushFields[i];
  flushers[i] = flush;
  fields[0] = f0; fields[1] = f1; fields[2] = f2; fields[3] = f3; fields[4] = f4; fields[5] = f5;
  flushTail++;
  postOp(AGAIN_FLUSH);
  return true;
}
on("host.flush", () => {
  if (flushHead === flushTail) return;
  const i = flushHead++ % SIZE, fields = flushFields[i];
  const flush = flushers[i] as (...fields: unknown[]) => void;
  flushers[i] = undefined;
  flush(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
  fields.fill(undefined);
});
