// The bridge's platform ports on the Moddable SDK. The only bridge file that imports SDK modules.
import MQTT from "mqtt";
import SecureSocket from "securesocket";
import Timer, { type TimerID } from "timer";
import Time from "time";
import type { Clock, MqttConstructor, MqttOptions, Timers } from "./ports";

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
