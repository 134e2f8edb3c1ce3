// The network side of the virtual device's "mqtt" module: each SDK MQTT instance inside the
// firmware becomes one real MQTT 3.1.1 connection (MQTT.js) to a real broker, with the SDK's
// rules: clean session, no reconnect, close(true) drops the socket without DISCONNECT so the
// broker publishes the will. While the simulated Wi-Fi is down nothing reaches the broker.
//
// The TCP path between the ESP32 and the broker is modelled here, on the device's clock: every
// packet the firmware writes leaves at `bytesPerMs` after the ones before it and is acknowledged
// `rttMs` later; only then does the double's lwIP send buffer get the space back ("mqtt.acked").
// When a connection dies the double first learns it as lwIP does ("mqtt.failed": writes are then
// dropped silently) and JavaScript hears of it a moment later ("mqtt.closed" -> onClose).
import net from "node:net";
import tls, { type TLSSocket } from "node:tls";
import mqtt, { type MqttClient } from "../lib/mqtt-client";
import type { TlsOpen } from "../doubles/securesocket";
import { sdkVerify } from "./tls-verify";
import type { Emit } from "./ble-world";
import type { Clock, TimerHandle } from "../sim/clock";

interface OpenOptions {
  host: string; port: number; id: string; user?: string; password?: string;
  will?: { topic: string; message: string; retain?: boolean; quality?: number };
  timeout: number; tls?: TlsOpen;
}

interface Connection {
  client?: MqttClient; closedByApp: boolean; reported: boolean;
  /** When the wire is free again (device clock, ms). */
  wireFreeAt: number;
  /** Acknowledgements on the way: [due, bytes], in due order. */
  acks: [number, number][];
  ackTimer?: TimerHandle;
}

/** The Wi-Fi/TCP path: an ESP32 in modem sleep on a home network, on the slow side on purpose. */
export interface NetworkPath { rttMs: number; bytesPerMs: number }
export const DEFAULT_PATH: NetworkPath = Object.freeze({ rttMs: 50, bytesPerMs: 100 });
/** The SDK's cipher suites (ssl_ciphersuites.js with DHE_RSA and ECDHE_RSA on, as tls_common.json sets). */
const SDK_CIPHERS = ["AES128-SHA", "AES256-SHA", "AES128-SHA256", "AES256-SHA256", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256",
  "DHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"].join(":");

/** The certificates the broker sent, leaf first (with no trust store, Node adds no issuer of its own). */
function sentChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<unknown>();
  for (let cert = socket.getPeerCertificate(true); cert && cert.raw && !seen.has(cert); cert = cert.issuerCertificate) {
    seen.add(cert);
    chain.push(cert.raw);
  }
  return chain;
}

/** From lwIP noticing a dead socket to the JavaScript callback (one message-queue turn). */
const REPORT_DELAY_MS = 1;

export class MqttWorld {
  readonly connections = new Map<number, Connection>();
  /** Connections still being set up: the virtual clock waits for them (real I/O). */
  pending = 0;
  published = 0;
  /** Bytes the firmware wrote to its sockets (MQTT packets as mqtt.js builds them). */
  bytesWritten = 0;
  path: NetworkPath = { ...DEFAULT_PATH };
  /** Observer (the soak, tests): every publish the firmware makes while connected. */
  onPublish: ((topic: string, payload: string, retain: boolean) => void) | undefined;

  constructor(private readonly emit: Emit, private readonly networkUp: () => boolean, private readonly log: (line: string) => void = () => {},
    private readonly clock?: Clock) {}

