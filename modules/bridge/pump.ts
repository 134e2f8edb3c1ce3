// Paced publishing. On the ESP32 a socket write that does not fit in what is left of the TCP send
// buffer (~5.7 KB) throws and sends nothing, and the buffer only drains between turns; a full
// republish after a reconnect (discovery of every entity) is tens of KB. So nothing is published
// from inside an event: events mark what needs publishing, and the pump sends a few KB per turn,
// asking its owner for the next item each time. A publish the socket refuses is tried again a
// little later; one that keeps failing is given up, so a single bad item cannot stall the rest.
import type { Logger } from "../link/logger";
import type { MqttConnection } from "./mqtt-connection";
import type { TimerHandle, Timers } from "./ports";

/**
 * Publishes the owner's most urgent item with pump.send(): the bytes sent (at least 1 whenever
 * something was done), 0 when nothing is waiting, -1 when the publish failed and must be retried.
 */
export type NextItem = () => number;

/** Bytes handed to the socket per turn, well under the ESP32's 5744-byte TCP send buffer. */
const BUDGET = 2048;
const PACE_MS = 20;
const RETRY_MS = 250;
const MAX_ATTEMPTS = 20;
/** Results, errors and console answers waiting (not retained: the oldest go when it is full). */
const MAX_OUTBOX = 8;

export class Pump {
  /** Topic, payload, topic, payload, ... */
  readonly #outbox: string[] = [];
  #timer: TimerHandle | undefined;
  #attempts = 0;
  readonly #onTimer = () => {
    this.#timer = undefined;
    try { this.#run(); } catch (error) { this.log.error("publish pump:", error); }
  };

  constructor(
    private readonly connection: MqttConnection,
    private readonly timers: Timers,
    private readonly log: Logger,
    private readonly next: NextItem,
  ) {}

  /** Something was marked: publish from the next turn on. */
  kick(): void {
    if (this.#timer === undefined && this.connection.online) this.#timer = this.timers.set(this.#onTimer, 0);
  }

  /** Connection gone: answers to its requests are moot, marked items wait for the next one. */
  stop(): void {
    this.#outbox.length = 0;
    this.#attempts = 0;
    if (this.#timer !== undefined) this.timers.clear(this.#timer);
    this.#timer = undefined;
  }

  /** A message that is an event, not a state (results, errors): sent before any marked item. */
  enqueue(topic: string, payload: string): void {
    if (!this.connection.online) { this.log.debug("MQTT offline, not sent:", topic); return; }
    if (this.#outbox.length >= 2 * MAX_OUTBOX) {
      this.log.warn("MQTT outbox full, dropped:", this.#outbox[0]);
      this.#outbox.splice(0, 2);
    }
    this.#outbox.push(topic, payload);
    this.kick();
  }

  /** For NextItem: publish now. */
  send(topic: string, payload: string, retain: boolean): number {
    if (this.connection.publish(topic, payload, retain)) return topic.length + payload.length;
    if (this.#attempts + 1 < MAX_ATTEMPTS || !this.connection.online) return -1;
    this.log.warn("MQTT: publish keeps failing, skipped:", topic);
    return 1;
  }

  #run(): void {
    let budget = BUDGET;
    while (this.connection.online) {
      const sent = this.#outbox.length ? this.#sendOutbox() : this.next();
      if (sent === 0) return;
      if (sent < 0) {
        if (!this.connection.online) return; // the owner marks everything again on the next connect
        this.#attempts++;
        this.#timer = this.timers.set(this.#onTimer, RETRY_MS);
        return;
      }
      this.#attempts = 0;
      budget -= sent;
      if (budget <= 0) { this.#timer = this.timers.set(this.#onTimer, PACE_MS); return; }
    }
  }

  #sendOutbox(): number {
    const sent = this.send(this.#outbox[0], this.#outbox[1], false);
    if (sent > 0) this.#outbox.splice(0, 2);
    return sent;
  }
}
