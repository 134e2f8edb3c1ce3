// Double of the Moddable "mqtt" module (SDK 8.2.3 modules/network/mqtt/mqtt.js) over the lwIP socket
// of an ESP32 (lwip-socket.ts). The TCP side is a real MQTT connection made by the host to a real
// broker (test/virtual/mqtt-world.ts); this file keeps the module's behaviour, written from its source:
// - states as mqtt.js: 0 created, 1 socket up and CONNECT written, 2 CONNACK accepted, -1 closed;
//   publish/subscribe/unsubscribe throw "connection closed" below 2;
// - every packet is one socket write sized as mqtt.js builds it (header, remaining length, topic,
//   payload; UTF-8): one that does not fit in the free send buffer throws "can't write all data"
//   out of publish()/subscribe() and sends nothing; a write to a failed, not yet reported socket is
//   dropped silently; through SecureSocket (TLS) a write must fit in free - 128 bytes and costs a
//   record header more;
// - CONNACK sets state 2 at once, but onReady, and each PUBLISH's onMessage(topic, payload), run later
//   from one Timer batch; every exception they throw is swallowed; after close() the rest of the
//   batch is not delivered; retained messages look like live ones (two arguments, no flags);
//   SUBACK, PUBACK and the like are parsed and ignored; payloads of any size, each a new ArrayBuffer;
// - onClose() without arguments when the socket fails or the broker closes, called before the
//   module closes itself, never after the app's own close(); an exception from onClose escapes
//   (on the device: abort and reboot);
// - close() writes DISCONNECT (unless immediate) and ignores a failed write, so with a full send
//   buffer the broker gets no DISCONNECT and publishes the will;
// - keep-alive (timeout T ms): a repeating timer every T/4 writes PINGREQ when the last ping is
//   3/4 T - 500 ms old; no PINGRESP for 1.5 T fails the connection ("read time out"), as does a
//   PINGREQ the socket refuses ("write failed"); only PINGRESP counts as "received".
import { fireApart, isApart, later } from "./apart";
import { fire } from "./meter-zone";
import { on, post, now, toHex, fromHex } from "./runtime";
import Timer, { type TimerId } from "./timer";
import { LwipSendBuffer } from "./lwip-socket";
import SecureSocket, { type TlsOpen } from "./securesocket";

export interface MqttOptions {
  host: string; port?: number; id?: string;
  user?: string | ArrayBuffer; password?: string | ArrayBuffer;
  will?: { topic: string; message: string | ArrayBuffer; retain?: boolean; quality?: number };
  timeout?: number; path?: string; Socket?: unknown; secure?: object;
}

interface Pending { kind: "ready" | "message"; topic?: string; payload?: ArrayBuffer }

const clients = new Map<number, MQTT>();
let nextId = 1;

const charCodeAt = String.prototype.charCodeAt;

/**
 * UTF-8 bytes of a string (ArrayBuffer.fromString in XS encodes UTF-8). Counted without reading
 * `text.length` or calling a method on the primitive string, each of which makes XS a wrapper object
 * (2 slots): this runs inside the firmware's publish call (the send buffer's accounting), where the
 * RAM bench's apart mode would charge the double's garbage to the firmware (62 slots for a topic of
 * 15 characters). charCodeAt called with the string as `this` reads it as it is; NaN past the end.
 */
export function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; ; i++) {
    const c = charCodeAt.call(text, i);
    if (c !== c) return n; // NaN: past the end
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; } // UTF-16 engines: a pair is one code point
    else if (c > 0xffff) n += 4; // XS: charCodeAt of a code point above the BMP
    else n += 3;
  }
}

const byteLength = (value: string | ArrayBuffer) => typeof value === "string" ? utf8Bytes(value) : value.byteLength;
/** makeStringBuffer(): two length bytes and the text; nothing at all for undefined. */
const stringField = (value: string | ArrayBuffer | undefined) => value === undefined ? 0 : 2 + byteLength(value);
/** getRemainingLength() */
const lengthBytes = (n: number) => n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
const packetBytes = (payload: number) => 1 + lengthBytes(payload) + payload;

const textOf = (value: string | ArrayBuffer | undefined) =>
  value === undefined || typeof value === "string" ? value : String.fromCharCode(...new Uint8Array(value));

