// Our own declarations for the Moddable SDK 8.2.3 classic "wifi" module, written from observed runtime
// behaviour (/work/shared/moddable-platform.md §c). On ESP32 the app must add
// $(MODDABLE)/modules/network/wifi/manifest.json itself.

declare module "wifi" {
  export interface WiFiConnectOptions {
    /** ≤ 32 bytes */
    ssid: string;
    /** ≤ 64 bytes */
    password?: string;
    /** 6-byte ArrayBuffer */
    bssid?: ArrayBuffer;
    /** 1..13 */
    channel?: number;
  }

  export interface WiFiScanItem {
    ssid: string;
    bssid: ArrayBuffer;
    rssi: number;
    channel: number;
    hidden: boolean;
    authentication: string;
  }

  /**
   * "connect" | "gotIP" | "disconnect" | "lostIP" | "station_connect" | "station_disconnect".
   * For "disconnect" ESP32 passes code -1 when the password/handshake was rejected, else 0.
   */
  export type WiFiCallback = (message: string, code?: number) => void;

  export default class WiFi {
    /** With options, starts WiFi.connect(options). */
    constructor(options?: WiFiConnectOptions, onNotify?: WiFiCallback);
    /** Stops callbacks; does not disconnect. */
    close(): void;

    /**
     * ESP32: up to 5 silent retries, then "disconnect". A later drop is NOT retried: call connect
     * again. No argument = disconnect.
     */
    static connect(options?: WiFiConnectOptions): void;
    static disconnect(): void;
    /** WiFi.Mode.*; "off" exists on ESP32 only. */
    static mode: number;
    /** cb(item) per AP, then cb(null). One scan at a time. */
    static scan(options: { hidden?: boolean; channel?: number }, callback: (item: WiFiScanItem | null) => void): void;
    static accessPoint(options: { ssid: string; password?: string; channel?: number; hidden?: boolean; interval?: number; max?: number }): void;

    static readonly Mode: {
      readonly none: 0;
      readonly station: 1;
      readonly accessPoint: 2;
      readonly off?: -5;
    };
    static readonly connected: "connect";
    static readonly gotIP: "gotIP";
    static readonly lostIP: "lostIP";
    static readonly disconnected: "disconnect";
  }
}
