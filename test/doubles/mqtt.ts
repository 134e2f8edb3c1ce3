// Double of the Moddable "mqtt" module (SDK 8.2.3, ../shared/moddable-platform.md §b): MQTT 3.1.1,
// clean session, QoS 0 in practice, no reconnect. The TCP side is a real MQTT connection made by
// the host to a real broker; this file keeps the module's behaviour:
// - publish/subscribe throw "connection closed" before CONNACK and after close or failure;
// - exceptions thrown by onReady/onMessage are swallowed (the SDK catches and ignores them);
// - onClose() gets no reason, and close() called by the app never calls it;
// - payloads arrive as ArrayBuffer; non-string, non-ArrayBuffer data is sent as String(data).
import { on, post, toHex, fromHex } from "./runtime";

export interface MqttOptions {
  host: string; port?: number; id?: string;
  user?: string | ArrayBuffer; password?: string | ArrayBuffer;
  will?: { topic: string; message: string | ArrayBuffer; retain?: boolean; quality?: number };
  timeout?: number; path?: string; Socket?: unknown; secure?: object;
}

const clients = new Map<number, MQTT>();
let nextId = 1;

const textOf = (value: string | ArrayBuffer | undefined) =>
  value === undefined || typeof value === "string" ? value : String.fromCharCode(...new Uint8Array(value));

export default class MQTT {
  #id = nextId++;
  #state: "connecting" | "ready" | "closed" = "connecting";

  onConnected?(): void;
  onReady?(): void;
  onMessage?(topic: string, data: ArrayBuffer): void;
  onClose?(): void;

  constructor(options: MqttOptions) {
    if (!options?.host) throw new Error("parameter host is required");
    clients.set(this.#id, this);
    post("mqtt.open", this.#id, {
      host: options.host, port: options.port ?? (options.path ? 80 : 1883), id: options.id ?? "",
      user: textOf(options.user), password: textOf(options.password),
      will: options.will && { ...options.will, message: textOf(options.will.message) },
      timeout: options.timeout ?? 0, tls: options.Socket !== undefined,
    });
  }

  publish(topic: string, data: string | ArrayBuffer, flags: { retain?: boolean; quality?: number } = {}): void {
    this.#ready();
    const payload = typeof data === "string" ? data : data instanceof ArrayBuffer ? { hex: toHex(data) } : String(data);
    post("mqtt.publish", this.#id, topic, payload, !!flags.retain, flags.quality ?? 0);
  }
  subscribe(topic: string): void { this.#ready(); post("mqtt.subscribe", this.#id, topic, true); }
  unsubscribe(topic: string): void { this.#ready(); post("mqtt.subscribe", this.#id, topic, false); }
  close(immediate = false): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    clients.delete(this.#id);
    post("mqtt.close", this.#id, immediate);
  }

  #ready(): void { if (this.#state !== "ready") throw new Error("connection closed"); }

  static {
    on("mqtt.connected", (id: number) => clients.get(id)?.onConnected?.());
    on("mqtt.ready", (id: number) => {
      const client = clients.get(id);
      if (!client) return;
      client.#state = "ready";
      try { client.onReady?.(); } catch { /* swallowed, as the SDK does */ }
    });
    on("mqtt.message", (id: number, topic: string, hex: string) => {
      const client = clients.get(id);
      if (!client || client.#state !== "ready") return;
      try { client.onMessage?.(topic, fromHex(hex)); } catch { /* swallowed, as the SDK does */ }
    });
    on("mqtt.closed", (id: number) => {
      const client = clients.get(id);
      if (!client) return; // closed by the app: no onClose
      client.#state = "closed";
      clients.delete(id);
      client.onClose?.();
    });
  }
}
