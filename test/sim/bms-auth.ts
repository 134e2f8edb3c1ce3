// The three authentication generations of JBD packs (facts §4.7), as the simulated BMS and its BLE
// module behave. Written from the captures and documents named below, and independent of
// modules/protocol/auth.ts (the FF AA framing, the MAC parsing and the password derivation are
// re-implemented here), so the sim can check the gateway's login code rather than share its bugs.
//
// 1. "bms-password": the BMS password register of firmware 0x16-0x20 (BMS side, behind the UART).
//    - DD 5A 06 07 06 d1..d6: right -> DD 06 00 00 ..., wrong -> status 0x83, len 0 (V11 §8.1
//      "Return on error 0x83"). Reads (0x03, 0x04, 0x05, 0xAA) are answered before and after, right or
//      wrong: the register only opens factory mode (JBD_REGISTER_MAP.md "Passwords": "write the current
//      password ... to enable access to entering factory mode"; smagicld/xiaoxiangBMS #218: the user
//      with a PIN set reads data but cannot switch ports).
//    - Enter factory mode (DD 5A 00 56 78) while the password is not given: DD 00 82 00 FF 7E 77 and no
//      factory mode (the reply logged in smagicld/xiaoxiangBMS #218); JBDTools sends the password only
//      when entering factory mode fails (smagicld/xiaoxiangBMS #195).
//    - DD 5A 07 0C old6 new6 changes it (V11 §8.1), DD 5A 09 06 'J1B2D4' clears it, always accepted
//      by the stock firmware (JBD_REGISTER_MAP.md); with no password set every 0x06 is accepted, as the
//      app's connect write of '000000' is in btsnoop_hci-mosfets-onoff.log (DD 06 00 00 00 00 77).
//    - Not sourced, chosen here: 0xE1 / 0xFB MOS writes are not gated (no capture shows a bare E1 on a
//      locked BMS; the apps' failures in #218 / #238 / #243 go through factory mode); the password is
//      forgotten when the BLE link drops (the official app sends it on every connect, so a gateway must
//      too); a wrong password clears an earlier right one.
// 2. "ffaa": the BLE module's own login (esphome-jbd-bms docs/ffaa-auth-flow, PR #148, its V1.3 btsnoop).
//    - Until the login succeeded the module forwards no DD request at all (nothing answered).
//    - 0x15 app key '000000' -> 00 (password required) or, with no user password, 02 (no password, logged
//      in); another key -> 01. 0x17 -> a random byte (from the sim's seed), kept for the 0x18 / 0x1D that
//      follow (communications2.txt attempt 3 reuses it for the root password; PR #148 asks a new one).
//    - 0x18: 6 bytes ((mac[i] ^ ascii[i]) + random) & 0xFF -> 00 and logged in, else 01 (the NACKs of
//      '000000' / '111111' in communications2.txt); without a random byte since the connect -> 01.
//    - 0x1D (after the login): 15 bytes of 'JBDbtpwd!@#2023' the same way, mac[i] = 0 beyond 6 -> 00.
//    - 0x16 (after the login): new user password in clear -> 00 (communications2.txt).
//    - rootGate: until the 0x1D login every DD write is silently dropped; reads are answered (V1.3
//      btsnoop: DD 5A 00 56 78 after the 0x18 login gets no reply, 0x03 / 0x04 do; after 0x1D the
//      0x09 and factory enter are answered).
//    - Login, root and random byte last one connection (the V1.3 app logs in again after reconnecting).
//    - Not sourced, chosen here: with no user password a 0x18 is accepted too; a NACK after the login
//      does not log out; 0x1D before the user login is refused; other commands get no answer. The
//      module's replies take the module latency of facts §5 (11 / 35 / 52 ms) but queue behind a BMS
//      reply in flight (the real module answers on its own: in the V1.3 capture a 0x04 reply and a
//      random byte cross within 11 ms). No injected fault hits them (faults are the BMS's UART's).
// 3. "pairing": newest modules (esphome-jbd-bms #245, batmon-ha #217): until the link is encrypted with
//    an authenticated (passkey) pairing every written value comes back unchanged on FF01 and nothing
//    is answered; after it plain DD requests work, no FF AA. The pairing itself (PIN, bonds) is the
//    BLE double's: it calls setEncrypted(authenticated) on the sim.

import type { Random } from "./bms-random";

export type BmsAuth =
  | {
    kind: "bms-password";
    /** Six digits, or undefined: no password set (every 0x06 accepted, factory mode open). */
    password: string | undefined;
  }
  | {
    kind: "ffaa";
    /** Six letters or digits; undefined: the module has none (app key answers 02). */
    userPassword: string | undefined;
    /** Writes are ignored until the 0x1D root login (the SP04S034 V1.3 module). */
    rootGate: boolean;
    /** The app key the module accepts, default '000000'. */
    appKey?: string;
  }
  | {
    kind: "pairing";
    /** For the BLE double's passkey pairing; the sim itself never checks it. */
    passkey?: number;
  };

