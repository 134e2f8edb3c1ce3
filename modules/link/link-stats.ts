// Per-link statistics, kept as plain numbers (cheap to update on every poll).

const BUCKET_MS = 10;
const BUCKETS = 300; // 0..3 s in 10 ms buckets; the last one takes the rest
const LAST_BUCKET = BUCKETS - 1;
const LAST_BUCKET_MS = LAST_BUCKET * BUCKET_MS;

/**
 * Reply latency: min / max and an approximate median from a fixed histogram (no per-sample storage).
 * 16-bit buckets (600 bytes of RAM per link, not 1,200): when one would overflow, all are halved,
 * which keeps the distribution and so the median.
 */
export class LatencyStats {
  static readonly BUCKET_MS = BUCKET_MS;
  readonly #buckets = new Uint16Array(BUCKETS);
  /** Samples the buckets hold now (fewer than `count` once halved). */
  #inBuckets = 0;
  count = 0;
  min = 0;
  max = 0;

  add(ms: number): void {
    const buckets = this.#buckets;
    // twice per poll cycle: plain arithmetic, not Math calls and the class's statics (a third of
    // the cost in XS); Time.delta is never negative
    const bucket = ms >= LAST_BUCKET_MS ? LAST_BUCKET : (ms / BUCKET_MS) | 0;
    if (buckets[bucket] === 0xffff) {
      let kept = 0;
      for (let i = 0; i < buckets.length; i++) kept += (buckets[i] >>= 1);
      this.#inBuckets = kept;
    }
    buckets[bucket]++;
    this.#inBuckets++;
    if (!this.count || ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    this.count++;
  }

  /** Median to bucket precision (centre of the bucket), or 0 without samples. */
  get median(): number {
    let seen = 0;
    const half = this.#inBuckets / 2;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i];
      // centre of the bucket, kept within the samples seen (one sample of 80 ms is a median of 80)
      if (seen >= half && seen) return Math.min(this.max, Math.max(this.min, i * LatencyStats.BUCKET_MS + LatencyStats.BUCKET_MS / 2));
    }
    return 0;
  }

  reset(): void { this.#buckets.fill(0); this.#inBuckets = this.count = this.min = this.max = 0; }
}

export class LinkStats {
  connects = 0;            // successful connections (notifications enabled)
  connectAttempts = 0;
  connectTimeouts = 0;
  drops = 0;               // unexpected disconnects
  forcedDisconnects = 0;   // we closed the link after repeated timeouts
  stackResets = 0;         // BLE client torn down and created again
  lastReconnectMs = 0;     // link down -> link up, last time
  maxReconnectMs = 0;
  pollsOk = 0;             // poll cycles completed
  pollsFailed = 0;
  timeouts = 0;            // requests unanswered after retries
  retries = 0;
  errorReplies = 0;        // status != 0
  strays = 0;              // frames that answered no pending request
  readonly latency = new LatencyStats();
}
