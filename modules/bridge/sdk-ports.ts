// The bridge's platform ports on the Moddable SDK. The only bridge file that imports SDK modules.
import MQTT from "mqtt";
import Preference from "preference";
import SecureSocket from "securesocket";
import Timer, { type TimerID } from "timer";
import Time from "time";
import type { Clock, MqttConstructor, MqttOptions, Timers } from "./ports";
import type { DiscoveryStore } from "./discovery-memory";

export const sdkMqtt: MqttConstructor = MQTT;

/** Socket class for MQTT over TLS (needs $(MODDABLE)/modules/crypt/tls.json in the build). */
export const sdkSecureSocket: MqttOptions["Socket"] = SecureSocket;

export const sdkTimers: Timers = {
  set: (callback, ms) => Timer.set(callback, ms),
  clear: (handle) => Timer.clear(handle as TimerID),
};

export const sdkClock: Clock = {
  ticks: () => Time.ticks,
  since: (ticks) => Time.delta(ticks),
  epochMs: () => Date.now(),
};

/** What Home Assistant discovery remembers across reboots, in its own NVS domain (`config reset` keeps it). */
const DISCOVERY_DOMAIN = "jbd-ha";
export const sdkDiscoveryStore: DiscoveryStore = Object.freeze({
  get: (key: string) => {
    const value = Preference.get(DISCOVERY_DOMAIN, key);
    return typeof value === "string" ? value : undefined;
  },
  set: (key: string, value: string) => Preference.set(DISCOVERY_DOMAIN, key, value),
});
