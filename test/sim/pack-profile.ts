// Load profiles: the current a charger and loads ask of the pack over time (+ charge, − discharge).
// The pack decides how much of it actually flows (FETs and protections).

/** Requested pack current in A at clock time `timeMs`. */
export type LoadProfile = (timeMs: number) => number;

export interface SolarDayOptions {
  /** Solar charge current at noon, A. */
  peakChargeA: number;
  /** Constant house load, A (positive number); drawn day and night. */
  loadA: number;
  /** Hour of day at clock time 0 (default 0 = midnight). */
  startHour?: number;
}

const DAY_MS = 24 * 3600_000;
const SUNRISE_H = 6;
const SUNSET_H = 18;

/** Solar charging from sunrise to sunset (half-sine) minus a constant load; only the load at night. */
export function solarDayProfile({ peakChargeA, loadA, startHour = 0 }: SolarDayOptions): LoadProfile {
  return (timeMs) => {
    const hour = (((timeMs + startHour * 3600_000) % DAY_MS) + DAY_MS) % DAY_MS / 3600_000;
    const daylight = hour > SUNRISE_H && hour < SUNSET_H;
    const solar = daylight ? peakChargeA * Math.sin((Math.PI * (hour - SUNRISE_H)) / (SUNSET_H - SUNRISE_H)) : 0;
    return solar - loadA;
  };
}