export interface BmsAuthStats {
  /** Password attempts: DD 5A 06 (bms-password) or FF AA 0x18 (ffaa). */
  logins: number;
  /** Of those, refused (status 0x83 / reply 01). */
  loginFailures: number;
  /** FF AA 0x1D root logins, and refused ones. */
  rootLogins: number;
  rootFailures: number;
  /** FF AA 0x15 app keys, and the ones refused (01). */
  appKeys: number;
  appKeyFailures: number;
  /** FF AA 0x17 random bytes given. */
  randoms: number;
  /** FF AA replies sent in full. */
  moduleReplies: number;
  /** DD requests the module dropped because the FF AA login is missing. */
  locked: number;
  /** DD writes dropped silently for want of the root login (rootGate). */
  rootGated: number;
  /** Factory-mode enters refused (status 0x82) for want of the BMS password. */
  factoryRefused: number;
  /** setEncrypted(true) calls (authenticated pairings). */
  pairings: number;
}

export function noAuthStats(): BmsAuthStats {
  return {
    logins: 0, loginFailures: 0, rootLogins: 0, rootFailures: 0, appKeys: 0, appKeyFailures: 0, randoms: 0,
    moduleReplies: 0, locked: 0, rootGated: 0, factoryRefused: 0, pairings: 0,
  };
}

export const ROOT_PASSWORD_TEXT = "JBDbtpwd!@#2023";
const DEFAULT_APP_KEY = "000000";
const CLEAR_KEY = "J1B2D4";

/** FF AA commands (facts §4.7). */
export const FFAA = { appKey: 0x15, changePassword: 0x16, random: 0x17, userPassword: 0x18, rootPassword: 0x1d } as const;
const ACCEPTED = 0x00, REJECTED = 0x01, NO_PASSWORD = 0x02;

/** "A4:C1:37:04:2D:BE" -> [0xA4, 0xC1, ...] in printed order, or undefined. */
export function parseMac(address: string): number[] | undefined {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(address)) return undefined;
  return address.split(":").map((part) => parseInt(part, 16));
}

/** The password bytes a module expects: ((mac[i] ^ text[i]) + random) & 0xFF, mac[i] = 0 beyond 6. */
export function expectedPassword(text: string, mac: number[], random: number): number[] {
  return Array.from(text, (char, i) => (((mac[i] ?? 0) ^ char.charCodeAt(0)) + random) & 0xff);
}

/** FF AA cmd len data sum8(cmd, len, data) */
export function encodeModuleFrame(cmd: number, data: number[]): Uint8Array {
  const frame = Uint8Array.from([0xff, 0xaa, cmd, data.length, ...data, 0]);
  frame[frame.length - 1] = frame.subarray(2, frame.length - 1).reduce((a, b) => a + b, 0) & 0xff;
  return frame;
}

/** The command and data of a whole, well-summed FF AA write; undefined for anything else. */
export function parseModuleFrame(bytes: Uint8Array): { cmd: number; data: Uint8Array } | undefined {
  if (bytes.length < 5 || bytes[0] !== 0xff || bytes[1] !== 0xaa) return undefined;
  const len = bytes[3];
  if (bytes.length !== len + 5) return undefined;
  const sum = bytes.subarray(2, 4 + len).reduce((a, b) => a + b, 0) & 0xff;
  if (sum !== bytes[4 + len]) return undefined;
  return { cmd: bytes[2], data: bytes.slice(4, 4 + len) };
}

const sameBytes = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((x, i) => x === b[i]);
const asText = (data: ArrayLike<number>) => String.fromCharCode(...Array.from(data));

export function validateAuth(auth: BmsAuth): void {
  const check = (ok: boolean, what: string) => { if (!ok) throw new RangeError(`SimulatedBms auth: ${what}`); };
  switch (auth.kind) {
    case "bms-password":
      check(auth.password === undefined || /^[0-9]{6}$/.test(auth.password), "a BMS password is six digits");
      return;
    case "ffaa":
      check(auth.userPassword === undefined || /^[0-9A-Za-z]{6}$/.test(auth.userPassword), "a module password is six letters or digits");
      check(auth.appKey === undefined || /^[0-9A-Za-z]{6}$/.test(auth.appKey), "an app key is six letters or digits");
      return;
    case "pairing":
      check(auth.passkey === undefined || (Number.isInteger(auth.passkey) && auth.passkey >= 0 && auth.passkey <= 999999), "a passkey is 0..999999");
      return;
    default:
      check(false, `unknown kind ${(auth as { kind: unknown }).kind}`);
  }
}

/** Generation 1: the BMS's password register. */
export class BmsPasswordRegister {
  #password: string | undefined;
  #given = false;

  constructor(password: string | undefined, private readonly stats: BmsAuthStats) {
    this.#password = password;
  }

