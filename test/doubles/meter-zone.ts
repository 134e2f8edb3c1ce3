// Which code the XS compute meter is spent in: the firmware, or the doubles that stand in for the
// Moddable SDK. Off unless a measuring image turns it on (test/virtual/xs-zones.ts); then every call
// from the firmware into a double (zoned) and every callback from a double into the firmware (fire)
// switches the zone, and the meter read at each switch (xsnap's resetMeter returns the current
// count) is charged to the zone that was running. Nesting is free: a double called from inside a
// firmware callback is charged to the doubles, the firmware's work around it to the firmware.

import { apiMembers } from "./api-members";

declare const resetMeter: ((limit: number, index: number) => number) | undefined;

const FIRMWARE = 1, DOUBLE = 0;
let active = false;
let zone = DOUBLE;
let mark = 0;
let firmwareUnits = 0;
let fires = 0;
/** Zoned calls the firmware made (each costs it the meter reads around the call). */
let calls = 0;
/** The zone that called the double running now. */
let caller = FIRMWARE;
/** main() is running (its module evaluates in the jobs of the delivery that started it): its calls are the firmware's. */
let booting = false;

/** The crank's meter count so far (resetMeter swaps it out and back in). */
function meter(): number {
  const units = resetMeter!(0, 0);
  resetMeter!(0, units);
  return units;
}

function enter(next: number): number {
  const units = meter();
  if (zone === FIRMWARE) firmwareUnits += units - mark;
  mark = units;
  const previous = zone;
  zone = next;
  return previous;
}

/**
 * A double calls back into the firmware: `fn.apply(self, args)`, charged to the firmware. A missing
 * `fn` throws as calling it would; optional callbacks are the caller's `if`.
 */
export function fire<R>(fn: ((...args: any[]) => R) | undefined, self: unknown, ...args: unknown[]): R {
  if (typeof fn !== "function") throw new TypeError("call: not a function");
  if (!active) return fn.apply(self, args);
  fires++;
  const previous = enter(FIRMWARE);
  try { return fn.apply(self, args); } finally { enter(previous); }
}

function wrap(fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  return function (this: unknown, ...args: unknown[]) {
    if (!active) return fn.apply(this, args);
    const previous = enter(DOUBLE);
    if (previous === FIRMWARE) calls++;
    const outer = caller;
    caller = previous;
    try { return fn.apply(this, args); } finally { caller = outer; enter(previous); }
  };
}

/**
 * Charge calls into `target` (a double's class or object: its own methods, accessors and, for a
 * class, its prototype's) to the doubles. Callbacks (`on...`) are the firmware's and stay as they are.
 */
export function zoned<T extends object>(target: T): T {
  for (const [owner, key, d] of apiMembers(target)) {
    if (typeof d.value === "function") d.value = wrap(d.value);
    if (d.get) d.get = wrap(d.get) as () => unknown;
    if (d.set) d.set = wrap(d.set);
    Object.defineProperty(owner, key, d);
  }
  return target;
}

/** Inside a zoned call: was it made by the firmware (a timer it sets is its own), or by another double? */
export function calledFromFirmware(): boolean { return !active || caller === FIRMWARE || booting; }

/** Start charging (each host event begins in the doubles: the runtime's dispatch). */
export function startZones(): void { active = typeof resetMeter === "function"; }

/** A host event begins (the crank's meter starts again at 0), in the doubles. */
export function eventStarts(): void { booting = false; if (active) { zone = DOUBLE; mark = meter(); } }

/**
 * main() starts (the measuring image's startMain): until the next host event, calls into the doubles
 * are the firmware's (a timer main sets is its own, and so is every timer its callback sets again).
 */
export function bootStarts(): void { booting = active; }
/** A host event ends: what the firmware ran up to here is charged. */
export function eventEnds(): void { if (active) enter(DOUBLE); }

/** The firmware's units so far, and how many callbacks (fires) and calls into doubles the bookkeeping saw. */
export function zoneTotals(): { firmwareUnits: number; fires: number; calls: number } { return { firmwareUnits, fires, calls }; }
