// Seeded PRNG (mulberry32): a simulated BMS must replay identically for a given seed,
// so nothing in the simulator may use Math.random.

export class Random {
  #state: number;

  constructor(seed: number) { this.#state = seed >>> 0; }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number { return min + (max - min) * this.next(); }

  /** Integer in [0, n). */
  below(n: number): number { return Math.floor(this.next() * n); }

  /** An independent stream, so one consumer's draws never shift another's sequence. */
  fork(): Random { return new Random(this.below(4294967296)); }
}
