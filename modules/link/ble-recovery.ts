// Deliberate restarts, for what only a reboot can clear on an ESP32 (a BLE connect that hangs
// while other links need the radio, a BLE client that can't be created again). The reason is kept
// in flash for the next boot's log and diag; the rate is bounded: a restart needs an uptime of
// 2 min x 2^n, n the restarts in a row (2, 4, 8 ... 64 min), and n starts again from 0 once a boot
// has run for an hour. At most one restart per 2 minutes, and at most one an hour in the long run.
import type { Logger } from "./logger";

export interface RestartStore {
  get(key: string): string | number | undefined;
  set(key: string, value: string | number): void;
  delete(key: string): void;
}

export interface RecoveryPorts {
  /** Reboot now; false when the build has no System.restart(). */
  restart(): boolean;
  uptimeMs(): number;
  store: RestartStore;
  log: Logger;
}

export const RESTART_MIN_UPTIME_MS = 2 * 60_000;
export const RESTART_MAX_SHIFT = 5;
export const RESTART_STREAK_RESET_MS = 60 * 60_000;
const REASON_KEY = "rstReason", COUNT_KEY = "rstCount";

export class Recovery {
  /** Why the previous boot ended deliberately ("" if it did not). */
  readonly bootReason: string;
  restarts = 0;
  #streak: number;
  #blocked = "";

  constructor(private readonly ports: RecoveryPorts) {
    const reason = ports.store.get(REASON_KEY);
    this.bootReason = typeof reason === "string" ? reason : "";
    const streak = ports.store.get(COUNT_KEY);
    this.#streak = typeof streak === "number" && streak > 0 ? streak : 0;
    if (this.bootReason) {
      ports.log.warn("restarted deliberately:", this.bootReason);
      ports.store.delete(REASON_KEY); // a later power cycle is not ours
    }
  }

  /** Uptime a restart needs now. */
  get minUptimeMs(): number {
    const streak = this.ports.uptimeMs() >= RESTART_STREAK_RESET_MS ? 0 : this.#streak;
    return RESTART_MIN_UPTIME_MS * 2 ** Math.min(streak, RESTART_MAX_SHIFT);
  }

  /** Restart for `reason` if the rate allows (a console request always may); false if not now. */
  restart(reason: string, requested = false): boolean {
    const uptime = this.ports.uptimeMs();
    if (!requested && uptime < this.minUptimeMs) {
      if (this.#blocked !== reason) {
        this.#blocked = reason;
        this.ports.log.warn("restart needed, held back by the rate limit:", reason);
      }
      return false;
    }
    const streak = uptime >= RESTART_STREAK_RESET_MS ? 0 : this.#streak;
    try {
      this.ports.store.set(REASON_KEY, reason.slice(0, 120));
      this.ports.store.set(COUNT_KEY, requested ? streak : streak + 1);
    } catch (error) { this.ports.log.error("restart record:", error); }
    this.ports.log.warn("restarting:", reason);
    this.restarts++;
    return this.ports.restart();
  }
}
