// Node stand-ins for the bridge's platform ports, and a logger that keeps what it was told.
import type { Logger } from "../../modules/link/logger";
import type { Clock, Timers } from "../../modules/bridge/ports";

export const nodeTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export const nodeClock: Clock = {
  ticks: () => Math.floor(performance.now()),
  since: (ticks) => Math.floor(performance.now()) - ticks,
  epochMs: () => Date.now(),
};

export class TestLog implements Logger {
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  error(message: string, value?: unknown): void { this.#add("error", message, value); this.errors.push(message + String(value ?? "")); }
  warn(message: string, value?: unknown): void { this.#add("warn", message, value); }
  info(message: string, value?: unknown): void { this.#add("info", message, value); }
  debug(message: string, value?: unknown): void { this.#add("debug", message, value); }
  #add(level: string, message: string, value: unknown): void { this.lines.push(level + " " + message + (value === undefined ? "" : String(value))); }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (real time: the broker and sockets are real). */
export async function until(check: () => boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await sleep(10);
  }
}
