// The only config file that touches the platform: preference storage and the build's mc/config.
// Everything else in modules/config is pure and is tested on Node with fakes.
import Preference from "preference";
import build from "mc/config";
import { PREFERENCE_DOMAIN } from "./schema";
import type { ConfigSource } from "./config";

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
