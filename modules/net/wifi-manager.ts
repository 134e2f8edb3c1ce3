// Our own Wi-Fi station management (the SDK's setup/network is removed from the build so BLE runs
// even without Wi-Fi). The ESP32 port retries a connect a few times by itself, but never after a
// drop: we reconnect with backoff, and give up on an attempt that gets no IP in 30 s.
import WiFi from "wifi";
import { Timeout } from "../platform/timeout";
import type { Logger } from "../link/logger";

export interface WifiListener { onUp(): void; onDown(): void }

const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 120_000;
const ATTEMPT_MS = 30_000;

export class WifiManager {
  up = false;
  connects = 0;
  drops = 0;
  lastError = "";
  #retryMs = RETRY_MIN_MS;
  #station: WiFi | undefined;
  readonly #retry = new Timeout(() => this.#connect());
  readonly #attempt = new Timeout(() => {
    this.lastError = "no IP address within 30 s";
    this.log.warn("Wi-Fi:", this.lastError);
    WiFi.disconnect();
    this.#scheduleRetry();
  });

  constructor(private readonly ssid: string, private readonly password: string, private readonly listener: WifiListener, private readonly log: Logger) {}

  get configured(): boolean { return this.ssid.length > 0; }

  start(): void {
    if (!this.configured) { this.log.warn("Wi-Fi: no SSID configured (set one with: config set ssid <name>)"); return; }
    this.#station = new WiFi(undefined, (message: string, code?: number) => {
      try { this.#onNotify(message, code); } catch (error) { this.log.error("Wi-Fi callback:", error); }
    });
    this.#connect();
  }

  /** Drop and reconnect now (console "reconnect wifi"). */
  reconnect(): void { if (this.configured) { WiFi.disconnect(); this.#connect(); } }

  #connect(): void {
    this.#retry.stop();
    this.#attempt.start(ATTEMPT_MS);
    try {
      WiFi.connect({ ssid: this.ssid, password: this.password });
    } catch (error) {
      this.lastError = String(error);
      this.log.error("Wi-Fi connect:", error);
      this.#attempt.stop();
      this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    this.#retry.start(this.#retryMs);
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
  }

  #onNotify(message: string, code?: number): void {
    if (message === WiFi.gotIP) {
      this.#attempt.stop();
      this.#retryMs = RETRY_MIN_MS;
      if (this.up) return;
      this.up = true;
      this.connects++;
      this.log.info("Wi-Fi up:", this.ssid);
      this.listener.onUp();
    } else if (message === WiFi.disconnected) {
      this.#attempt.stop();
      if (code === -1) { this.lastError = "password rejected"; this.log.error("Wi-Fi: password rejected for", this.ssid); }
      if (this.up) {
        this.up = false;
        this.drops++;
        this.log.warn("Wi-Fi down:", this.ssid);
        this.listener.onDown();
      }
      if (!this.#retry.armed) this.#scheduleRetry();
    }
  }

  close(): void { this.#station?.close(); this.#retry.close(); this.#attempt.close(); }
}
