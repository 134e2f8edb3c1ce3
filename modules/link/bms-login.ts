// Logging in to a JBD pack when its link comes up, and finding out whether it needs to
// (../shared/jbd-field-facts.md §4.7). Three generations exist:
// - the BMS password register (firmware 0x16-0x20): DD 5A 06 with six digits, sent on every
//   connect when a PIN is configured (the app does the same); it gates factory mode only;
// - the BLE module's FF AA login: a module that wants it forwards no request to the BMS at all
//   until app key, random byte and user password have been exchanged (root password before
//   factory-mode writes);
// - passkey pairing: the newest modules echo every written frame until the link is paired.
// What a pack needs is found out from its first poll, at no cost to a pack that needs nothing: an
// answer means nothing, our request echoed back means pairing, silence means trying the FF AA
// login (detect()); what was learned is kept for the next connect. The field's
// default module passwords are tried only on a module that said it wants one, when none is
// configured, and only once per boot (a module might count failed logins).
import {
  APP_KEY_NO_PASSWORD, APP_KEY_PASSWORD_REQUIRED, CMD_USE_PASSWORD, FFAA_ACCEPTED, FFAA_APP_KEY, FFAA_RANDOM,
  FFAA_ROOT_PASSWORD, FFAA_USER_PASSWORD, ROOT_PASSWORD, appKeyRequest, bmsPasswordRequest, isBmsPassword,
  isModulePassword, randomRequest, rootPasswordRequest, userPasswordRequest,
} from "../protocol/auth";
import type { Logger } from "./logger";

/** What a pack needs, as far as the gateway has found out. */
export type LoginKind = "unknown" | "none" | "module" | "pairing";

/** Passwords for one BMS (empty: not configured). Secrets: never printed or published. */
export interface LoginSecrets {
  /** The BLE module's user password (FF AA login), six letters or digits. */
  modulePassword: string;
  /** The BMS password register (firmware 0x16-0x20), six digits. */
  bmsPin: string;
  /** The module's root password for factory-mode writes; empty: the vendor's. */
  rootPassword: string;
  /** The six-digit PIN the BLE module pairs with (passkey pairing); empty: no pairing. */
  passkey: string;
}

/** User passwords modules ship with: esphome-jbd-bms's default, and the SP04S034 V1.3 module's. */
export const FIELD_PASSWORDS: readonly string[] = Object.freeze(["123123", "123456"]);

/** The link, as the login uses it (its own timer and characteristic: no extra per link). */
export interface LoginHost {
  readonly id: string;
  /** Write a request to the BMS (FF02). */
  writeRequest(bytes: ArrayBuffer): void;
  /** This BMS's passwords, read when a login needs them (a changed setting counts at once). */
  loginSecrets(): LoginSecrets;
  /** The module's MAC in printed order (its FF AA derivations), when known. */
  loginMac(): Uint8Array | undefined;
  /** Call onTimeout() after `ms`, unless stopped or started again. */
  startLoginTimer(ms: number): void;
  stopLoginTimer(): void;
  /** The setting names a user sets this BMS's passwords with (for the advice in outcomes). */
  readonly secretSettings: { modulePassword: string; bmsPin: string; passkey: string };
}

const PAIRING_NEEDED = "pairing needed: this module echoes every request until the link is paired with its PIN";

const STEP_TIMEOUT_MS = 1_000;   // FF AA steps answer in 11-52 ms (facts §5), BMS replies in under 250 ms

const enum Step { Idle, AppKey, Random, UserPassword, Pin, RootRandom, RootPassword }

export class BmsLogin {
  /** What the pack needs; "unknown" until a connect found out. */
  kind: LoginKind = "unknown";
  /** What the last login came to, in words (status, diag); "" before the first. */
  outcome = "";
  /** Whether the last login let the link poll. */
  ok = false;
  /** Something the user should fix (a rejected password), whether or not the link polls. */
  problem = false;

  #step = Step.Idle;
  /** User passwords still to try, the one being tried first (only while an FF AA login runs). */
  #candidates: string[] | undefined;
  #fieldPasswordsTried = false;
  #done: ((ok: boolean) => void) | undefined;
  #rootDone: ((error?: string) => void) | undefined;

  constructor(private readonly host: LoginHost, private readonly log: Logger) {}

  /** A login step is waiting for its reply: frames go here, not to the poller. (A field kept with
   *  #step, not a getter: the poller asks for every frame.) */
  busy = false;

