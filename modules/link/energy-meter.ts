// Energy totals and runtime estimates of one pack, from its readings (issue 12 parts 4 and 5). Pure:
// imports nothing from the platform; the link feeds it every new 0x03 reading with the time since the
// previous one, and a store (energy-store.ts: NVS) keeps the totals across reboots.
//
// Energy: charge and discharge totals, Wh, integrated from voltage × current with the trapezoid rule
// between consecutive readings (an interval whose power changes sign is split where it crosses zero,
// so each total gets only its own side). An interval longer than 3 poll intervals (at least 15 s) is a
// gap and is not integrated: nobody knows what flowed meanwhile.
// Flash: whole Wh as int32, written when at least SAVE_WH more has accumulated and at most once per
// SAVE_MIN_MS per pack (only the keys that changed), so a reboot loses at most max(10 Wh, P × 10 min)
// per direction plus the fraction of a Wh (README "Energy and runtime").
//
// Runtime: the current smoothed with an EMA of time constant RUNTIME_TAU_MS; time to empty while
// discharging (remaining Ah / smoothed current), time to full while charging ((full-charge or nominal
// capacity − remaining) / smoothed current); none (-1, published as null) while the pack is idle
// (|I| < IDLE_A), before the first reading and when the last reading is older than a gap.
//
// sample() runs for every reading: arithmetic only, no strings, objects or closures (RAM issue 9).
import type { BasicInfo } from "../protocol/basic-info";

/** Where the totals are kept: int32 values under keys of at most 15 characters. */
export interface EnergyStore {
  get(key: string): number | undefined;
  set(key: string, value: number): void;
}

/** What the bridge and the console read of a pack's meter. */
export interface EnergyView {
  /** Wh since the last reset (RAM: what flash has plus what is not written yet). */
  readonly chargedWh: number;
  readonly dischargedWh: number;
  /** Seconds, or -1 when there is no estimate (idle, charging / discharging, no recent reading). */
  readonly timeToEmptyS: number;
  readonly timeToFullS: number;
}

/** Intervals longer than this many poll intervals are gaps. */
export const GAP_POLL_INTERVALS = 3;
/** ... but never shorter than this (a fast poll interval must not turn one retried poll into a gap). */
export const GAP_MIN_MS = 15_000;
/** Write when this much more (charge + discharge, whole Wh) has accumulated ... */
export const SAVE_WH = 10;
/** ... and this long has passed since the last write of this pack. */
export const SAVE_MIN_MS = 10 * 60_000;
/** Time constant of the current's EMA for the runtime estimates. */
export const RUNTIME_TAU_MS = 3 * 60_000;
/** Below this current (A, either way) the pack is idle: no runtime estimate. */
export const IDLE_A = 0.2;

const MS_PER_HOUR = 3_600_000;
const NO_ESTIMATE = -1;

/** 32-bit FNV-1a of a pack's id, as an int32: the totals under a slot belong to the pack that wrote them. */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) { h ^= id.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h | 0;
}

export class EnergyMeter implements EnergyView {
  chargedWh = 0;
  dischargedWh = 0;
  timeToEmptyS = NO_ESTIMATE;
  timeToFullS = NO_ESTIMATE;
  /** Flash writes (one per key written) and failed writes, since boot. */
  writes = 0;
  writeFailures = 0;
  /** Intervals not integrated: longer than GAP_POLL_INTERVALS poll intervals and than GAP_MIN_MS. */
  gaps = 0;

  #store: EnergyStore | undefined;
  #chargeKey = "";
  #dischargeKey = "";
  #idKey = "";
  #id = 0;
  /** What flash holds (whole Wh) and the id hash written with it. */
  #savedCharged = 0;
  #savedDischarged = 0;
  #savedId = 0;
  /** Flash does not hold this pack's totals (nothing yet, or another pack's): the next write writes every key. */
  #writeAll = false;
  #sinceSaveMs = 0;
  /** The previous reading: its power (W), and whether there was one. */
  #lastW = 0;
  #hasLast = false;
  /** EMA of the current, A (+ charge); NaN-free: valid only while #hasEma. */
  #ema = 0;
  #hasEma = false;