  /** The password now set (changed by 0x07, cleared by 0x09). */
  get password(): string | undefined { return this.#password; }
  /** Factory mode may be entered: no password set, or the right one given on this connection. */
  get open(): boolean { return this.#password === undefined || this.#given; }

  /** DD 5A 06 07 06 d1..d6: status 0x00 or 0x83. */
  use(data: Uint8Array): boolean {
    this.stats.logins++;
    const digits = data.length === 7 && data[0] === 6 ? digitsAt(data, 1) : undefined;
    const ok = digits !== undefined && (this.#password === undefined || digits === this.#password);
    this.#given = ok;
    if (!ok) this.stats.loginFailures++;
    return ok;
  }

  /** DD 5A 07 0D 0C old1..old6 new1..new6: status 0x00 or 0x83. */
  change(data: Uint8Array): boolean {
    if (data.length !== 13 || data[0] !== 12) return false;
    const old = digitsAt(data, 1);
    const next = digitsAt(data, 7);
    if (old === undefined || next === undefined || (this.#password !== undefined && old !== this.#password)) return false;
    this.#password = next;
    return true;
  }

  /** DD 5A 09 07 06 'J1B2D4': status 0x00 or 0x83. */
  clear(data: Uint8Array): boolean {
    if (data.length !== 7 || data[0] !== 6 || asText(data.subarray(1)) !== CLEAR_KEY) return false;
    this.#password = undefined;
    return true;
  }

  disconnected(): void { this.#given = false; }
}

/** Six raw digit values (0-9) from data[at] on, as text; undefined if any is not a digit. */
function digitsAt(data: Uint8Array, at: number): string | undefined {
  const values = Array.from(data.subarray(at, at + 6));
  return values.length === 6 && values.every((v) => v <= 9) ? values.join("") : undefined;
}

/** Generation 2: the BLE module's FF AA login. */
export class ModuleLogin {
  #userPassword: string | undefined;
  readonly #appKey: string;
  #random: number | undefined;
  #loggedIn = false;
  #root = false;

  constructor(
    private readonly auth: Extract<BmsAuth, { kind: "ffaa" }>,
    private readonly mac: number[],
    private readonly randoms: Random,
    private readonly stats: BmsAuthStats,
  ) {
    this.#userPassword = auth.userPassword;
    this.#appKey = auth.appKey ?? DEFAULT_APP_KEY;
  }

  get loggedIn(): boolean { return this.#loggedIn; }
  get root(): boolean { return this.#root; }
  get userPassword(): string | undefined { return this.#userPassword; }
  /** The last random byte given on this connection. */
  get random(): number | undefined { return this.#random; }

  /** Whether a DD request goes on to the BMS (else the module drops it, counted). */
  forwards(write: boolean): boolean {
    if (!this.#loggedIn) {
      this.stats.locked++;
      return false;
    }
    if (write && this.auth.rootGate && !this.#root) {
      this.stats.rootGated++;
      return false;
    }
    return true;
  }

  /** The module's reply to one FF AA frame, or undefined: no answer. */
  answer(cmd: number, data: Uint8Array): Uint8Array | undefined {
    switch (cmd) {
      case FFAA.appKey: {
        this.stats.appKeys++;
        if (asText(data) !== this.#appKey) {
          this.stats.appKeyFailures++;
          return encodeModuleFrame(cmd, [REJECTED]);
        }
        if (this.#userPassword === undefined) {
          this.#loggedIn = true;
          return encodeModuleFrame(cmd, [NO_PASSWORD]);
        }
        return encodeModuleFrame(cmd, [ACCEPTED]);
      }
      case FFAA.random:
        this.stats.randoms++;
        this.#random = this.randoms.below(256);
        return encodeModuleFrame(cmd, [this.#random]);
      case FFAA.userPassword: {
        this.stats.logins++;
        const ok = this.#userPassword === undefined
          || (this.#random !== undefined && sameBytes(data, expectedPassword(this.#userPassword, this.mac, this.#random)));
        if (ok) this.#loggedIn = true;
        else this.stats.loginFailures++;
        return encodeModuleFrame(cmd, [ok ? ACCEPTED : REJECTED]);
      }
      case FFAA.rootPassword: {
        this.stats.rootLogins++;
        const ok = this.#loggedIn && this.#random !== undefined
          && sameBytes(data, expectedPassword(ROOT_PASSWORD_TEXT, this.mac, this.#random));
        if (ok) this.#root = true;
        else this.stats.rootFailures++;
        return encodeModuleFrame(cmd, [ok ? ACCEPTED : REJECTED]);
      }
      case FFAA.changePassword: {
        const text = asText(data);
        const ok = this.#loggedIn && /^[0-9A-Za-z]{6}$/.test(text);
        if (ok) this.#userPassword = text;
        return encodeModuleFrame(cmd, [ok ? ACCEPTED : REJECTED]);
      }
      default:
        return undefined;
    }
  }

  disconnected(): void {
    this.#loggedIn = this.#root = false;
    this.#random = undefined;
  }
}
