// The gateway's own id (the suffix of its default name "jbd-gw-xxxxxx"), made once and kept in
// flash. On ESP32, Net.get("MAC") is undefined until Wi-Fi is initialised (modNet.c finds no
// interface), so a MAC read at boot can be missing; an id taken from whatever boot had it would
// change between boots. Order: the stored id; else the last three bytes of the Wi-Fi MAC; else
// three random bytes (Math.random is the hardware RNG on ESP32). Pure: flash and MAC come in.

export interface DeviceIdStore {
  get(): string | undefined;
  set(id: string): void;
}

export type DeviceIdSource = "stored" | "mac" | "random";

export interface DeviceId {
  /** Six lowercase hex digits. */
  readonly suffix: string;
  readonly source: DeviceIdSource;
  /** Why it could not be kept in flash, if it could not. */
  readonly warning?: string;
}

const SUFFIX = /^[0-9a-f]{6}$/;

/** The last three bytes of a MAC ("24:6F:28:A1:B2:C3" -> "a1b2c3"); undefined for none or all zeros. */
export function macSuffix(mac: unknown): string | undefined {
  if (typeof mac !== "string") return undefined;
  const hex = mac.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
  if (hex.length !== 12 || /^0+$/.test(hex)) return undefined;
  return hex.slice(6);
}

function randomSuffix(random: () => number): string {
  let text = "";
  for (let i = 0; i < 6; i++) text += "0123456789abcdef"[Math.floor(random() * 16) & 15];
  return text;
}

/**
 * Find or make the id. `persist` false (nothing would use it: no broker configured) keeps a MAC or
 * random id out of flash, so that a later boot with Wi-Fi can still take the MAC's.
 */
export function deviceId(store: DeviceIdStore, readMac: () => unknown, random: () => number, persist = true): DeviceId {
  let stored: string | undefined;
  let warning: string | undefined;
  try {
    stored = store.get();
  } catch (error) {
    warning = `device id unreadable (${error instanceof Error ? error.message : String(error)})`;
  }
  if (typeof stored === "string" && SUFFIX.test(stored)) return { suffix: stored, source: "stored" };
  let mac: unknown;
  try { mac = readMac(); } catch { mac = undefined; }
  const fromMac = macSuffix(mac);
  const suffix = fromMac ?? randomSuffix(random);
  const source: DeviceIdSource = fromMac ? "mac" : "random";
  if (persist) {
    try {
      store.set(suffix);
    } catch (error) {
      warning = `device id not stored (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  return warning ? { suffix, source, warning } : { suffix, source };
}
