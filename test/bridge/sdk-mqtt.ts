// The SDK "mqtt" module's behaviour (../shared/moddable-platform.md §b) over MQTT.js, so the bridge
// runs against a real broker in Node:
// - MQTT 3.1.1, clean session, no reconnect: after onClose the instance is dead;
// - publish/subscribe throw "connection closed" before CONNACK and after close or failure;
// - onClose() without arguments, never for the app's own close(); close(true) skips DISCONNECT
//   so the broker publishes the will;
// - exceptions thrown by onReady/onMessage are swallowed (and recorded here for the tests); one
//   thrown by onClose is not caught by the SDK (recorded as escaped: a reboot on the device);
// - payloads arrive as ArrayBuffer;
// - optional `sendBuffer`: like lwIP on the ESP32 (test/doubles/lwip-socket.ts), each packet, sized
//   as mqtt.js builds it, takes its bytes from the socket's send buffer until the broker has
//   acknowledged it (`ackMs` later, real time); a packet that does not fit throws
//   "can't write all data" and sends nothing.
import { connect, type MqttClient as MqttJsClient } from "../lib/mqtt-client";
import type { MqttClient, MqttConstructor, MqttOptions } from "../../modules/bridge/ports";

export interface SdkMqttOptions {
  /** Send buffer of each socket (the SDK's ESP32 build: CONFIG_LWIP_TCP_SND_BUF_DEFAULT = 8192). */
  sendBuffer?: number;
  /** Time from a write to its acknowledgement, when its space is free again (default 50 ms). */
  ackMs?: number;
}

export interface SdkMqttWorld {
  readonly MQTT: MqttConstructor;
  /** Every instance created, in order. */
  readonly instances: SdkMqttInstance[];
  /** Exceptions our callbacks threw, which the SDK would have swallowed silently. */
  readonly swallowed: unknown[];
  /** Exceptions our onClose threw: the SDK does not catch those (on the device: abort, reboot). */
  readonly escaped: unknown[];
  /** Every publish written to a socket, in the order the gateway wrote them (aedes may deliver a
   *  retained message after a later one that is not: it stores the retained one first). */
  readonly written: { topic: string; text: string; retain: boolean }[];
}

export interface SdkMqttInstance extends MqttClient {
  readonly options: MqttOptions;
  /** Drop the TCP connection under the instance (as a dying network would). */
  kill(): void;
}

export function sdkMqtt(config: SdkMqttOptions = {}): SdkMqttWorld {
  const instances: SdkMqttInstance[] = [];
  const swallowed: unknown[] = [];
  const escaped: unknown[] = [];
  const written: { topic: string; text: string; retain: boolean }[] = [];

  /** One socket's send buffer: space comes back when the broker has acknowledged the bytes. */
  function sendBuffer(): (bytes: number) => void {
    let free = config.sendBuffer ?? 0;
    return (bytes) => {
      if (config.sendBuffer === undefined) return;
      if (bytes > free) throw new Error("can't write all data");
      free -= bytes;
      setTimeout(() => { free += bytes; }, config.ackMs ?? 50);
    };
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
    readonly #spend = sendBuffer();

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
      this.#spend(packet(2 + Buffer.byteLength(topic) + payload.length));
      this.#client.publish(topic, payload, { qos: 0, retain: !!flags?.retain });
      written.push({ topic, text: payload.toString(), retain: !!flags?.retain });
    }

    subscribe(topic: string): void {
      this.#ready();
      this.#spend(packet(2 + 2 + Buffer.byteLength(topic) + 1));
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
      try { this.onClose?.(); } catch (error) { escaped.push(error); }
    }
  }

  return { MQTT: Instance, instances, swallowed, escaped, written };
}

/** A packet as mqtt.js builds it: type byte, remaining length, then `remaining` bytes. */
function packet(remaining: number): number {
  return 1 + (remaining < 128 ? 1 : remaining < 16384 ? 2 : remaining < 2097152 ? 3 : 4) + remaining;
}

function text(value: string | ArrayBuffer | undefined): string | undefined {
  if (value === undefined || typeof value === "string") return value || undefined;
  return Buffer.from(value).toString();
}
