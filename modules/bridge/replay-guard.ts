// Retained commands are never obeyed. The SDK's mqtt module hands onMessage a topic and a payload,
// not the retain flag (mqtt.js: `this.onMessage?.(msg.topic, msg.payload)`), and a broker replays
// every retained message that matches a subscription right after the SUBSCRIBE. So after each
// (re)subscription the connection publishes a marker, a fresh token, on a topic of its own that it
// also subscribes to: once it is back, the broker has taken our subscriptions. MQTT does not order
// the replays against it, though (aedes looks retained messages up asynchronously and sent the
// marker first in our tests; mosquitto sends them at once), so messages stay replays for
// SETTLE_MS more. A live command in that window, a second after a reconnect, is refused with
// "send it again": never a BMS write that might be a replay. A broker that replays later than
// that would get its replay obeyed; none seen does.)

/** How often the marker is sent again while it has not come back (a full send buffer refuses it). */
export const MARKER_RETRY_MS = 3_000;
/** After the marker: the broker's replays have all come by then (aedes: milliseconds). */
export const SETTLE_MS = 1_000;

export class ReplayGuard {
  #token = 0;
  #back = false;
  #live = false;

  constructor(readonly topic: string) {}

  /** Messages now are live (the marker came back since the last subscription, and SETTLE_MS passed). */
  get live(): boolean { return this.#live; }
  /** The marker came back: call settled() after SETTLE_MS. */
  get markerBack(): boolean { return this.#back; }
  settled(): void { if (this.#back) this.#live = true; }

  /** Subscribed again: replays may follow. The payload of the marker to publish. */
  restart(): string {
    this.#live = false;
    this.#back = false;
    this.#token = (this.#token + 1) % 1_000_000;
    return this.marker();
  }

  /** The marker's payload (again, when it has to be resent). */
  marker(): string { return "sync " + this.#token; }

  /** A message on the marker topic: ours (the current token) starts the settle time. Consumed either way. */
  markerArrived(data: ArrayBuffer): void {
    const expected = this.marker();
    if (data.byteLength !== expected.length) return;
    const bytes = new Uint8Array(data);
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== expected.charCodeAt(i)) return;
    this.#back = true;
  }
}
