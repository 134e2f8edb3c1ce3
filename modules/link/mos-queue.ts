// The MOS commands of one BMS that wait for its link (bms-poller runs them one at a time). One slot
// per FET, because the latest wanted state of a FET wins: a command still waiting when another for
// the same FET comes is answered "superseded" at once and never sent. Waiting commands run in the
// order they came (both FETs off: charge, then discharge, each confirmed). And the writes are paced:
// a MOS write reaches the BMS at most once every MOS_INTERVAL_MS, so a flood of ON/OFF toggles comes
// down to one write per interval, with the state asked for last.
//
// Fixed size: two slots made once; a command costs no more than the callback its requester passes.
import Time from "time";
import type { Fet, MosResult } from "./bms-view";
import type { Logger } from "./logger";

/** The shortest time between two MOS writes to one BMS (from the last write of one command to the next's). */
export const MOS_INTERVAL_MS = 2_000;
/** The answer of a waiting command that a later one for the same FET replaced. */
export const SUPERSEDED = "superseded by a later command";

export type MosDone = (result: MosResult) => void;

/** A command taken from the queue: the poller's closed loop fills in the rest. */
export interface MosCommand { fet: Fet; on: boolean; done: MosDone; command: "e1" | "fb"; authorized: boolean }

/** Hands a result to its requester; a requester that throws is logged, never passed on to a BLE or timer callback. */
export function answerMos(done: MosDone, result: MosResult, log: Logger): void {
  try { done(result); } catch (error) { log.error("MOS result handler:", error); }
}

export class MosQueue {
  // one slot per FET; `order` says which came first (the smaller), 0 = empty. Fields, not arrays:
  // three two-element arrays cost each link about ten slots more.
  #chargeDone: MosDone | undefined = undefined;
  #chargeOn = false;
  #chargeOrder = 0;
  #dischargeDone: MosDone | undefined = undefined;
  #dischargeOn = false;
  #dischargeOrder = 0;
  #count = 0;
  /** Time.ticks of the last MOS write, once there was one. */
  #wroteAt = 0;
  #wrote = false;

  /** `renumberAt`: the order count that starts the numbers again (a test's small one; else about a billion commands). */
  constructor(private readonly log: Logger, private readonly renumberAt = 0x3fffffff) {}

  /** A command is waiting (a field the queue keeps, not a getter: the poller reads it twice a poll cycle). Read only. */
  pending = false;

  /** Wait for the link; a command already waiting for this FET is answered superseded. */
  put(fet: Fet, on: boolean, done: MosDone): void {
    if (this.#count >= this.renumberAt) this.renumber();
    const order = ++this.#count;
    let before: MosDone | undefined, wasOn: boolean;
    if (fet === "charge") {
      before = this.#chargeDone; wasOn = this.#chargeOn;
      this.#chargeDone = done; this.#chargeOn = on; this.#chargeOrder = order;
    } else {
      before = this.#dischargeDone; wasOn = this.#dischargeOn;
      this.#dischargeDone = done; this.#dischargeOn = on; this.#dischargeOrder = order;
    }
    this.pending = true;
    if (before) answerMos(before, { fet, requested: wasOn, ok: false, error: SUPERSEDED }, this.log);
  }

  /** The command that came first, out of the queue; undefined when none waits. */
  take(): MosCommand | undefined {
    const c = this.#chargeOrder, d = this.#dischargeOrder;
    if (c === 0 && d === 0) return undefined;
    if (d === 0 || (c !== 0 && c < d)) {
      const done = this.#chargeDone!;
      this.#chargeDone = undefined;
      this.#chargeOrder = 0;
      this.pending = d !== 0;
      return { fet: "charge", on: this.#chargeOn, done, command: "e1", authorized: false };
    }
    const done = this.#dischargeDone!;
    this.#dischargeDone = undefined;
    this.#dischargeOrder = 0;
    this.pending = c !== 0;
    return { fet: "discharge", on: this.#dischargeOn, done, command: "e1", authorized: false };
  }

  /** Answers every waiting command with `error`, in the order they came. */
  clear(error: string): void {
    for (let mos = this.take(); mos; mos = this.take()) answerMos(mos.done, { fet: mos.fet, requested: mos.on, ok: false, error }, this.log);
  }

  /** A MOS write went to the BMS now. */
  wrote(): void {
    this.#wroteAt = Time.ticks;
    this.#wrote = true;
  }

  /** Milliseconds until the next MOS write may go (0: now). */
  get waitMs(): number {
    if (!this.#wrote) return 0;
    const since = Time.delta(this.#wroteAt);
    return since >= MOS_INTERVAL_MS || since < 0 ? 0 : MOS_INTERVAL_MS - since;
  }

  private renumber(): void {
    // keeps the order of the (at most two) waiting commands; reached after a billion commands, if ever
    const c = this.#chargeOrder, d = this.#dischargeOrder;
    this.#chargeOrder = c === 0 ? 0 : d === 0 || c < d ? 1 : 2;
    this.#dischargeOrder = d === 0 ? 0 : c === 0 || d < c ? 1 : 2;
    this.#count = 2;
  }
}
