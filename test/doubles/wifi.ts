// Double of the Moddable "wifi" module (classic WiFi class). The access point is on the host.
// ESP32 facts kept: connect() retries silently then reports "disconnect" (code -1 when the
// password was rejected); once connected, a later drop is NOT retried by the platform.
import { hostCall, on, post } from "./runtime";

type Notify = (message: string, code?: number) => void;
const listeners = new Set<WiFi>();

export interface WiFiOptions { ssid: string; password?: string; bssid?: ArrayBuffer; channel?: number }

export default class WiFi {
  static readonly connected = "connect";
  static readonly gotIP = "gotIP";
  static readonly disconnected = "disconnect";
  static readonly lostIP = "lostIP";
  static readonly Mode = { none: 0, station: 1, accessPoint: 2, off: -5 } as const;

  #onNotify?: Notify;

  constructor(options?: WiFiOptions, onNotify?: Notify) {
    this.#onNotify = onNotify;
    listeners.add(this);
    if (options) WiFi.connect(options);
  }
  close(): void { listeners.delete(this); }

  static connect(options?: WiFiOptions): void {
    if (!options) { post("wifi.disconnect"); return; }
    if (options.ssid.length > 32) throw new Error("ssid too long - 32 bytes max");
    if ((options.password ?? "").length > 64) throw new Error("password too long - 64 bytes max");
    post("wifi.connect", options.ssid, options.password ?? "");
  }
  static disconnect(): void { post("wifi.disconnect"); }
  static get mode(): number { return hostCall<number>("wifi.mode"); }
  static set mode(mode: number) { post("wifi.mode", mode); }
  static scan(_options: object, callback: (item: { ssid: string; rssi: number; channel: number } | null) => void): void {
    for (const item of hostCall<{ ssid: string; rssi: number; channel: number }[]>("wifi.scan")) callback(item);
    callback(null);
  }

  static {
    on("wifi.notify", (message: string, code?: number) => {
      for (const listener of [...listeners]) listener.#onNotify?.(message, code);
    });
  }
}
