// The network side of the virtual device's "mqtt" module: each SDK MQTT instance inside the
// firmware becomes one real MQTT 3.1.1 connection (MQTT.js) to a real broker, with the SDK's
// rules: clean session, no reconnect, close(true) drops the socket without DISCONNECT so the
// broker publishes the will. While the simulated Wi-Fi is down nothing reaches the broker.
import mqtt, { type MqttClient } from "../lib/mqtt-client";
import type { Emit } from "./ble-world";

interface OpenOptions {
  host: string; port: number; id: string; user?: string; password?: string;
  will?: { topic: string; message: string; retain?: boolean; quality?: number };
  timeout: number; tls: boolean;
}

interface Connection { client?: MqttClient; closedByApp: boolean; reported: boolean }

export class MqttWorld {
  readonly connections = new Map<number, Connection>();
  /** Connections still being set up: the virtual clock waits for them (real I/O). */
  pending = 0;
  published = 0;
  /** Observer (the soak, tests): every publish the firmware makes while connected. */
  onPublish: ((topic: string, payload: string, retain: boolean) => void) | undefined;

  constructor(private readonly emit: Emit, private readonly networkUp: () => boolean, private readonly log: (line: string) => void = () => {}) {}

  handle(op: string, args: unknown[]): void {
    const id = args[0] as number;
    switch (op) {
      case "mqtt.open": this.#open(id, args[1] as OpenOptions); break;
      case "mqtt.publish": {
        const c = this.connections.get(id);
        const payload = args[2] as string | { hex: string };
        const data = typeof payload === "string" ? payload : Buffer.from(payload.hex, "hex");
        if (c?.client?.connected) {
          c.client.publish(args[1] as string, data, { retain: args[3] as boolean, qos: 0 });
          this.published++;
          this.onPublish?.(args[1] as string, data.toString(), args[3] as boolean);
        }
        break;
      }
      case "mqtt.subscribe": {
        const c = this.connections.get(id);
        if (c?.client?.connected) {
          if (args[2]) c.client.subscribe(args[1] as string, { qos: 0 }); else c.client.unsubscribe(args[1] as string);
        }
        break;
      }
      case "mqtt.close": {
        const c = this.connections.get(id);
        if (!c) break;
        c.closedByApp = true;
        this.connections.delete(id);
        if (args[1]) c.client?.stream?.destroy(); // no DISCONNECT: the broker sends the will
        else c.client?.end();
        break;
      }
    }
  }

  /** Connections currently up (CONNACK received). */
  get connectedCount(): number {
    let n = 0;
    for (const c of this.connections.values()) if (c.client?.connected) n++;
    return n;
  }

  /** Wi-Fi went away: every socket dies as the radio does (the broker will publish wills). */
  networkLost(): void {
    for (const c of this.connections.values()) c.client?.stream?.destroy();
  }

  async closeAll(): Promise<void> {
    for (const c of this.connections.values()) { c.closedByApp = true; c.client?.end(true); }
    this.connections.clear();
  }

  #report(id: number, c: Connection): void {
    if (c.reported || c.closedByApp) return;
    c.reported = true;
    this.connections.delete(id);
    this.emit("mqtt.closed", id);
  }

  #open(id: number, o: OpenOptions): void {
    const c: Connection = { closedByApp: false, reported: false };
    this.connections.set(id, c);
    if (!this.networkUp()) { this.#report(id, c); return; }
    if (o.tls) { this.log(`MQTT FAIL: TLS is not simulated by the virtual device`); this.#report(id, c); return; }
    this.pending++;
    let settled = false;
    const settle = () => { if (!settled) { settled = true; this.pending--; } };
    const client = mqtt.connect({
      host: o.host, port: o.port, clientId: o.id, username: o.user || undefined, password: o.password || undefined,
      protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000,
      keepalive: o.timeout ? Math.ceil(o.timeout / 1000) : 0,
      will: o.will && { topic: o.will.topic, payload: Buffer.from(o.will.message), retain: !!o.will.retain, qos: (o.will.quality ?? 0) as 0 | 1 | 2 },
    });
    c.client = client;
    client.on("connect", () => {
      settle();
      if (c.closedByApp) return;
      this.emit("mqtt.connected", id);
      this.emit("mqtt.ready", id);
    });
    client.on("message", (topic, payload) => { if (!c.closedByApp) this.emit("mqtt.message", id, topic, payload.toString("hex")); });
    client.on("error", (error) => { settle(); this.log(`MQTT FAIL: ${error.message}`); this.#report(id, c); client.end(true); });
    client.on("close", () => { settle(); this.#report(id, c); });
  }
}