  /**
   * Keep the totals in `store` under slot `slot` (1, 2, 3 ...: keys "c1", "d1", "h1") for the pack
   * `id`; what the slot holds is taken back if the same pack wrote it.
   */
  keepIn(store: EnergyStore, slot: number, id: string): void {
    this.#store = store;
    this.#chargeKey = "c" + slot;
    this.#dischargeKey = "d" + slot;
    this.#idKey = "h" + slot;
    this.#id = idHash(id);
    let charged = 0, discharged = 0, owner: number | undefined;
    try {
      owner = store.get(this.#idKey);
      this.#savedId = owner ?? 0;
      charged = store.get(this.#chargeKey) ?? 0;
      discharged = store.get(this.#dischargeKey) ?? 0;
    } catch { owner = undefined; }
    this.#writeAll = owner !== this.#id || !(charged >= 0) || !(discharged >= 0);
    if (this.#writeAll) { charged = 0; discharged = 0; }
    this.#savedCharged = this.chargedWh = charged;
    this.#savedDischarged = this.dischargedWh = discharged;
  }

  /** The pack's id changed (a scanned-for BMS found): later writes name the new one. */
  rename(id: string): void { this.#id = idHash(id); }

  /**
   * A new reading. `elapsedMs`: since the previous one (negative: there was none). Integrates
   * the interval unless it is a gap, updates the runtime estimates, writes flash by the rule.
   */
  sample(info: BasicInfo, elapsedMs: number, pollIntervalMs: number): void {
    const unitScale = info.unitScale;
    const amps = info.currentRaw * unitScale / 100;
    const watts = info.voltage10mV * amps / 100;
    // an interval up to GAP_POLL_INTERVALS poll intervals, or up to GAP_MIN_MS, is integrated
    const integrate = this.#hasLast && elapsedMs > 0 && (elapsedMs <= GAP_MIN_MS || elapsedMs <= GAP_POLL_INTERVALS * pollIntervalMs);
    if (integrate) this.integrate(this.#lastW, watts, elapsedMs / MS_PER_HOUR);
    else if (this.#hasLast) this.gaps++;
    if (elapsedMs > 0) this.#sinceSaveMs += elapsedMs;
    this.#lastW = watts;
    this.#hasLast = true;
    this.estimate(info, unitScale, amps, integrate ? elapsedMs : -1);
    if (this.#store !== undefined && this.#sinceSaveMs >= SAVE_MIN_MS &&
      (this.chargedWh | 0) - this.#savedCharged + (this.dischargedWh | 0) - this.#savedDischarged >= SAVE_WH) this.persist();
  }

  /** Trapezoid from p0 to p1 (W) over `hours`; a sign change splits it at the zero crossing. */
  private integrate(p0: number, p1: number, hours: number): void {
    if (p0 >= 0 && p1 >= 0) { this.chargedWh += (p0 + p1) / 2 * hours; return; }
    if (p0 <= 0 && p1 <= 0) { this.dischargedWh -= (p0 + p1) / 2 * hours; return; }
    const positive = p0 > 0 ? p0 : p1, negative = p0 > 0 ? p1 : p0;
    const share = positive / (positive - negative); // of the interval on the positive side
    this.chargedWh += positive / 2 * share * hours;
    this.dischargedWh -= negative / 2 * (1 - share) * hours;
  }

  /** Smooth the current (EMA, restarted after a gap, idle or a change of direction) and estimate. */
  private estimate(info: BasicInfo, unitScale: number, amps: number, elapsedMs: number): void {
    if (amps < IDLE_A && amps > -IDLE_A) {
      this.#hasEma = false;
      this.timeToEmptyS = this.timeToFullS = NO_ESTIMATE;
      return;
    }
    if (!this.#hasEma || elapsedMs < 0 || (amps > 0) !== (this.#ema > 0)) this.#ema = amps;
    else this.#ema += (amps - this.#ema) * (elapsedMs / (RUNTIME_TAU_MS + elapsedMs));
    this.#hasEma = true;
    const scale = unitScale / 100;
    const remaining = info.remainingRaw * scale;
    if (this.#ema < 0) {
      this.timeToFullS = NO_ESTIMATE;
      this.timeToEmptyS = Math.round(remaining / -this.#ema * 3600);
      return;
    }
    this.timeToEmptyS = NO_ESTIMATE;
    const full = info.hasExtended && info.fullChargeRaw > 0 ? info.fullChargeRaw * scale : info.nominalRaw * scale;
    this.timeToFullS = full > remaining ? Math.round((full - remaining) / this.#ema * 3600) : 0;
  }

  /** The readings stopped (link down): the estimates are gone; the next interval is judged by its length. */
  stale(): void {
    this.#hasEma = false;
    this.timeToEmptyS = this.timeToFullS = NO_ESTIMATE;
  }

  /** Write what changed now, whatever the rule says (before a deliberate restart). */
  flush(): void { if (this.#store !== undefined) this.persist(); }

  /** Both totals to zero, in flash at once. */
  reset(): void {
    this.chargedWh = 0;
    this.dischargedWh = 0;
    if (this.#store !== undefined) this.persist();
  }

  /** Whole Wh of what changed, and the owner once; a failed write is tried again by the next rule's turn. */
  private persist(): void {
    const store = this.#store!;
    const charged = this.chargedWh | 0, discharged = this.dischargedWh | 0;
    const all = this.#writeAll;
    this.#sinceSaveMs = 0;
    try {
      // the totals first: a write that fails between them leaves the old owner, whose totals are then not taken back
      if (all || charged !== this.#savedCharged) { store.set(this.#chargeKey, charged); this.#savedCharged = charged; this.writes++; }
      if (all || discharged !== this.#savedDischarged) { store.set(this.#dischargeKey, discharged); this.#savedDischarged = discharged; this.writes++; }
      if (all || this.#savedId !== this.#id) { store.set(this.#idKey, this.#id); this.#savedId = this.#id; this.writes++; }
      this.#writeAll = false;
    } catch { this.writeFailures++; }
  }
}
