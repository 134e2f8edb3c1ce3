// Double of the Moddable "wifi" module on ESP32 (modules/network/wifi/esp32/xs6wifi.c and wifi.js).
// The access point is on the host. Kept from the SDK:
// - Wi-Fi is initialised only by the calls that run initWiFi(): connect(options), the mode setter
//   (1..3, 0), scan(); the mode getter reads -5 (off) until then and initialises nothing. Setting
//   mode -5 deinitialises. Until it is initialised there is no station interface, so Net.get("MAC")
//   answers undefined (net.ts asks stationUp()).
// - initialisation starts the station: every listener gets "start" (WIFI_EVENT_STA_START);
// - connect() retries 5 times silently, then "disconnect" with the last reason; a later drop is
//   not retried by the platform;
// - the reason is -1 for MIC failure and 4-way/group-key/handshake timeouts (a wrong password, and
//   also a weak signal), else it keeps its previous value; only connect()/disconnect() reset it to 0.
//   The host says which ESP-IDF reason ended the attempt; this double maps it as xs6wifi.c does;
// - connect(): "ssid required", "ssid too long - 32 bytes max", "password too long - 64 bytes max"
//   (byte lengths), "bssid must be 6 bytes", "invalid channel"; the mode setter throws "invalid mode";
// - onNotify is only called for instances whose callback is set; close() stops them.
import { fire } from "./meter-zone";
import { hostCall, on, post, utf8Length } from "./runtime";

type Notify = (message: string, code?: number) => void;
const listeners = new Set<WiFi>();

export interface WiFiOptions { ssid: string; password?: string; bssid?: ArrayBuffer; channel?: number }

/** ESP-IDF wifi_err_reason_t values that xs6wifi.c turns into -1. */
const HANDSHAKE_REASONS = new Set([14 /* MIC_FAILURE */, 15 /* 4WAY_HANDSHAKE_TIMEOUT */, 16 /* GROUP_KEY_UPDATE_TIMEOUT */,
  17 /* IE_IN_4WAY_DIFFERS */, 204 /* HANDSHAKE_TIMEOUT */]);

// gWiFiState: -2 never initialised, 0 deinitialised, >= 1 initialised
let state = -2;
let espMode = 0; // WIFI_MODE_NULL 0, STA 1, AP 2, APSTA 3
let disconnectReason = 0;

/** initWiFi(mode): the mode applies only when it initialises; afterwards it is left unchanged. */
function init(mode: number): void {
  if (state > 0) return;
  state = 1;
  espMode = mode;
  post("wifi.init");
}

/** The station interface exists (what modNet.c's getNIF() needs for "MAC"). */
export function stationUp(): boolean { return state > 0 && (espMode === 1 || espMode === 3); }

export default class WiFi {
  static readonly connected = "connect";
  static readonly gotIP = "gotIP";
  static readonly disconnected = "disconnect";
  static readonly lostIP = "lostIP";
  static readonly station_connect = "station_connect";
  static readonly station_disconnect = "station_disconnect";
  static readonly Mode = Object.freeze({ off: -5, none: 0, station: 1, accessPoint: 2 });

  #callback?: Notify;

  constructor(options?: WiFiOptions, onNotify?: Notify) {
    if (options) WiFi.connect(options);
    if (onNotify) this.onNotify = onNotify;
  }
  set onNotify(callback: Notify | undefined) {
    this.#callback = callback;
    if (callback) listeners.add(this); else listeners.delete(this);
  }
  close(): void { listeners.delete(this); this.#callback = undefined; }

  static connect(options?: WiFiOptions): void {
    if (state > 1) disconnectReason = 0;
    post("wifi.disconnect"); // clearConfig(): forgets the credentials and disconnects
    if (!options) return;
    init(1);
    if (!options.ssid) throw new Error("ssid required");
    const ssid = String(options.ssid);
    if (utf8Length(ssid) > 32) throw new Error("ssid too long - 32 bytes max");
    const password = options.password ? String(options.password) : "";
    if (utf8Length(password) > 64) throw new Error("password too long - 64 bytes max");
    if (options.bssid !== undefined && (!(options.bssid instanceof ArrayBuffer) || options.bssid.byteLength !== 6)) throw new Error("bssid must be 6 bytes");
    if (options.channel !== undefined && (options.channel < 1 || options.channel > 13)) throw new Error("invalid channel");
    post("wifi.connect", ssid, password);
  }
  static disconnect(): void { WiFi.connect(); }
  static close(): void { throw new Error("use WiFi.disconnect()"); }
  static get mode(): number { return state <= 0 ? -5 : espMode; }
  static set mode(mode: number) {
    if (mode === -5) {
      if (state < 1) return;
      disconnectReason = 0;
      state = 0;
      post("wifi.disconnect");
      post("wifi.deinit");
      return;
    }
    if (mode !== 0 && mode !== 1 && mode !== 2 && mode !== 3) throw new Error("invalid mode");
    if (mode === 0) post("wifi.disconnect");
    init(mode);
    espMode = mode;
  }
  static scan(_options: object, callback: (item: { ssid: string; rssi: number; channel: number } | null) => void): void {
    init(1);
    for (const item of hostCall<{ ssid: string; rssi: number; channel: number }[]>("wifi.scan")) fire(callback, undefined, item);
    fire(callback, undefined, null);
  }

  static #notify(message: string, code?: number): void {
    for (const listener of [...listeners]) {
      const callback = listener.#callback;
      if (!callback) continue;
      if (code === undefined) fire(callback, listener, message);
      else fire(callback, listener, message, code);
    }
  }

  static {
    // "start" after initialisation; "connect", "gotIP"; "disconnect" with the ESP-IDF reasons of the
    // attempt and its silent retries, in order (each one updates the reason as xs6wifi.c does)
    on("wifi.notify", (message: string, espReasons?: number[]) => {
      if (state < 1) return; // deinitialised meanwhile: the handlers are unregistered
      if (message === "start") state = 2;
      else if (message === "connect") state = 4;
      else if (message === "gotIP") state = 5;
      if (message === "disconnect") {
        state = 2;
        for (const reason of espReasons ?? []) if (HANDSHAKE_REASONS.has(reason)) disconnectReason = -1;
        WiFi.#notify(message, disconnectReason);
      } else {
        WiFi.#notify(message);
      }
    });
  }
}
