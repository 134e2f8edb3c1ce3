// Manual time and a scripted SDK MQTT client, for tests that drive the connection, the bridge or the
// MQTT service without a broker and without real time: the test plays the broker (onReady,
// onMessage, onClose) and lets time pass itself (ManualTimers.run).
import type { MqttClient, MqttOptions, Timers, Clock } from "../../modules/bridge/ports";

/** Manual time: run() fires what is due, in order; `armed` records each set() as [at, ms]. */
export class ManualTimers implements Timers {
  now = 0;
  readonly armed: Array<[number, number]> = [];
  #next = 1;
  readonly #due = new Map<number, [number, () => void]>();
  set(callback: () => void, ms: number): unknown { const id = this.#next++; this.armed.push([this.now, ms]); this.#due.set(id, [this.now + ms, callback]); return id; }
  clear(handle: unknown): void { this.#due.delete(handle as number); }
  get pending(): number[] { return [...this.#due.values()].map(([at]) => at).sort((a, b) => a - b); }
  run(until: number): void {
    for (;;) {
      let first: [number, number] | undefined;
      for (const [id, [at]] of this.#due) if (at <= until && (!first || at < first[1])) first = [id, at];
      if (!first) break;
      const [, callback] = this.#due.get(first[0])!;
      this.#due.delete(first[0]);
      this.now = first[1];
      callback();
    }
    this.now = until;
  }
  /** Lets one turn pass (what is due at once runs). */
  turn(): void { this.run(this.now); }
  /** Runs every timer due within `gapMs` of the last one run (a pump's turns, its retries), and stops at the first longer wait. */
  drain(gapMs = 1_700): void {
    for (let i = 0; ; i++) {
      if (i === 100_000) throw new Error("timers kept coming");
      const next = this.pending[0];
      if (next === undefined || next > this.now + gapMs) return;
      this.run(next);
    }
  }
  /** A clock on this time (ticks in ms); the wall clock is `epochMs`. */
  clock(epochMs = 0): Clock {
    return { ticks: () => this.now, since: (ticks) => this.now - ticks, epochMs: () => epochMs };
  }
}

/** A scripted SDK client: records what its user does with it; the test plays the broker. */
export class ScriptedClient implements MqttClient {
  onReady?: () => void;
  onMessage?: (topic: string, data: ArrayBuffer) => void;
  onClose?: () => void;
  /** [topic, payload as text, flags] of every publish, in order. */
  readonly published: Array<[string, string, unknown]> = [];
  readonly subscribed: string[] = [];
  readonly closed: boolean[] = [];
  failPublish = false;
  failSubscribe = false;
  failClose = false;
  constructor(readonly options: MqttOptions) {}
  publish(topic: string, data: string | ArrayBuffer, flags?: { retain?: boolean }): void {
    if (this.failPublish) throw new Error("can't write all data");
    this.published.push([topic, typeof data === "string" ? data : Buffer.from(data).toString(), flags]);
  }
  subscribe(topic: string): void {
    if (this.failSubscribe) throw new Error("connection closed");
    this.subscribed.push(topic);
  }
  close(immediate?: boolean): void {
    this.closed.push(!!immediate);
    if (this.failClose) throw new Error("socket gone");
  }
}

/** Bytes of a text as the SDK hands a payload to onMessage. */
export const bytes = (text: string | Buffer) => new Uint8Array(Buffer.from(text)).buffer as ArrayBuffer;
