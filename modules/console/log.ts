// Leveled logger: error, warn, info, debug. Pure (sinks are injected).
//
// Cheap when a level is off: callers pass a constant message and up to three values, and nothing
// is formatted (no string building, no allocation) unless the level is on:
//     log.debug("link: notification bytes", n);          // good
//     log.debug(`link: notification ${n} bytes`);        // builds the string even when off
// Lines go to every sink (the serial console, trace) and into a small history for "log" / MQTT.
// Never log secrets.

import type { LogLevelName } from "../config/schema";

export const ERROR = 0;
export const WARN = 1;
export const INFO = 2;
export const DEBUG = 3;

export const LEVEL_NAMES: readonly LogLevelName[] = Object.freeze(["error", "warn", "info", "debug"] as const);
const LETTERS = "EWID";

/** Receives each formatted line (no line ending). Must not throw; if it does, it is ignored. */
export type LogSink = (level: number, line: string) => void;

export interface LogOptions {
  level?: LogLevelName;
  /** Lines kept for "log" (default 24; 0 = none). */
  history?: number;
  /** Milliseconds since boot, printed as seconds in front of each line. */
  now?: () => number;
}

const HEX = "0123456789abcdef";

/** How a value appears in a log line. */
export function formatValue(value: unknown): string {
  switch (typeof value) {
    case "string": return value;
    case "number": case "boolean": case "bigint": return String(value);
    case "undefined": return "undefined";
    case "function": return "[function]";
    case "symbol": return String(value);
  }
  if (value === null) return "null";
  if (value instanceof Error) return value.message ? `${value.name}: ${value.message}` : value.name;
  if (value instanceof ArrayBuffer || value instanceof Uint8Array) {
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
    const n = bytes.length > 64 ? 64 : bytes.length;
    let s = "";
    for (let i = 0; i < n; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
    return bytes.length > n ? s + "…(" + bytes.length + " bytes)" : s;
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export class Log {
  /** 0 error … 3 debug: messages above it are dropped. */
  level: number;
  readonly #sinks: LogSink[] = [];
  readonly #history: string[] = [];
  readonly #historySize: number;
  #next = 0;
  #now?: () => number;
  /** Lines written per level since boot (error, warn, info, debug). */
  readonly counts = [0, 0, 0, 0];

  constructor(options: LogOptions = {}) {
    this.level = options.level ? LEVEL_NAMES.indexOf(options.level) : INFO;
    if (this.level < 0) this.level = INFO;
    this.#historySize = options.history ?? 24;
    this.#now = options.now;
  }

  get levelName(): LogLevelName { return LEVEL_NAMES[this.level]; }

  /** Set the level by name ("error" | "warn" | "info" | "debug"); false for anything else. */
  setLevel(name: string): boolean {
    const i = LEVEL_NAMES.indexOf(name.toLowerCase() as LogLevelName);
    if (i < 0) return false;
    this.level = i;
    return true;
  }

  addSink(sink: LogSink): void { this.#sinks.push(sink); }

  removeSink(sink: LogSink): void {
    const i = this.#sinks.indexOf(sink);
    if (i >= 0) this.#sinks.splice(i, 1);
  }

  enabled(level: number): boolean { return level <= this.level; }

  error(message: string, a?: unknown, b?: unknown, c?: unknown): void {
    if (this.level >= ERROR) this.emit(ERROR, message, a, b, c);
  }
  warn(message: string, a?: unknown, b?: unknown, c?: unknown): void {
    if (this.level >= WARN) this.emit(WARN, message, a, b, c);
  }
  info(message: string, a?: unknown, b?: unknown, c?: unknown): void {
    if (this.level >= INFO) this.emit(INFO, message, a, b, c);
  }
  debug(message: string, a?: unknown, b?: unknown, c?: unknown): void {
    if (this.level >= DEBUG) this.emit(DEBUG, message, a, b, c);
  }

  /** The kept lines, oldest first. */
  recent(): string[] {
    const h = this.#history;
    if (h.length < this.#historySize) return h.slice();
    return h.slice(this.#next).concat(h.slice(0, this.#next));
  }

  private emit(level: number, message: string, a: unknown, b: unknown, c: unknown): void {
    let line = LETTERS[level] + " " + message;
    if (a !== undefined) line += " " + formatValue(a);
    if (b !== undefined) line += " " + formatValue(b);
    if (c !== undefined) line += " " + formatValue(c);
    if (this.#now) {
      let ms = 0;
      try { ms = this.#now(); } catch { /* clock unavailable */ }
      line = stamp(ms) + " " + line;
    }
    this.counts[level]++;
    if (this.#historySize > 0) {
      if (this.#history.length < this.#historySize) this.#history.push(line);
      else {
        this.#history[this.#next] = line;
        this.#next = (this.#next + 1) % this.#historySize;
      }
    }
    for (let i = 0; i < this.#sinks.length; i++) {
      try {
        this.#sinks[i](level, line);
      } catch {
        // a failing sink must never take the caller down
      }
    }
  }
}

/** "    12.345" seconds since boot, fixed width up to ~11 days. */
function stamp(ms: number): string {
  const s = Math.floor(ms / 1000);
  const frac = String(1000 + (ms % 1000 | 0)).slice(1);
  return (String(s).padStart(6) + "." + frac);
}

/** A sink that writes through the global `trace` (xsbug in -d builds, stdout on the simulator). */
export function traceSink(level: number, line: string): void {
  const trace = (globalThis as { trace?: (...values: unknown[]) => void }).trace;
  if (trace) trace(line, "\n");
}
