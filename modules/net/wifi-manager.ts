// Our own Wi-Fi station management (the SDK's setup/network is removed from the build so BLE runs
// even without Wi-Fi). The ESP32 port retries a connect a few times by itself, but never after a
// drop: we reconnect with backoff, and give up on an attempt that gets no IP in 30 s.
//
// Disconnect reason -1 (xs6wifi.c) means the WPA handshake failed or timed out: a wrong password,
// but just as well a weak signal. It is never reported as "wrong password", and never stops the
// retries; after several in a row the log names both causes.
import WiFi from "wifi";
import { Timeout } from "../platform/timeout";
import type { Logger } from "../link/logger";

export interface WifiListener { onUp(): void; onDown(): void }

const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 120_000;
const ATTEMPT_MS = 30_000;
/** Handshake failures in a row before the log suggests checking the password or the signal. */
const HANDSHAKE_HINT_AFTER = 3;

export const HANDSHAKE_FAILED = "handshake failed or timed out (wrong password, or a weak signal)";

export class WifiManager {
  up = false;
  connects = 0;
  drops = 0;
  lastError = "";
  /** Attempts in a row that ended with reason -1. */
  handshakeFailures = 0;
  #retryMs = RETRY_MIN_MS;
  #station: WiFi | undefined;
  #ssid: string;
  #password: string;
  readonly #retry = new Timeout(() => this.connect());
  readonly #attempt = new Timeout(() => {
    this.lastError = "no IP address within 30 s";
    this.log.warn("Wi-Fi:", this.lastError);
    this.disconnect();
    this.scheduleRetry();
  });

  constructor(ssid: string, password: string, private readonly listener: WifiListener, private readonly log: Logger) {
    this.#ssid = ssid;
    this.#password = password;
  }

  get configured(): boolean { return this.#ssid.length > 0; }
  get ssid(): string { return this.#ssid; }

  /**
   * Initialise Wi-Fi in station mode without connecting. On ESP32 the station interface (and so
   * Net.get("MAC")) exists only from here on; connect() would do it too, later.
   */
  initStation(): boolean {
    if (!this.configured) return false;
    try {
      WiFi.mode = WiFi.Mode.station;
      return true;
    } catch (error) {
      this.log.warn("Wi-Fi: station mode:", error);
      return false;
    }
  }

  start(): void {
    if (!this.configured) { this.log.warn("Wi-Fi: no SSID configured (set one with: config set ssid <name>)"); return; }
    if (!this.#station) {
      this.#station = new WiFi(undefined, (message: string, code?: number) => {
        try { this.onNotify(message, code); } catch (error) { this.log.error("Wi-Fi callback:", error); }
      });
    }
    this.connect();
  }

  /** Drop and reconnect now (console "reconnect wifi"). */
  reconnect(): void { if (this.configured) { this.disconnect(); this.connect(); } }

  /** New credentials (config ssid / password): reconnect with them, or stop when the SSID is now empty. */
  setCredentials(ssid: string, password: string): void {
    this.#ssid = ssid;
    this.#password = password;
    this.handshakeFailures = 0;
    this.lastError = "";
    this.#retryMs = RETRY_MIN_MS;
    if (!this.configured) {
      this.#retry.stop();
      this.#attempt.stop();
      this.disconnect();
      return;
    }
    if (this.#station) this.reconnect();
    else this.start();
  }

  private disconnect(): void {
    try { WiFi.disconnect(); } catch (error) { this.log.warn("Wi-Fi disconnect:", error); }
  }

  private connect(): void {
    this.#retry.stop();
    if (!this.configured) return;
    this.#attempt.start(ATTEMPT_MS);
    try {
      WiFi.connect({ ssid: this.#ssid, password: this.#password });
    } catch (error) {
      this.lastError = String(error);
      this.log.error("Wi-Fi connect:", error);
      this.#attempt.stop();
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    this.#retry.start(this.#retryMs);
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
  }

  private onNotify(message: string, code?: number): void {
    if (message === WiFi.gotIP) {
      this.#attempt.stop();
      this.#retry.stop(); // a retry scheduled by an earlier disconnect would drop this connection
      this.#retryMs = RETRY_MIN_MS;
      this.handshakeFailures = 0;
      if (this.up) return;
      this.up = true;
      this.connects++;
      this.lastError = "";
      this.log.info("Wi-Fi up:", this.#ssid);
      this.listener.onUp();
    } else if (message === WiFi.disconnected) {
      this.#attempt.stop();
      if (this.up) {
        this.up = false;
        this.drops++;
        this.lastError = "connection lost";
        this.log.warn("Wi-Fi down:", this.#ssid);
        this.listener.onDown();
      } else if (code === -1) {
        this.handshakeFailures++;
        this.lastError = HANDSHAKE_FAILED;
        if (this.handshakeFailures === HANDSHAKE_HINT_AFTER) {
          this.log.warn(`Wi-Fi: ${this.#ssid}: ${HANDSHAKE_FAILED} ${this.handshakeFailures} times in a row; ` +
            "check the password (config set password <text>) or move the gateway closer to the access point; still retrying");
        } else {
          this.log.warn(`Wi-Fi: ${this.#ssid}: ${HANDSHAKE_FAILED}; retrying`);
        }
      } else {
        this.lastError = "could not connect (no reason given)";
        this.log.warn(`Wi-Fi: ${this.#ssid}: could not connect; retrying`);
      }
      if (this.configured && !this.#retry.armed) this.scheduleRetry();
    }
  }

  close(): void { this.#station?.close(); this.#retry.close(); this.#attempt.close(); }
}
