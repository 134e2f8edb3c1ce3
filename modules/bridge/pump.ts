// Paced publishing. On the ESP32 the SDK writes every MQTT packet whole into lwIP's TCP send buffer
// (8192 bytes, send-buffer.ts); a packet that does not fit in what is still unacknowledged throws,
// and the space comes back only as the broker acknowledges, i.e. over a few round trips, never
// within one turn. A full republish after a reconnect (discovery of every entity of three packs) is
// tens of KB. So nothing is published from inside an event: events mark what needs publishing, and
// the pump sends a budget of bytes per turn, turns apart, asking its owner for the next item each
// time. The budget and pace keep a healthy link (100 KB/s, 50 ms round trip) well under the
// buffer: about 40 KB/s offered, at most ~4 KB unacknowledged. On a slower link the socket refuses
// some writes: each refusal is counted (MQTT statistics), and the same item is tried again, later
// each time, so nothing is lost and the order is kept. Only a packet larger than the whole buffer,
// which can never be sent, is given up (logged); and one refused for a minute (a link that no
// longer drains: the keep-alive is about to end it).
import type { Logger } from "../link/logger";
import type { MqttConnection } from "./mqtt-connection";
import type { TimerHandle, Timers } from "./ports";
import { utf8Length } from "../config/schema";
import { MAX_PACKET, SEND_BUFFER, packetBytes } from "./send-buffer";

/**
 * Publishes the owner's most urgent item with pump.send(): the bytes sent (at least 1 whenever
 * something was done), 0 when nothing is waiting, -1 when the publish failed and must be retried.
 */
export type NextItem = () => number;

/** Packet bytes handed to the socket per turn: a quarter of the send buffer. */
const BUDGET = SEND_BUFFER / 4;
const PACE_MS = 50;
/** After a refusal: wait for acknowledgements, longer each time it is refused again. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1600;
const GIVE_UP_MS = 60_000;
/** Results, errors and console answers waiting (not retained: the oldest go when it is full). */
const MAX_OUTBOX = 8;
/** Topics whose UTF-8 length is kept: counting a string in JavaScript costs XS a wrapper object per
 *  character read (62 slots for "jbd/house/state"), and the topics of the poll cycle are few. */
const TOPIC_CACHE_SIZE = 32;

export class Pump {
  // made at run time: a Map made while a preloaded module loads is read-only on the device
  readonly #topicBytes = new Map<string, number>();
  /** Topic, payload, topic, payload, ... */
  readonly #outbox: (string | ArrayBuffer)[] = [];
  #timer: TimerHandle | undefined;
  /** Time the current item has been waiting for space (ms), and the next wait. */
  #refusedMs = 0;
  #retryMs = RETRY_MIN_MS;
  /** The owner said the item just sent was the last one marked (lastItem). */
  #lastItem = false;
  readonly #onTimer = () => {
    this.#timer = undefined;
    try { this.run(); } catch (error) { this.log.error("publish pump:", error); }
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
    this.#refusedMs = 0;
    this.#retryMs = RETRY_MIN_MS;
    if (this.#timer !== undefined) this.timers.clear(this.#timer);
    this.#timer = undefined;
  }

  /** A message that is an event, not a state (results, errors): sent before any marked item. */
  enqueue(topic: string, payload: string | ArrayBuffer): void {
    if (!this.connection.online) { this.log.debug("MQTT offline, not sent:", topic); return; }
    if (this.#outbox.length >= 2 * MAX_OUTBOX) {
      this.log.warn("MQTT outbox full, dropped:", this.#outbox[0]);
      this.#outbox.splice(0, 2);
    }
    this.#outbox.push(topic, payload);
    this.kick();
  }

  /**
   * For NextItem: publish now. Returns the packet's bytes, or -1 to be called again later. `once`:
   * a topic published once per pass (discovery, retirement), whose length is not worth keeping.
   */
  send(topic: string, payload: string | ArrayBuffer, retain: boolean, once = false): number {
    const bytes = packetBytes(once ? utf8Length(topic) : this.topicLength(topic), typeof payload === "string" ? utf8Length(payload) : payload.byteLength);
    if (bytes > MAX_PACKET) {
      this.connection.stats.publishesTooLarge++;
      this.log.error("MQTT: a " + bytes + "-byte packet can never be written (the " + SEND_BUFFER + "-byte send buffer takes at most " + MAX_PACKET + "), not sent:", topic);
      return 1;
    }
    if (this.connection.publish(topic, payload, retain)) return bytes;
    if (this.#refusedMs < GIVE_UP_MS || !this.connection.online) return -1;
    this.log.warn("MQTT: publish refused for a minute, skipped:", topic);
    return 1;
  }

  /**
   * For NextItem, after a send: nothing else is marked. The turn ends without asking again (a call
   * that finds nothing costs the owner a search of everything it holds, each poll cycle).
   */
  lastItem(): void { this.#lastItem = true; }

  private run(): void {
    let budget = BUDGET;
    while (this.connection.online) {
      this.#lastItem = false;
      const sent = this.#outbox.length ? this.sendOutbox() : this.next();
      if (sent === 0) return;
      if (sent < 0) {
        if (!this.connection.online) return; // the owner marks everything again on the next connect
        this.#timer = this.timers.set(this.#onTimer, this.#retryMs);
        this.#refusedMs += this.#retryMs;
        this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
        return;
      }
      this.#refusedMs = 0;
      this.#retryMs = RETRY_MIN_MS;
      budget -= sent;
      if (budget <= 0) { this.#timer = this.timers.set(this.#onTimer, PACE_MS); return; }
      if (this.#lastItem && this.#outbox.length === 0) return;
    }
  }

  private topicLength(topic: string): number {
    const cache = this.#topicBytes;
    let bytes = cache.get(topic);
    if (bytes === undefined) {
      if (cache.size >= TOPIC_CACHE_SIZE) cache.clear(); // more topics than a gateway of 3 BMS has: a bound, not a plan
      cache.set(topic, bytes = utf8Length(topic));
    }
    return bytes;
  }

  private sendOutbox(): number {
    const sent = this.send(this.#outbox[0] as string, this.#outbox[1], false);
    if (sent > 0) this.#outbox.splice(0, 2);
    return sent;
  }
}
