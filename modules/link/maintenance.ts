// Maintenance functions of V11 firmware (0x0A control, `DD 5A 0A 02 hi lo`, facts §4.5), as the
// Home Assistant buttons and the console command ask for them: each one a single write that only a
// person's request sends, behind the `maintenance` setting (none allowed by default), run as an
// exclusive session over the held link (polls wait), after the module's root login where it has
// one, and confirmed by reading the effect back where the BMS shows it.
//
// Offered: capacity reset (the BMS re-estimates its charge from the cell voltages), clear
// protection/alarm status, clear the 0xAA // history counters (the table and why the others are never sent: modules/protocol/control.ts).
import { BasicInfo, decodeBasicInfo } from "../protocol/basic-info";
import { ErrorCounters, decodeErrorCounters } from "../protocol/error-counters";
import { controlRequest, READ_BASIC_INFO, READ_ERROR_COUNTERS } from "../protocol/commands";
import { CMD_BASIC_INFO, CMD_CONTROL, CMD_ERROR_COUNTERS, STATUS_UNSUPPORTED, statusText } from "../protocol/frame";
import { protectionText } from "../protocol/problem-text";
import { Timeout } from "../platform/timeout";
import type { MaintenanceFunction } from "../protocol/control";
import type { ExclusiveSession } from "./bms-poller";
import type { Logger } from "./logger";

/** What the BMS showed before and after (read back); fields only where the function shows them. */
export interface MaintenanceFacts {
  soc?: number;
  remainingAh?: number;
  /** Protection flags in words ("none", "Cell overvoltage", ...). */
  protection?: string;
  /** Sum of the 0xAA history counters. */
  errorCounters?: number;
}

/** Outcome of one maintenance request, published on <prefix>/<bms>/maintenance/result. */
export interface MaintenanceResult {
  function: string;
  ok: boolean;
  error?: string;
  before?: MaintenanceFacts;
  after?: MaintenanceFacts;
}

/** What a session needs of the poller (bms-poller's exclusive sessions). */
export interface SessionPort {
  sessionSend(request: ArrayBuffer, cmd: number): void;
  sessionAuthorize(done: (error?: string) => void): boolean;
  endSession(): void;
}

/** The BMS settles its new state before the read-back (as a MOS command's read-back waits). */
export const READ_BACK_DELAY_MS = 500;

/** Bit 12, a FET switched off by command: not a protection that a clear removes. */
const SOFTWARE_LOCK = 1 << 12;

const enum Step { Waiting, Authorizing, Writing, Settling, ReadingBack, Done }

/** One request, from its turn on the link to its answer. Made per request (rare): nothing is kept. */
export class MaintenanceSession implements ExclusiveSession {
  #step = Step.Waiting;
  readonly #delay = new Timeout(() => this.readBack());

  constructor(
    private readonly fn: MaintenanceFunction,
    private readonly port: SessionPort,
    private readonly before: MaintenanceFacts,
    private readonly done: (result: MaintenanceResult) => void,
    private readonly log: Logger,
  ) {}

  begin(): void {
    this.#step = Step.Authorizing;
    if (this.port.sessionAuthorize((error) => this.authorized(error))) return;
    this.write();
  }

  reply(frame: Uint8Array): void {
    const step = this.#step, status = frame[2];
    if (step === Step.Writing) {
      if (status !== 0) {
        this.finish(status === STATUS_UNSUPPORTED
          ? "this BMS does not have the function (it answered 'command not supported': control functions came with V11 firmware)"
          : "BMS refused: " + statusText(status));
        return;
      }
      this.#step = Step.Settling;
      this.#delay.start(READ_BACK_DELAY_MS);
      return;
    }
    if (step !== Step.ReadingBack) return;
    this.readBackDone(frame);
  }

  failed(reason: string): void {
    const step = this.#step;
    this.finish(step === Step.ReadingBack
      ? "the BMS took the command, but did not answer the read-back (" + reason + ")"
      : reason === "timeout" ? "timeout: the BMS did not answer" : reason);
  }

  stopped(reason: string): void {
    this.#step = Step.Done; // the poller has ended the session itself
    this.#delay.close();
    this.answer({ function: this.fn.name, ok: false, error: reason + ": the link dropped before the BMS confirmed", before: this.before });
  }

  private authorized(error?: string): void {
    if (this.#step !== Step.Authorizing) return;
    if (error) { this.finish("root login failed: " + error); return; }
    this.write();
  }

  private write(): void {
    this.#step = Step.Writing;
    this.log.info("maintenance: " + this.fn.label.toLowerCase());
    this.port.sessionSend(controlRequest(this.fn.code), CMD_CONTROL);
  }

  private readBack(): void {
    if (this.#step !== Step.Settling) return;
    this.#step = Step.ReadingBack;
    if (this.fn.readBack === "counters") this.port.sessionSend(READ_ERROR_COUNTERS, CMD_ERROR_COUNTERS);
    else this.port.sessionSend(READ_BASIC_INFO, CMD_BASIC_INFO);
  }

  /** The read-back: what it shows, and whether it shows the effect (the capacity reset's new estimate cannot be predicted). */
  private readBackDone(frame: Uint8Array): void {
    const unreadable = "the BMS took the command, but its state could not be read back: " + statusText(frame[2]);
    if (this.fn.readBack === "counters") {
      const counters = new ErrorCounters();
      if (!decodeErrorCounters(frame, counters)) { this.finish(unreadable); return; }
      const left = sum(counters);
      this.finish(left === 0 ? "" : "the counters still read " + left + " after the clear", { errorCounters: left });
      return;
    }
    const info = new BasicInfo();
    if (!decodeBasicInfo(frame, info)) { this.finish(unreadable); return; }
    const left = info.protectionBits & 0xffff & ~SOFTWARE_LOCK;
    const error = this.fn.name === "protection" && left !== 0 ? "still set after the clear: " + protectionText(left) + " (what tripped it persists)" : "";
    this.finish(error, infoFacts(info));
  }

  private finish(error: string, after?: MaintenanceFacts): void {
    if (this.#step === Step.Done) return;
    this.#step = Step.Done;
    this.#delay.close();
    this.port.endSession();
    const result: MaintenanceResult = { function: this.fn.name, ok: error === "", before: this.before };
    if (error) result.error = error;
    if (after) result.after = after;
    this.answer(result);
  }

  private answer(result: MaintenanceResult): void {
    try { this.done(result); } catch (error) { this.log.error("maintenance result:", error); }
  }
}

/** The facts a reading shows (before a request: the link's last reading). */
export function infoFacts(info: BasicInfo): MaintenanceFacts {
  return { soc: info.soc, remainingAh: info.remainingAh, protection: protectionText(info.protectionBits & 0xffff) };
}

export function countersFacts(counters: ErrorCounters): MaintenanceFacts {
  return counters.count ? { errorCounters: sum(counters) } : {};
}

function sum(counters: ErrorCounters): number {
  let total = 0;
  for (let i = 0; i < counters.count; i++) total += counters.values[i];
  return total;
}
