// The settings of one BMS (protection and capacity parameters, modules/protocol/registers.ts): when
// they are read (once per connection, after its first reading, and on request), the last values
// read, whether writes are allowed, and the one request that may wait while a session runs
// (settings-session.ts does the factory-mode work). A drop during a session leaves `factoryMaybeOn`
// set: the next connection's first session (right after its first poll) exits factory mode before
// anything else.
//
// Per link: this object and, once read, one SettingsSet (56 words and 56 states); nothing else is
// kept between sessions.
import { SettingsSet, planChanges, changeValues } from "../protocol/registers";
import { SettingsSession, type SessionKind, type SessionOwner, type SettingsOutcome } from "./settings-session";
import type { BmsPoller } from "./bms-poller";
import type { Logger } from "./logger";

export type { SettingsOutcome } from "./settings-session";
export type SettingsDone = (outcome: SettingsOutcome) => void;

/** What the bridge and the console see of a pack's settings. */
export interface SettingsView {
  /** The values of the last complete read (kept across reconnects), undefined before the first. */
  readonly values: SettingsSet | undefined;
  /** Writes are allowed by the configuration (settingsWrite). */
  readonly writable: boolean;
  /** A session is under way or waiting. */
  readonly busy: boolean;
  /** Read now (the result also goes to the listener). */
  read(done?: SettingsDone): void;
  /** Write `values` ({"cellOvervoltage": 3.6, ...}), or restore a backup's values; `done` exactly once. */
  write(values: unknown, done: SettingsDone, restore?: boolean): void;
  /** What write() would change, checked against the last values read; nothing is sent. */
  dryRun(values: unknown, restore?: boolean): SettingsOutcome;
}

/** The link, as its settings use it. */
export interface SettingsHost {
  readonly id: string;
  /** The setting that holds this pack's BMS PIN (named when factory mode is refused). */
  readonly pinSetting: string;
  /** settingsWrite is on. */
  writesAllowed(): boolean;
  /** The values changed, or a read or write finished: publish. */
  settingsChanged(): void;
}

interface Waiting { kind: SessionKind; values?: unknown; restore: boolean; done?: SettingsDone }

export class BmsSettings implements SettingsView, SessionOwner {
  values: SettingsSet | undefined;
  /** Factory mode may be on: an enter was sent and no exit confirmed since. */
  factoryMaybeOn = false;
  /** A read is due on this connection (once per connection). */
  #readDue = true;
  #session: SettingsSession | undefined;
  #sessionDone: SettingsDone | undefined;
  #waiting: Waiting | undefined;

  constructor(private readonly poller: BmsPoller, private readonly host: SettingsHost, private readonly log: Logger) {}

