// One factory-mode session over a BMS link (../shared/jbd-field-facts.md §4.5, §4.6): it has the link
// to itself (bms-poller's exclusive session), and it never leaves the BMS in factory mode on
// purpose: every path that entered ends with an exit, and one that could not (a drop, no answer)
// leaves the owner's `factoryMaybeOn` set, so the next session, or the next connection, exits first.
//
//   [root login]  exit (no save: whatever an earlier session or app left)  enter  read 0x10..0x47
//   read:  exit (no save)
//   write: plan the changes against what was just read; each: write, read back; all as written:
//          exit and save (0x2828), else exit without saving and say which failed
//   exit:  only the first exit (after a drop)
//
// Made per session (rare): it may allocate.
import { CMD_FACTORY_ENTER, CMD_FACTORY_EXIT, STATUS_INVALID, STATUS_OK, STATUS_UNSUPPORTED, STATUS_CHECKSUM, statusText } from "../protocol/frame";
import { ENTER_FACTORY, EXIT_FACTORY } from "../protocol/commands";
import {
  FIRST_REGISTER, REGISTERS, REGISTER_COUNT, RegisterState, SettingsSet, changeValues, decodeRegister,
  exitAndSaveRequest, planChanges, registerReadRequest, registerWriteRequest, replyWord, type ChangePlan,
} from "../protocol/registers";
import type { ExclusiveSession } from "./bms-poller";

export type SessionKind = "read" | "write" | "exit";

/** What a settings request came to (published on <bms>/settings/result, printed by the console). */
export interface SettingsOutcome {
  ok: boolean;
  action: "read" | "write" | "restore" | "exit";
  error?: string;
  dryRun?: boolean;
  /** Written and saved, or (dry run) what would change. */
  changes?: { key: string; from: number | string; to: number | string }[];
  unchanged?: string[];
  skipped?: string[];
  /** The value that did not read back as written (nothing was saved). */
  failed?: { key: string; wrote: number | string; read: number | string | null };
  /** Registers a read could not get (neither a value nor 0x80). */
  unreadable?: string[];
}

/** The poller, as a session uses it. */
export interface SessionPoller {
  sessionSend(request: ArrayBuffer, cmd: number): void;
  sessionAuthorize(done: (error?: string) => void): boolean;
  endSession(): void;
}

/** The owner (bms-settings): where factory mode stands and where the outcome goes. */
export interface SessionOwner {
  factoryMaybeOn: boolean;
  /** The setting a refused factory enter points to (the BMS PIN of this pack). */
  readonly pinSetting: string;
  finished(session: SettingsSession, outcome: SettingsOutcome, set: SettingsSet | undefined): void;
}

const enum Phase { Authorize, ExitFirst, Enter, Read, Write, ReadBack, Save, ExitLast, Done }

export class SettingsSession implements ExclusiveSession {
  #phase = Phase.Authorize;
  #index = 0;
  readonly #set = new SettingsSet();
  #plan: ChangePlan | undefined;
  #outcome: SettingsOutcome;

  constructor(
    private readonly poller: SessionPoller,
    private readonly owner: SessionOwner,
    readonly kind: SessionKind,
    /** write: the values asked for ({"cellOvervoltage": 3.6}); restore: a backup's values. */
    private readonly values?: unknown,
    private readonly restore = false,
  ) {
    this.#outcome = { ok: false, action: kind === "write" && restore ? "restore" : kind };
  }

  begin(): void {
    this.guard(() => {
      if (!this.poller.sessionAuthorize((error) => this.guard(() => this.authorized(error)))) this.authorized();
    });
  }

  reply(frame: Uint8Array): void { this.guard(() => this.onReply(frame)); }