function postPublish(id: unknown, name: unknown, body: unknown, retain: unknown, quality: unknown, bytes: unknown): void {
  const payload = typeof body === "string" ? body : { hex: toHex(body as ArrayBuffer) };
  post("mqtt.publish", id, typeof name === "string" ? name : textOf(name as ArrayBuffer), payload, retain, quality, bytes);
}

export default class MQTT {
  #id = nextId++;
  #state = 0;
  /** The socket; undefined once closed (mqtt.js deletes this.ws). */
  #socket: LwipSendBuffer | undefined;
  #options: MqttOptions;
  #timeout: number;
  #keepalive: TimerId | undefined;
  #lastRead = 0;
  #lastWrite = 0;
  #batch: Pending[] | undefined;
  #batchTimer: TimerId | undefined;

  onConnected?(): void;
  onReady?(): void;
  onMessage?(topic: string, data: ArrayBuffer): void;
  onClose?(): void;

  constructor(options: MqttOptions) {
    if (!options.host) throw new Error("parameter host is required");
    this.#options = options;
    const port = options.port ? options.port : (options.path ? 80 : 1883);
    // mqtt.js: new (dictionary.Socket)({host, port, secure}); SecureSocket can throw right here
    let tls: TlsOpen | undefined;
    if (options.Socket) {
      const socket = new (options.Socket as new (dict: object) => { tls?: TlsOpen })({ host: options.host, port, secure: options.secure });
      tls = socket.tls;
    }
    this.#socket = new LwipSendBuffer(options.Socket === SecureSocket);
    this.#timeout = options.timeout ?? 0;
    clients.set(this.#id, this);
    post("mqtt.open", this.#id, {
      host: options.host, port, id: options.id ?? "",
      user: options.user ? textOf(options.user) : undefined, password: options.password ? textOf(options.password) : undefined,
      will: options.will && { ...options.will, message: textOf(options.will.message) },
      timeout: this.#timeout, tls,
    });
  }

