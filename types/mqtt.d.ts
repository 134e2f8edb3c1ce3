// Our own declarations for the Moddable SDK 8.2.3 classic "mqtt" module (the SDK ships none for it),
// written from observed runtime behaviour as recorded in /work/shared/moddable-platform.md §b.

declare module "mqtt" {
  export interface MQTTWill {
    topic: string;
    message: string | ArrayBuffer;
    retain?: boolean;
    /** QoS 0..2 — the field is named `quality`, not `qos`. */
    quality?: 0 | 1 | 2;
  }

  export interface MQTTOptions {
    /** required: throws "parameter host is required" otherwise */
    host: string;
    /** default 1883 (TCP) or 80 (WebSocket) */
    port?: number;
    /** client id, default "" */
    id?: string;
    user?: string | ArrayBuffer;
    password?: string | ArrayBuffer;
    will?: MQTTWill;
    /**
     * Keep-alive in MILLISECONDS (sent rounded up to seconds). Absent/0 disables keep-alive and
     * any dead-link detection; with T, onClose ("read time out") ~1.5×T after the broker goes silent.
     */
    timeout?: number;
    /** present = MQTT over WebSocket */
    path?: string;
    /** socket class override, e.g. SecureSocket from "securesocket" for TLS (port 8883) */
    Socket?: abstract new (...args: any[]) => object;
    /** options handed to that socket (certificate, protocolVersion, ...) */
    secure?: Record<string, unknown>;
  }

  export interface PublishFlags {
    retain?: boolean;
    /** QoS bits go on the wire but nothing is retransmitted or confirmed: effectively QoS 0. */
    quality?: 0 | 1 | 2;
    duplicate?: boolean;
  }

  /**
   * MQTT 3.1.1 client, CleanSession always set, no reconnection: after onClose the instance is dead.
   * Callbacks may be assigned as properties or overridden in a subclass.
   */
  export default class MQTT {
    constructor(options: MQTTOptions);
    /** TCP/WebSocket up, CONNECT not yet answered. */
    onConnected?(): void;
    /** CONNACK accepted. Exceptions thrown here are swallowed by the SDK: catch and log yourself. */
    onReady?(): void;
    /** One call per PUBLISH; a new ArrayBuffer each time. Exceptions are swallowed by the SDK. */
    onMessage?(topic: string, data: ArrayBuffer): void;
    /** No arguments: the reason is only traced. Not called for the app's own close(). */
    onClose?(): void;
    /**
     * Throws Error("connection closed") before onReady and after close/failure.
     * Anything but a string or ArrayBuffer is sent as String(x).
     */
    publish(topic: string, data: string | ArrayBuffer, flags?: PublishFlags): void;
    /** One topic per call, always QoS 0. Throws like publish(). */
    subscribe(topic: string): void;
    unsubscribe(topic: string): void;
    /** close() sends DISCONNECT (will discarded); close(true) skips it (broker publishes the will). */
    close(immediate?: boolean): void;
  }
}
