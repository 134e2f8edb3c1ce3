// Sets the wall clock from NTP once Wi-Fi is up (the SDK's setup/network used to do this before
// main; we removed it so BLE runs without Wi-Fi). Only timestamps depend on it: readings carry
// their age regardless, and nothing else reads the wall clock.
import SNTP from "sntp";
import Time from "time";
import { Timeout } from "../platform/timeout";
import type { Logger } from "../link/logger";

const HOSTS = Object.freeze(["pool.ntp.org", "time.google.com", "time.cloudflare.com"]);
const RETRY_MS = 60_000;
const RESYNC_MS = 24 * 3600_000;

export class ClockSync {
  synced = false;
  #client: SNTP | undefined;
  readonly #again = new Timeout(() => this.sync());

  constructor(private readonly log: Logger) {}

  /** Ask the first server; on error try the next, then retry the list later. */
  sync(): void {
    this.#client?.close();
    let index = 0;
    try {
      this.#client = new SNTP({ host: HOSTS[index] }, (message, value) => {
        try {
          if (message === SNTP.time) {
            Time.set(value as number);
            this.synced = true;
            this.#client = undefined;
            this.log.info("clock set from", HOSTS[index]);
            this.#again.start(RESYNC_MS);
          } else if (message === SNTP.error) {
            if (++index < HOSTS.length) return HOSTS[index];
            this.#client = undefined;
            this.log.warn("clock not set:", value);
            this.#again.start(RETRY_MS);
          }
        } catch (error) {
          this.log.error("SNTP callback:", error);
        }
      });
    } catch (error) {
      this.log.warn("SNTP:", error);
      this.#again.start(RETRY_MS);
    }
  }

  stop(): void { this.#again.stop(); this.#client?.close(); this.#client = undefined; }
}
