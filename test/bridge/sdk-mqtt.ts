// The SDK "mqtt" module's behaviour (../shared/moddable-platform.md §b) over MQTT.js, so the bridge
// runs against a real broker in Node:
// - MQTT 3.1.1, clean session, no reconnect: after onClose the instance is dead;
// - publish/subscribe throw "connection closed" before CONNACK and after close or failure;
// - onClose() without arguments, never for the app's own close(); close(true) skips DISCONNECT
//   so the broker publishes the will;
// - exceptions thrown by onReady/onMessage are swallowed (and recorded here for the tests);
// - payloads arrive as ArrayBuffer;
// - optional `sendBuffer`: like lwIP on the ESP32, a write that does not fit in what is left of
//   the socket's send buffer in this turn throws "can't write all data" and sends nothing.
import { connect, type MqttClient as MqttJsClient } from "../lib/mqtt-client";
import type { MqttClient, MqttConstructor, MqttOptions } from "../../modules/bridge/ports";

export interface SdkMqttOptions {
  /** Bytes one turn may write before write() throws (ESP32 default TCP_SND_BUF is 5744). */
  sendBuffer?: number;
}

export interface SdkMqttWorld {
  readonly MQTT: MqttConstructor;
  /** Every instance created, in order. */
  readonly instances: SdkMqttInstance[];
  /** Exceptions our callbacks threw, which the SDK would have swallowed silently. */
  readonly swallowed: unknown[];
}

export interface SdkMqttInstance extends MqttClient {
  readonly options: MqttOptions;
  /** Drop the TCP connection under the instance (as a dying network would). */
  kill(): void;
}

export function sdkMqtt(config: SdkMqttOptions = {}): SdkMqttWorld {
  const instances: SdkMqttInstance[] = [];
  const swallowed: unknown[] = [];
  let turnBytes = 0;
  let turnScheduled = false;

  /** Send-buffer space is given back when the turn ends (the data has left). */
  function spend(bytes: number): void {
    if (config.sendBuffer === undefined) return;
    if (turnBytes + bytes > config.sendBuffer) throw new Error("can't write all data");
    turnBytes += bytes;
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(() => { turnBytes = 0; turnScheduled = false; });
    }
  }

  function swallow(body: () => void): void {
    try { body(); } catch (error) { swallowed.push(error); }
  }

  class Instance implements SdkMqttInstance {
    onReady?: () => void;
    onMessage?: (topic: string, data: ArrayBuffer) => void;
    onClose?: () => void;
    readonly options: MqttOptions;
    #state: "connecting" | "ready" | "closed" = "connecting";
    #client: MqttJsClient;

    constructor(options: MqttOptions) {
      if (!options?.host) throw new Error("parameter host is required");
      this.options = options;
      instances.push(this);
      const will = options.will;
      this.#client = connect({
        host: options.host, port: options.port ?? 1883, clientId: options.id ?? "",
        username: text(options.user), password: text(options.password),
        protocolVersion: 4, clean: true, reconnectPeriod: 0,
        connectTimeout: 3_600_000, // the SDK has no connect timeout at all
        keepalive: options.timeout ? Math.ceil(options.timeout / 1000) : 0,
        will: will && { topic: will.topic, payload: Buffer.from(text(will.message) ?? ""), retain: !!will.retain, qos: (will.quality ?? 0) as 0 | 1 | 2 },
      });
      this.#client.on("connect", () => {
        if (this.#state !== "connecting") return;
        this.#state = "ready";
        swallow(() => this.onReady?.());
      });
      this.#client.on("message", (topic, payload) => {
        if (this.#state !== "ready") return;
        const data = payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength) as ArrayBuffer;
        swallow(() => this.onMessage?.(topic, data));
      });
      this.#client.on("error", () => this.#fail());
      this.#client.on("close", () => this.#fail());
    }

    publish(topic: string, data: string | ArrayBuffer, flags?: { retain?: boolean }): void {
      this.#ready();
      const payload = typeof data === "string" ? Buffer.from(data) : Buffer.from(data);
      spend(topic.length + payload.length + 5);
      this.#client.publish(topic, payload, { qos: 0, retain: !!flags?.retain });
    }

    subscribe(topic: string): void {
      this.#ready();
      spend(topic.length + 7);
      this.#client.subscribe(topic, { qos: 0 });
    }

    close(immediate = false): void {
      if (this.#state === "closed") return;
      this.#state = "closed";
      if (immediate) this.#client.stream?.destroy();
      else this.#client.end();
    }

    kill(): void { this.#client.stream?.destroy(); }

    #ready(): void { if (this.#state !== "ready") throw new Error("connection closed"); }

    #fail(): void {
      if (this.#state === "closed") return; // closed by the app: no onClose
      this.#state = "closed";
      this.#client.end(true);
      swallow(() => this.onClose?.());
    }
  }

  return { MQTT: Instance, instances, swallowed };
}

function text(value: string | ArrayBuffer | undefined): string | undefined {
  if (value === undefined || typeof value === "string") return value || undefined;
  return Buffer.from(value).toString();
}
