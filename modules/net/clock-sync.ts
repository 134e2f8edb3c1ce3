// Sets the wall clock from NTP once Wi-Fi is up (the SDK's setup/network used to do this before
// main; we removed it so BLE runs without Wi-Fi). Only timestamps depend on it: readings carry
// their age regardless, and nothing else reads the wall clock.
//
// The SDK's sntp.js retries by itself (a request every 5 s, 5 tries per host) and moves to the
// next host when the error callback returns one; we use exactly that, one instance at a time.
// sntp.js closes its UDP socket itself: right after a reply (inside the socket's read callback)
// and after the last error (possibly within milliseconds of creating it, when DNS fails at once).
// On the Linux simulator's socket (modules/network/socket/lin) a close while the socket still has
// a message queued (its first "connected", or a second datagram) frees memory that message then
// uses, and mcsim crashes. So every close of our instance, the SDK's own included, is moved to a
// timer turn of its own, at least SETTLE_MS after the instance was made, and a new instance is
// made only once the previous one is closed.
import SNTP from "sntp";
import Time from "time";
import Timer from "timer";
import { Timeout } from "../platform/timeout";
import type { Logger } from "../link/logger";

const HOSTS = Object.freeze(["pool.ntp.org", "time.google.com", "time.cloudflare.com"]);
const RETRY_MIN_MS = 60_000;
const RETRY_MAX_MS = 30 * 60_000;
const RESYNC_MS = 24 * 3600_000;
/** lin delivers a UDP socket's "connected" within one 20 ms service tick; leave ample margin. */
const SETTLE_MS = 1_000;

/** An SNTP instance whose close() (called by us or by sntp.js itself) runs later, on a timer turn. */
class SettledSNTP extends SNTP {
  readonly #made = Time.ticks;
  #closing = false;
  onClosed: (() => void) | undefined;

  override close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const wait = Math.max(10, SETTLE_MS - Time.delta(this.#made));
    Timer.set(() => {
      try { super.close(); } catch { /* already closed by the platform: nothing left to free */ }
      const onClosed = this.onClosed;
      this.onClosed = undefined;
      onClosed?.();
    }, wait);
  }
}

export class ClockSync {
  synced = false;
  /** Completed attempts (every host tried) without an answer, since the last success. */
  failures = 0;
  lastError = "";
  #client: SettledSNTP | undefined;
  /** The running instance (ours until it has closed; a stopped one is no longer "current"). */
  #current: SettledSNTP | undefined;
  #wanted = false;
  #retryMs = RETRY_MIN_MS;
  readonly #again = new Timeout(() => this.begin());

  constructor(private readonly log: Logger) {}

  /** The network is up: sync now unless synced already or an attempt is under way. */
  start(): void {
    this.#wanted = true;
    if (this.#current || this.#again.armed) return;
    this.begin();
  }

  /** The network is down: stop retrying; a running instance is closed (later, see above). */
  stop(): void {
    this.#wanted = false;
    this.#again.stop();
    const current = this.#current;
    this.#current = undefined;
    current?.close();
  }

  private begin(): void {
    if (!this.#wanted) return;
    if (this.#client) return; // the previous instance is still closing; its onClosed begins again
    let index = 0;
    let client: SettledSNTP;
    try {
      client = new SettledSNTP({ host: HOSTS[index] }, (message, value) => {
        try {
          if (this.#current !== client) return; // stopped: let it wind down by itself
          if (message === SNTP.time) {
            Time.set(value as number);
            this.synced = true;
            this.failures = 0;
            this.lastError = "";
            this.#retryMs = RETRY_MIN_MS;
            this.#current = undefined;
            this.log.info("clock set from", HOSTS[index]);
            this.#again.start(RESYNC_MS);
          } else if (message === SNTP.error) {
            this.lastError = `${HOSTS[index]}: ${value}`;
            if (++index < HOSTS.length) {
              this.log.debug("SNTP: next host after", this.lastError);
              return HOSTS[index]; // sntp.js starts over with this host on the same socket
            }
            this.failures++;
            this.#current = undefined;
            this.log.warn(`clock not set: ${this.lastError}; next try in ${this.#retryMs / 1000} s`);
            this.#again.start(this.#retryMs);
            this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
          }
        } catch (error) {
          this.log.error("SNTP callback:", error);
        }
        return undefined;
      });
    } catch (error) {
      this.lastError = String(error);
      this.log.warn("SNTP:", error);
      this.#again.start(this.#retryMs);
      return;
    }
    client.onClosed = () => {
      if (this.#client === client) this.#client = undefined;
      if (this.#current === client) this.#current = undefined; // closed by the platform on its own
      if (this.#wanted && !this.#again.armed && !this.#current) this.begin();
    };
    this.#client = client;
    this.#current = client;
  }
}