  handle(op: string, args: unknown[]): void {
    const id = args[0] as number;
    const c = this.connections.get(id);
    switch (op) {
      case "mqtt.open": this.#open(id, args[1] as OpenOptions); break;
      case "mqtt.connect": this.#sent(id, c, args[1] as number); break;
      case "mqtt.ping": {
        // the broker answers a PINGREQ while the connection is alive: PINGRESP after the round trip
        const due = this.#sent(id, c, args[1] as number);
        if (c?.client?.connected && this.clock) this.clock.setTimeout(() => { if (this.connections.get(id) === c && c.client?.connected) this.emit("mqtt.pingresp", id); }, due);
        break;
      }
      case "mqtt.publish": {
        const payload = args[2] as string | { hex: string };
        const data = typeof payload === "string" ? payload : Buffer.from(payload.hex, "hex");
        this.#sent(id, c, args[5] as number);
        if (c?.client?.connected) {
          c.client.publish(args[1] as string, data, { retain: args[3] as boolean, qos: 0 });
          this.published++;
          this.onPublish?.(args[1] as string, data.toString(), args[3] as boolean);
        }
        break;
      }
      case "mqtt.subscribe": {
        this.#sent(id, c, args[3] as number);
        if (c?.client?.connected) {
          if (args[2]) c.client.subscribe(args[1] as string, { qos: 0 }); else c.client.unsubscribe(args[1] as string);
        }
        break;
      }
      case "mqtt.close": {
        if (!c) break;
        c.closedByApp = true;
        this.#forget(id, c);
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
    for (const [id, c] of this.connections) { c.closedByApp = true; this.#forget(id, c); c.client?.end(true); }
    this.connections.clear();
  }

  /** Bytes on their way out; returns ms until they are acknowledged. */
  #sent(id: number, c: Connection | undefined, bytes: number): number {
    this.bytesWritten += bytes;
    if (!c || !this.clock) return 0;
    const t = this.clock.now();
    c.wireFreeAt = Math.max(t, c.wireFreeAt) + bytes / this.path.bytesPerMs;
    const due = c.wireFreeAt + this.path.rttMs;
    c.acks.push([due, bytes]);
    if (c.ackTimer === undefined) this.#armAcks(id, c);
    return due - t;
  }

  #armAcks(id: number, c: Connection): void {
    const clock = this.clock!;
    c.ackTimer = clock.setTimeout(() => {
      c.ackTimer = undefined;
      let bytes = 0;
      while (c.acks.length && c.acks[0][0] <= clock.now()) bytes += c.acks.shift()![1];
      if (bytes && this.connections.get(id) === c && c.client?.connected) this.emit("mqtt.acked", id, bytes);
      if (c.acks.length) this.#armAcks(id, c);
    }, Math.max(0, Math.ceil(c.acks[0][0] - clock.now())));
  }

  #forget(id: number, c: Connection): void {
    if (this.connections.get(id) === c) this.connections.delete(id);
    this.clock?.clearTimeout(c.ackTimer);
    c.ackTimer = undefined;
    c.acks.length = 0;
  }

  #report(id: number, c: Connection): void {
    if (c.reported || c.closedByApp) return;
    c.reported = true;
    this.#forget(id, c);
    this.emit("mqtt.failed", id);
    if (this.clock) this.clock.setTimeout(() => this.emit("mqtt.closed", id), REPORT_DELAY_MS);
    else this.emit("mqtt.closed", id);
  }

  #open(id: number, o: OpenOptions): void {
    const c: Connection = { closedByApp: false, reported: false, wireFreeAt: 0, acks: [] };
    this.connections.set(id, c);
    if (!this.networkUp()) { this.#report(id, c); return; }
    this.pending++;
    let settled = false;
    const settle = () => { if (!settled) { settled = true; this.pending--; } };
    const options = {
      host: o.host, port: o.port, clientId: o.id, username: o.user || undefined, password: o.password || undefined,
      protocolVersion: 4 as const, clean: true, reconnectPeriod: 0, connectTimeout: 10_000,
      keepalive: o.timeout ? Math.ceil(o.timeout / 1000) : 0,
      will: o.will && { topic: o.will.topic, payload: Buffer.from(o.will.message), retain: !!o.will.retain, qos: (o.will.quality ?? 0) as 0 | 1 | 2 },
    };
    if (!o.tls) { this.#attach(id, c, mqtt.connect(options), settle); return; }
    // TLS as the SDK's ssl makes it: TLS 1.2 at most, its cipher suites, secp256r1 for ECDHE;
    // no trust store of the host's (ca: [] adds none), the chain checked by sdkVerify instead.
    const tlsOpen = o.tls;
    const socket = tls.connect({
      host: o.host, port: o.port, ca: [], rejectUnauthorized: false, maxVersion: "TLSv1.2", minVersion: "TLSv1",
      ciphers: SDK_CIPHERS, ecdhCurve: "P-256", ...(net.isIP(o.host) ? {} : { servername: o.host }),
    });
    const fail = (why: string) => {
      settle();
      this.log(`MQTT FAIL: ${why}`);
      socket.destroy();
      this.#report(id, c);
    };
    socket.once("error", (error) => fail(error.message));
    socket.setTimeout(10_000, () => fail("TLS handshake timed out"));
    socket.once("secureConnect", () => {
      socket.setTimeout(0);
      if (c.closedByApp) { settle(); socket.destroy(); return; }
      if (tlsOpen.verify) {
        let outcome: string | undefined;
        try {
          outcome = sdkVerify(sentChain(socket), tlsOpen.ca ? [Buffer.from(tlsOpen.ca, "hex")] : [], tlsOpen.serverName, tlsOpen.now);
        } catch (error) { outcome = (error as Error).message; }
        if (outcome !== undefined) { fail(`TLS: ${outcome}`); return; }
      }
      socket.removeAllListeners("error");
      this.#attach(id, c, new mqtt.MqttClient(() => socket, options), settle);
    });
  }

  #attach(id: number, c: Connection, client: MqttClient, settle: () => void): void {
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