  get writable(): boolean { return this.host.writesAllowed(); }
  get busy(): boolean { return this.#session !== undefined || this.#waiting !== undefined; }
  get pinSetting(): string { return this.host.pinSetting; }

  /** A new connection is up (its first poll under way): a session the last one left in factory mode exits first. */
  linkUp(): void {
    this.#readDue = true;
    if (this.factoryMaybeOn) this.request({ kind: "read", restore: false });
  }

  /**
   * A reading came: the connection's read, once, when none ran yet; and while a session that went
   * unanswered may have left factory mode on (its exit never confirmed, the link still up), an exit
   * of its own at the next reading, until one is confirmed: the BMS answers again, so it hears it.
   */
  polled(): void {
    if (!this.#readDue && !this.factoryMaybeOn) return; // every poll cycle: nothing due, no getter call
    if (this.busy) return;
    if (this.#readDue) this.request({ kind: "read", restore: false });
    else if (this.factoryMaybeOn) this.request({ kind: "exit", restore: false });
  }

  read(done?: SettingsDone): void {
    this.request({ kind: "read", restore: false, done });
  }

  write(values: unknown, done: SettingsDone, restore = false): void {
    const action = restore ? "restore" : "write";
    if (!this.writable) { answer(done, { ok: false, action, error: "settings writes are disabled (config set settingsWrite on)" }, this.log); return; }
    if (!this.values) { answer(done, { ok: false, action, error: "settings not read yet: read them first (settings read)" }, this.log); return; }
    // refused at once when the last values already show it; checked again against a fresh read in the session
    const plan = planChanges(this.values, values, restore);
    if (plan.errors.length) { answer(done, { ok: false, action, error: "refused: " + plan.errors.join("; ") }, this.log); return; }
    if (!plan.changes.length) { answer(done, { ok: true, action, changes: [], unchanged: restore ? undefined : plan.unchanged, skipped: plan.skipped.length ? plan.skipped : undefined }, this.log); return; }
    this.request({ kind: "write", values, restore, done });
  }

  dryRun(values: unknown, restore = false): SettingsOutcome {
    const action = restore ? "restore" : "write";
    if (!this.values) return { ok: false, action, dryRun: true, error: "settings not read yet: read them first (settings read)" };
    const set = this.values, plan = planChanges(set, values, restore);
    const outcome: SettingsOutcome = { ok: plan.errors.length === 0, action, dryRun: true, changes: plan.changes.map((c) => changeValues(set, c)) };
    if (plan.errors.length) outcome.error = "refused: " + plan.errors.join("; ");
    if (plan.unchanged.length && !restore) outcome.unchanged = plan.unchanged; // a backup names every key
    if (plan.skipped.length) outcome.skipped = plan.skipped;
    return outcome;
  }

  private request(request: Waiting): void {
    if (this.#waiting) {
      // a read asked while one waits is the same read
      if (request.kind === "read" && this.#waiting.kind === "read" && !request.done) return;
      answer(request.done, { ok: false, action: request.kind === "write" && request.restore ? "restore" : request.kind, error: "busy: a settings request is already waiting" }, this.log);
      return;
    }
    this.#waiting = request;
    this.next();
  }

  /** Start the waiting request when no session runs. */
  private next(): void {
    const waiting = this.#waiting;
    if (!waiting || this.#session) return;
    this.#waiting = undefined;
    const session = new SettingsSession(this.poller, this, waiting.kind, waiting.values, waiting.restore);
    const refused = this.poller.runSession(session);
    if (refused) {
      answer(waiting.done, { ok: false, action: waiting.restore ? "restore" : waiting.kind, error: refused }, this.log);
      return;
    }
    this.#session = session;
    this.#sessionDone = waiting.done;
    if (waiting.kind === "read") this.#readDue = false;
  }

  /** SessionOwner: a session ended, whichever way. */
  finished(session: SettingsSession, outcome: SettingsOutcome, set: SettingsSet | undefined): void {
    if (session !== this.#session) return;
    const done = this.#sessionDone;
    this.#session = undefined;
    this.#sessionDone = undefined;
    if (set) (this.values ??= new SettingsSet()).copyFrom(set);
    if (outcome.ok) this.log.info("BMS settings:", this.host.id + " " + outcome.action + (outcome.changes?.length ? " saved: " + outcome.changes.map((c) => c.key + " " + c.to).join(", ") : " done"));
    else this.log.warn("BMS settings:", this.host.id + " " + outcome.action + ": " + outcome.error);
    // a save is checked by reading everything back from the EEPROM in a session of its own
    if (outcome.ok && session.kind === "write" && outcome.changes?.length && !this.#waiting) this.#waiting = { kind: "read", restore: false };
    answer(done, outcome, this.log);
    try { this.host.settingsChanged(); } catch (error) { this.log.error("settings listener:", error); }
    this.next();
  }
}

function answer(done: SettingsDone | undefined, outcome: SettingsOutcome, log: Logger): void {
  if (!done) return;
  try { done(outcome); } catch (error) { log.error("settings result handler:", error); }
}
