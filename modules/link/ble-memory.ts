// What the BLE side keeps in flash (the preference module, ESP32 NVS: 15-character names): the
// addresses of BMS found by scanning, so their ids and connects are stable across reboots, and the
// restart record of ble-recovery.
import Preference from "preference";
import type { RestartStore } from "./ble-recovery";

const DOMAIN = "jbdble";

function read(key: string): string | number | undefined {
  try {
    const value = Preference.get(DOMAIN, key);
    return typeof value === "string" || typeof value === "number" ? value : undefined;
  } catch { return undefined; }
}

export const bleStore: RestartStore = {
  get: read,
  set: (key, value) => Preference.set(DOMAIN, key, value),
  delete: (key) => { try { Preference.delete(DOMAIN, key); } catch { /* absent */ } },
};

/**
 * The MAC ("a4c138112233") a scanned-for BMS entry found last time, if the entry still asks for
 * the same thing (`query`: its pattern, or "*" for any FF00/FFF0 device).
 */
export function foundAddress(index: number, query: string): string | undefined {
  const value = read("found" + (index + 1));
  if (typeof value !== "string") return undefined;
  const space = value.indexOf(" ");
  if (space !== 12 || value.slice(space + 1) !== query) return undefined;
  return value.slice(0, 12);
}

export function rememberAddress(index: number, query: string, mac: string): void {
  Preference.set(DOMAIN, "found" + (index + 1), mac + " " + query);
}