  failed(reason: string): void {
    this.guard(() => {
      const what = reason === "timeout" ? "the BMS did not answer" : reason;
      switch (this.#phase) {
        case Phase.ExitFirst: case Phase.ExitLast:
          // factory mode may still be on: the next session or connection exits first
          this.finish(this.#outcome.error ?? `${what} (leaving factory mode); tried again at the next session or connection`);
          return;
        default:
          this.exitWithout(`${what} (${this.doing()})`);
      }
    });
  }

  stopped(reason: string): void {
    const saving = this.#phase === Phase.Save;
    this.#phase = Phase.Done;
    this.#outcome.ok = false;
    this.#outcome.error = `${reason}: the link stopped during the session; ` +
      (saving ? "the save was not confirmed" : "nothing was saved") + " (factory mode is left at the next connection)";
    this.report(undefined);
  }

  // ---------------- steps ----------------

  private authorized(error?: string): void {
    if (error) { this.finish("root login failed: " + error); return; }
    this.#phase = Phase.ExitFirst;
    this.poller.sessionSend(EXIT_FACTORY, CMD_FACTORY_EXIT);
  }

  private onReply(frame: Uint8Array): void {
    const status = frame[2];
    switch (this.#phase) {
      case Phase.ExitFirst:
        if (status === STATUS_OK) this.owner.factoryMaybeOn = false;
        if (this.kind === "exit") { this.#outcome.ok = status === STATUS_OK; this.finish(status === STATUS_OK ? undefined : "exit refused: " + statusText(status)); return; }
        this.#phase = Phase.Enter;
        this.owner.factoryMaybeOn = true; // from the moment it is asked: a lost reply may hide an accepted enter
        this.poller.sessionSend(ENTER_FACTORY, CMD_FACTORY_ENTER);
        return;
      case Phase.Enter:
        if (status !== STATUS_OK) {
          this.owner.factoryMaybeOn = false;
          const hint = status === STATUS_CHECKSUM || status === STATUS_INVALID || status === 0x83
            ? ` (a BMS with a PIN: config set ${this.owner.pinSetting} <six digits>)` : "";
          this.finish("the BMS refused factory mode: " + statusText(status) + hint);
          return;
        }
        this.#phase = Phase.Read;
        this.#index = 0;
        this.readNext();
        return;
      case Phase.Read: {
        const i = this.#index;
        if (status === STATUS_INVALID) { this.exitWithout("the BMS left factory mode during the read (status 0x81)"); return; }
        const word = replyWord(frame);
        this.#set.raw[i] = word < 0 ? 0 : word;
        this.#set.state[i] = word >= 0 ? RegisterState.Ok : status === STATUS_UNSUPPORTED ? RegisterState.Absent : RegisterState.Failed;
        this.#index++;
        if (this.#index < REGISTER_COUNT) { this.readNext(); return; }
        this.readDone();
        return;
      }
      case Phase.Write: {
        const change = this.#plan!.changes[this.#index];
        if (status !== STATUS_OK) { this.writeFailed(change.index, change.raw, null, "the BMS refused the write: " + statusText(status)); return; }
        this.#phase = Phase.ReadBack;
        this.poller.sessionSend(registerReadRequest(FIRST_REGISTER + change.index), FIRST_REGISTER + change.index);
        return;
      }
      case Phase.ReadBack: {
        const change = this.#plan!.changes[this.#index];
        const word = replyWord(frame);
        if (word !== change.raw) {
          this.writeFailed(change.index, change.raw, word, word < 0 ? "the read-back failed: " + statusText(status) : "it did not read back as written");
          return;
        }
        this.#set.raw[change.index] = word;
        this.#index++;
        if (this.#index < this.#plan!.changes.length) { this.writeNext(); return; }
        this.#phase = Phase.Save;
        this.poller.sessionSend(exitAndSaveRequest(), CMD_FACTORY_EXIT);
        return;
      }
      case Phase.Save:
        if (status !== STATUS_OK) { this.exitWithout("the BMS refused to save: " + statusText(status)); return; }
        this.owner.factoryMaybeOn = false;
        this.#outcome.ok = true;
        this.finish(undefined, this.#set);
        return;
      case Phase.ExitLast:
        if (status === STATUS_OK) this.owner.factoryMaybeOn = false;
        else if (!this.#outcome.error) this.#outcome.error = "leaving factory mode refused: " + statusText(status);
        this.finish(this.#outcome.error, this.#outcome.ok ? this.#set : undefined);
        return;
    }
  }

  private readNext(): void {
    this.poller.sessionSend(registerReadRequest(FIRST_REGISTER + this.#index), FIRST_REGISTER + this.#index);
  }

  private readDone(): void {
    const set = this.#set, unreadable: string[] = [];
    for (let i = 0; i < REGISTER_COUNT; i++) if (set.state[i] === RegisterState.Failed) unreadable.push(REGISTERS[i].key);
    if (unreadable.length) this.#outcome.unreadable = unreadable;
    if (this.kind === "read") {
      this.#outcome.ok = true;
      this.exitLast();
      return;
    }
    // write: checked against what the BMS holds now, in this very session
    const plan = this.#plan = planChanges(set, this.values, this.restore);
    if (plan.skipped.length) this.#outcome.skipped = plan.skipped;
    if (plan.unchanged.length && !this.restore) this.#outcome.unchanged = plan.unchanged; // a backup names every key
    if (plan.errors.length) { this.exitWithout("refused: " + plan.errors.join("; ")); return; }
    const before = new SettingsSet();
    before.copyFrom(set);
    this.#outcome.changes = plan.changes.map((c) => changeValues(before, c));
    if (!plan.changes.length) { this.#outcome.ok = true; this.exitLast(); return; }
    this.#phase = Phase.Write;
    this.#index = 0;
    this.writeNext();
  }

  private writeNext(): void {
    const change = this.#plan!.changes[this.#index];
    this.#phase = Phase.Write;
    this.poller.sessionSend(registerWriteRequest(FIRST_REGISTER + change.index, change.raw), FIRST_REGISTER + change.index);
  }

  private writeFailed(index: number, wrote: number, read: number | null, why: string): void {
    const large = this.#set.largeUnits;
    const show = (raw: number) => REGISTERS[index].key === "functionsRaw" ? raw : Math.round(decodeRegister(index, raw, large) * 1000) / 1000;
    this.#outcome.failed = { key: REGISTERS[index].key, wrote: show(wrote), read: read === null || read < 0 ? null : show(read) };
    this.exitWithout(`${REGISTERS[index].key}: ${why}; nothing was saved`);
  }

  /** Leave factory mode without saving, then finish with `error` (the reads stay good when a read had them). */
  private exitWithout(error: string): void {
    this.#outcome.ok = false;
    this.#outcome.error = error;
    this.exitLast();
  }

  private exitLast(): void {
    this.#phase = Phase.ExitLast;
    this.poller.sessionSend(EXIT_FACTORY, CMD_FACTORY_EXIT);
  }

  private doing(): string {
    switch (this.#phase) {
      case Phase.Enter: return "entering factory mode";
      case Phase.Read: return "reading " + REGISTERS[this.#index].key;
      case Phase.Write: case Phase.ReadBack: return "writing " + REGISTERS[this.#plan!.changes[this.#index].index].key;
      case Phase.Save: return "saving";
      default: return "settings";
    }
  }

  private finish(error?: string, set?: SettingsSet): void {
    if (this.#phase === Phase.Done) return;
    this.#phase = Phase.Done;
    if (error) { this.#outcome.ok = false; this.#outcome.error = error; }
    this.poller.endSession();
    // a read that failed to exit still read the pack: its values stand
    this.report(set ?? (this.kind === "read" && this.#set.complete ? this.#set : undefined));
  }

  private report(set: SettingsSet | undefined): void {
    this.owner.finished(this, this.#outcome, set);
  }

  /** Every entry point is a BLE or timer callback: nothing thrown may escape. */
  private guard(step: () => void): void {
    try { step(); } catch (error) {
      if (this.#phase === Phase.Done) return;
      this.#phase = Phase.Done;
      this.#outcome.ok = false;
      this.#outcome.error = "internal error: " + String(error);
      try { this.poller.endSession(); } catch { /* the poller keeps its own state */ }
      this.report(undefined);
    }
  }
}