  publish(topic: string, data: string | ArrayBuffer, flags?: { retain?: boolean; quality?: number; duplicate?: boolean }): void {
    if (this.#state < 2) throw new Error("connection closed");
    const name: string | ArrayBuffer = typeof topic === "string" || (topic as unknown) instanceof ArrayBuffer ? topic : String(topic);
    const body = data instanceof ArrayBuffer ? data : String(data); // anything else goes through ArrayBuffer.fromString
    const quality = flags?.quality ? flags.quality & 3 : 0;
    const bytes = packetBytes(stringField(name) + byteLength(body) + (quality ? 2 : 0));
    if (!this.#write(bytes)) return;
    // the host's copy (hex text and op): in the RAM bench's apart mode, in a delivery of its own (apart.ts)
    const retain = !!flags?.retain;
    if (!later(postPublish, this.#id, name, body, retain, quality, bytes)) postPublish(this.#id, name, body, retain, quality, bytes);
  }

  subscribe(topic: string): void { this.#subscription(topic, true); }
  unsubscribe(topic: string): void { this.#subscription(topic, false); }

  close(immediate?: boolean): void {
    const socket = this.#socket;
    if (socket) {
      let disconnect = false;
      if (!immediate) {
        try { disconnect = socket.write(2); } catch { /* ignored, as mqtt.js does */ }
      }
      this.#socket = undefined;
      clients.delete(this.#id);
      post("mqtt.close", this.#id, !disconnect);
    }
    if (this.#keepalive) Timer.clear(this.#keepalive);
    this.#keepalive = undefined;
    if (this.#batchTimer) Timer.clear(this.#batchTimer);
    this.#batchTimer = undefined;
    this.#batch = undefined;
    this.#state = -1;
  }

  /** Bytes free in the socket's send buffer (for tests; the firmware cannot see this). */
  get sendBufferFree(): number { return this.#socket?.free ?? 0; }

  #subscription(topic: string, subscribe: boolean): void {
    if (this.#state < 2) throw new Error("connection closed");
    const bytes = packetBytes(2 + stringField(String(topic)) + (subscribe ? 1 : 0));
    if (this.#write(bytes)) post("mqtt.subscribe", this.#id, String(topic), subscribe, bytes);
  }

  /** this.ws.write(): throws when the packet does not fit, false when silently dropped. */
  #write(bytes: number): boolean {
    const socket = this.#socket;
    if (!socket) throw new TypeError("cannot read property 'write' of undefined"); // only after a throwing onClose
    return socket.write(bytes);
  }

  /** mqtt.js fail(): onClose first, then close() (which an exception from onClose skips). */
  #fail(): void {
    if (this.onClose) fire(this.onClose, this);
    this.close();
  }

  #connected(): void {
    this.#state = 1;
    if (this.onConnected) fire(this.onConnected, this);
    const o = this.#options, will = o.will;
    let payload = 10 + stringField(o.id ?? "") + stringField(o.user || undefined) + stringField(o.password || undefined);
    if (will) payload += stringField(will.topic) + 2 + byteLength(will.message instanceof ArrayBuffer ? will.message : String(will.message));
    const bytes = packetBytes(payload);
    try {
      if (!this.#write(bytes)) return;
    } catch {
      this.#fail();
      return;
    }
    post("mqtt.connect", this.#id, bytes);
    if (this.#timeout) {
      this.#keepalive = Timer.repeat(() => this.#keepaliveTick(), this.#timeout >> 2);
      this.#lastRead = this.#lastWrite = now();
    }
  }

  #keepaliveTick(): void {
    const t = now(), timeout = this.#timeout;
    if (t - this.#lastRead >= timeout + (timeout >> 1)) { this.#fail(); return; } // "read time out"
    if (t - this.#lastWrite >= ((timeout >> 2) * 3) - 500) {
      try {
        this.#lastWrite = t;
        if (this.#write(2)) post("mqtt.ping", this.#id, 2);
      } catch {
        this.#fail(); // "write failed"
      }
    }
  }

  #queue(message: Pending): void {
    (this.#batch ??= []).push(message);
    this.#batchTimer ??= Timer.set(() => this.#deliver());
  }

  #deliver(): void {
    const batch = this.#batch ?? [];
    this.#batch = undefined;
    this.#batchTimer = undefined;
    for (let i = 0; i < batch.length && this.#socket; i++) {
      const m = batch[i];
      // the RAM bench's apart mode (apart.ts): the firmware's callback in a delivery of its own, after
      // this one (the double's: the batch timer's dispatch); exceptions there are not swallowed
      if (isApart()) {
        if (m.kind === "ready") fireApart(this.onReady, this);
        else if (this.onMessage) fireApart(this.onMessage, this, m.topic, m.payload);
        continue;
      }
      try {
        if (m.kind === "ready") fire(this.onReady as () => void, this); // not optional in mqtt.js: a missing one throws, swallowed
        else if (this.onMessage) fire(this.onMessage, this, m.topic!, m.payload!);
      } catch {
        // swallowed, as mqtt.js does
      }
    }
  }

  static {
    const client = (id: number) => clients.get(id);
    on("mqtt.connected", (id: number) => { const c = client(id); if (c) c.#connected(); });
    on("mqtt.ready", (id: number) => {
      const c = client(id);
      if (!c || c.#state !== 1) return;
      c.#state = 2;
      c.#queue({ kind: "ready" });
    });
    on("mqtt.message", (id: number, topic: string, hex: string) => {
      const c = client(id);
      if (!c || c.#state < 2) return;
      c.#queue({ kind: "message", topic, payload: fromHex(hex) });
    });
    on("mqtt.acked", (id: number, bytes: number) => { const c = client(id); if (c) c.#socket?.acked(bytes); });
    on("mqtt.pingresp", (id: number) => { const c = client(id); if (c && c.#keepalive) c.#lastRead = now(); });
    // lwIP knows the socket is gone; JavaScript hears of it with "mqtt.closed", later
    on("mqtt.failed", (id: number) => { const c = client(id); if (c && c.#socket) c.#socket.failed = true; });
    on("mqtt.closed", (id: number) => {
      const c = client(id);
      if (!c || !c.#socket) return; // closed by the app: no onClose
      c.#socket = undefined; // socket_callback deletes this.ws before fail(): no DISCONNECT
      clients.delete(id);
      c.#fail();
    });
  }
}