  /**
   * The link is up: log in as far as this pack needs, then `done(true)` to poll, or `done(false)`
   * when polling cannot work (the outcome says why and what to do).
   */
  begin(done: (ok: boolean) => void): void {
    this.#done = done;
    this.#rootDone = undefined;
    switch (this.kind) {
      case "module": this.appKey(); return;
      // a paired link (the link saw onAuthenticated): the module answers like any other
      case "pairing": if (this.ok) this.pin(this.outcome); else this.finish(false, this.outcome || PAIRING_NEEDED); return;
      // unknown: the first poll finds out (answered(), echoed(), detect())
      default: this.pin(this.kind === "none" ? "not needed" : "");
    }
  }

  /** A poll was answered: a pack of unknown needs needs nothing. */
  answered(): void {
    if (this.kind !== "unknown") return;
    this.kind = "none";
    if (!this.outcome) this.outcome = "not needed"; // else the PIN's outcome says it
  }

  /** Our request came back unchanged: a module that answers only a passkey-paired link. */
  echoed(): void {
    this.kind = "pairing";
    this.pairingFailed(this.host.loginSecrets().passkey ? "the module still echoes after pairing"
      : `${PAIRING_NEEDED}: set its PIN: config set ${this.host.secretSettings.passkey} <six digits>, then reconnect ${this.host.id}`);
  }

  /** The link's passkey pairing did not come through (or is needed): say what to do. */
  pairingFailed(outcome: string): void {
    this.kind = "pairing";
    this.ok = false;
    this.problem = true;
    this.outcome = outcome;
    this.log.warn("BMS login:", this.host.id + ": " + outcome);
  }

  /** The link was encrypted by a passkey pairing (or a bond made by one). */
  paired(bonded: boolean): void {
    this.kind = "pairing";
    this.ok = true;
    this.problem = false;
    this.outcome = bonded ? "paired with its PIN (bonded)" : "paired with its PIN (no bond kept: NimBLE's 3 bonds are taken)";
  }

  /**
   * The first poll of a connect went unanswered on a pack of unknown needs: try the FF AA login
   * (a module that wants it forwards nothing before). `done(true)`: poll again.
   */
  detect(done: (ok: boolean) => void): void {
    this.#done = done;
    this.appKey();
  }

  /** The link dropped: whatever was under way is dropped with it, without a callback. */
  stop(): void {
    this.#step = Step.Idle;
    this.busy = false;
    this.host.stopLoginTimer();
    this.#done = undefined;
    this.#rootDone = undefined;
  }

  /**
   * Before a factory-mode write (MOS): the root login on a module that has the FF AA login.
   * False when none is needed; else `done` follows, with an error when the module refused.
   */
  authorizeWrite(done: (error?: string) => void): boolean {
    if (this.kind !== "module" || this.busy) return false;
    this.#rootDone = done;
    this.send(Step.RootRandom, randomRequest().buffer as ArrayBuffer);
    return true;
  }

  /** A JBD frame while a step waits: true when it was the reply the step wanted. */
  onFrame(frame: Uint8Array): boolean {
    const step = this.#step;
    if (step === Step.Pin && frame[1] === CMD_USE_PASSWORD) {
      this.stepDone();
      if (frame[2] === 0) { this.finish(true, this.outcome + (this.outcome ? "; " : "") + "BMS PIN accepted"); return true; }
      // the PIN gates factory mode only: readings go on, MOS writes and settings will not
      this.finish(true, `BMS PIN rejected (readings go on; MOS and settings writes will fail): set the PIN of ${this.host.id}: config set ${this.host.secretSettings.bmsPin} <six digits>`, true);
      return true;
    }
    return false;
  }

