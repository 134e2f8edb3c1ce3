// The energy totals in flash (the preference module, ESP32 NVS): their own domain, int32 values
// under short keys ("c1", "d1", "h1": charged Wh, discharged Wh, the owner's id hash of slot 1).
// What is written when: energy-meter.ts.
import Preference from "preference";
import type { EnergyStore } from "./energy-meter";

const DOMAIN = "jbd-energy";

function get(key: string): number | undefined {
  try {
    const value = Preference.get(DOMAIN, key);
    return typeof value === "number" ? value : undefined;
  } catch { return undefined; }
}

function set(key: string, value: number): void { Preference.set(DOMAIN, key, value); }

export const energyStore: EnergyStore = Object.freeze({ get, set });
