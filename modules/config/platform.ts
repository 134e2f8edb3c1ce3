// The only config file that touches the platform: preference storage and the build's mc/config.
// Everything else in modules/config is pure and is tested on Node with fakes.
import Preference from "preference";
import build from "mc/config";
import { PREFERENCE_DOMAIN } from "./schema";
import type { ConfigSource } from "./config";
import type { DeviceIdStore } from "./device-id";

/** Its own NVS domain: `config reset` clears the settings' domain, never the gateway's id. */
const DEVICE_DOMAIN = "jbd-device";
const DEVICE_ID_KEY = "id";

export function platformConfigSource(mac?: string): ConfigSource {
  return {
    store: {
      get: (key) => Preference.get(PREFERENCE_DOMAIN, key),
      set: (key, value) => Preference.set(PREFERENCE_DOMAIN, key, value),
      delete: (key) => Preference.delete(PREFERENCE_DOMAIN, key),
      keys: () => Preference.keys(PREFERENCE_DOMAIN),
    },
    build,
    mac,
  };
}

export const platformDeviceIdStore: DeviceIdStore = Object.freeze({
  get: () => {
    const value = Preference.get(DEVICE_DOMAIN, DEVICE_ID_KEY);
    return typeof value === "string" ? value : undefined;
  },
  set: (id: string) => Preference.set(DEVICE_DOMAIN, DEVICE_ID_KEY, id),
});