  /** An FF AA frame from the BLE module. */
  onModuleFrame(frame: Uint8Array): void {
    const cmd = frame[2], len = frame[3], first = len > 0 ? frame[4] : -1;
    switch (this.#step) {
      case Step.AppKey:
        if (cmd !== FFAA_APP_KEY) return;
        this.stepDone();
        this.kind = "module";
        if (first === APP_KEY_NO_PASSWORD) { this.pin("FF AA module without a password"); return; }
        if (first !== APP_KEY_PASSWORD_REQUIRED) { this.finish(false, "FF AA module refused the app key (reply " + first + ")"); return; }
        this.#candidates = this.passwordsToTry();
        if (!this.#candidates.length) { this.#candidates = undefined; this.finish(false, this.askForPassword("the module wants a password")); return; }
        this.nextPassword();
        return;
      case Step.Random:
        if (cmd !== FFAA_RANDOM || len < 1) return;
        this.stepDone();
        this.withMac((mac) => this.send(Step.UserPassword, userPasswordRequest(this.#candidates![0], mac, first).buffer as ArrayBuffer));
        return;
      case Step.UserPassword:
        if (cmd !== FFAA_USER_PASSWORD) return;
        this.stepDone();
        const candidates = this.#candidates!;
        const configured = candidates[0] === this.host.loginSecrets().modulePassword;
        if (first === FFAA_ACCEPTED) {
          this.#candidates = undefined;
          this.pin(configured ? "FF AA login accepted" : "FF AA login accepted with a factory default password");
          return;
        }
        this.log.warn("BMS login:", this.host.id + (configured ? ": module password rejected" : ": module password rejected (a factory default)"));
        candidates.shift();
        if (candidates.length) { this.nextPassword(); return; }
        this.#candidates = undefined;
        this.finish(false, this.askForPassword("module password rejected"));
        return;
      case Step.RootRandom:
        if (cmd !== FFAA_RANDOM || len < 1) return;
        this.stepDone();
        this.withMac((mac) => this.send(Step.RootPassword, rootPasswordRequest(mac, first, this.host.loginSecrets().rootPassword || ROOT_PASSWORD).buffer as ArrayBuffer));
        return;
      case Step.RootPassword:
        if (cmd !== FFAA_ROOT_PASSWORD) return;
        this.stepDone();
        this.rootFinished(first === FFAA_ACCEPTED ? undefined : "the module refused the root password (set it: config set bmsRootPassword ...)");
        return;
    }
  }

  private passwordsToTry(): string[] {
    const configured = this.host.loginSecrets().modulePassword;
    if (configured) return isModulePassword(configured) ? [configured] : [];
    if (this.#fieldPasswordsTried) return [];
    this.#fieldPasswordsTried = true;
    return FIELD_PASSWORDS.slice();
  }

  private askForPassword(what: string): string {
    return `${what}: set the password of ${this.host.id}: config set ${this.host.secretSettings.modulePassword} <six letters or digits>`;
  }

  /** The derivations need the MAC; a link without one (cannot happen once connected) fails the step. */
  private withMac(send: (mac: Uint8Array) => void): void {
    const mac = this.host.loginMac();
    if (mac) { send(mac); return; }
    if (this.#rootDone) this.rootFinished("the module's MAC is not known");
    else this.finish(false, "FF AA login: the module's MAC is not known");
  }

  private nextPassword(): void {
    this.send(Step.Random, randomRequest().buffer as ArrayBuffer);
  }

  private appKey(): void {
    this.send(Step.AppKey, appKeyRequest().buffer as ArrayBuffer);
  }

  /** The module part is done (`outcome`): the BMS PIN when one is configured, then poll. */
  private pin(outcome: string): void {
    this.outcome = outcome;
    const pin = this.host.loginSecrets().bmsPin;
    if (!pin) { this.finish(true, outcome); return; }
    const sep = outcome ? "; " : "";
    if (!isBmsPassword(pin)) { this.finish(true, outcome + sep + `BMS PIN not sent: ${this.host.secretSettings.bmsPin} must be six digits`); return; }
    this.send(Step.Pin, bmsPasswordRequest(pin).buffer as ArrayBuffer);
  }

  private send(step: Step, bytes: ArrayBuffer): void {
    this.#step = step;
    this.busy = true;
    this.host.startLoginTimer(STEP_TIMEOUT_MS);
    try { this.host.writeRequest(bytes); } catch (error) { this.log.warn("BMS login write:", error); }
  }

  private stepDone(): void {
    this.#step = Step.Idle;
    this.busy = false;
    this.host.stopLoginTimer();
  }

  /** The step's reply did not come (the host's timer). */
  onTimeout(): void {
    const step = this.#step;
    this.#step = Step.Idle;
    this.busy = false;
    switch (step) {
      case Step.AppKey:
        // neither the poll nor the login answered: nothing a login can fix that we can tell
        this.finish(this.kind !== "module", this.kind === "module" ? "FF AA module did not answer the login"
          : "no answer to reads or to the FF AA login (another central connected? the wrong device?)");
        return;
      case Step.Random: case Step.UserPassword:
        this.finish(false, "FF AA login: the module stopped answering");
        return;
      case Step.Pin:
        this.finish(true, this.outcome + (this.outcome ? "; " : "") + "BMS PIN not answered (firmware without the register?)");
        return;
      case Step.RootRandom: case Step.RootPassword:
        this.rootFinished("the module did not answer the root login");
        return;
    }
  }

  private finish(ok: boolean, outcome: string, problem = !ok): void {
    this.ok = ok;
    this.outcome = outcome;
    this.problem = problem;
    if (problem) this.log.warn("BMS login:", this.host.id + ": " + outcome);
    else this.log.debug("BMS login:", this.host.id + ": " + outcome);
    const done = this.#done;
    this.#done = undefined;
    if (done) done(ok);
  }

  private rootFinished(error?: string): void {
    const done = this.#rootDone;
    this.#rootDone = undefined;
    if (error) this.log.warn("BMS root login:", this.host.id + ": " + error);
    if (done) done(error);
  }
}
