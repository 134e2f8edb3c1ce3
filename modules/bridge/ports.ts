// What the bridge needs from the platform, as small interfaces injected by the caller: the SDK
// adapters (sdk-ports.ts) on the device, stand-ins over Node and MQTT.js in tests.
import type MQTT from "mqtt";

export type TimerHandle = unknown;

/** One-shot timers (Timer.set / Timer.clear). */
export interface Timers {
  set(callback: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle): void;
}

export interface Clock {
  /** Millisecond counter (Time.ticks: it wraps on the device, so compare with since()). */
  ticks(): number;
  /** Wrap-safe milliseconds from `ticks` to now (Time.delta). */
  since(ticks: number): number;
  /** Wall clock, ms since 1970 (Date.now(): near 0 until SNTP has set it). */
  epochMs(): number;
}

/** The options of the SDK "mqtt" constructor, as our declarations (or the test double) spell them. */
export type MqttOptions = ConstructorParameters<typeof MQTT>[0];

/**
 * The part of an SDK MQTT instance we use. Structural on purpose: the SDK class, the test double
 * and the MQTT.js adapter of the bridge tests all fit it.
 */
export interface MqttClient {
  onReady?: () => void;
  onMessage?: (topic: string, data: ArrayBuffer) => void;
  onClose?: () => void;
  publish(topic: string, data: string | ArrayBuffer, flags?: { retain?: boolean }): void;
  subscribe(topic: string): void;
  close(immediate?: boolean): void;
}

export type MqttConstructor = new (options: MqttOptions) => MqttClient;
