// A JBD / Xiaoxiang smart BMS as the gateway sees it through the BLE module: each value written to
// FF02 goes over a UART to the BMS, which answers one frame at a time; replies come back as FF01
// notifications of at most notifySize bytes, with latencies measured from real captures (facts §5).
// Faults can be injected per request. All time comes from the Clock, all chance from the seed.
// The `auth` option adds one of the three login generations (bms-auth.ts, which names the sources).

import type { Clock, TimerHandle } from "./clock";
import {
  CMD_BASIC_INFO, CMD_CELLS, CMD_ERROR_COUNTERS, CMD_FACTORY_ENTER, CMD_FACTORY_EXIT, CMD_HARDWARE,
  CMD_CONTROL, CMD_MOS, CMD_MOS_FB, STATUS_CHECKSUM, STATUS_INVALID, STATUS_OK, STATUS_PASSWORD, STATUS_UNSUPPORTED,
} from "../../modules/protocol/frame";
import {
  BmsPasswordRegister, ModuleLogin, noAuthStats, parseMac, parseModuleFrame, validateAuth,
  type BmsAuth, type BmsAuthStats,
} from "./bms-auth";
import { chunk, encodeReply, parseRequest, type Request } from "./bms-frames";
import { corruptFrame, drawFaults, noFaults, truncateFrame, type BmsFaults, type FaultKind } from "./bms-faults";
import {
  LARGE_UNIT_ABOVE_AH, basicInfoPayload, cellsPayload, errorCountersPayload, hardwarePayload,
  type BasicInfoIdentity, type ProductionDate,
} from "./bms-payloads";
import { Random } from "./bms-random";
import { SimulatedEeprom, type EepromLayout } from "./bms-eeprom";
import { runControl } from "./bms-control";
import { CHUNK_GAP, LATENCY, OUTLIER, latencyFor, sample } from "./bms-timing";
import { Pack } from "./pack";
import type { LoadProfile } from "./pack-profile";

export interface BmsSimOptions {
  /** Seed of every random choice: cell spread, latencies, faults. */
  seed?: number;
  /** 1..32, default 4. */
  cellCount?: number;
  /** 0..8, default 3. */
  ntcCount?: number;
  /** Default 100; above 655.35 Ah the BMS reports in 100 mAh / 100 mA units (FET bit 7). */
  capacityAh?: number;
  /** Percent at start, default 60. */
  initialSoc?: number;
  /** °C, default 25. */
  ambientC?: number;
  /** Newer firmware: 9 extra 0x03 bytes (humidity, alarm, full-charge capacity, remaining, balance current). */
  extendedBasicInfo?: boolean;
  /** The 0x05 reply (ASCII). */
  hardwareVersion?: string;
  /** 0x03 software version byte, nibble-coded (0x80 = 8.0). */
  softwareVersion?: number;
  productionDate?: ProductionDate;
  /** Advertised name; the BLE world reads it. */
  name?: string;
  /** "fb": newer firmware that answers 0xE1 with status 0x80 and takes 0xFB instead. */
  mosCommand?: "e1" | "fb";
  /** Bytes per notification (ATT MTU − 3); 20 without an MTU exchange. */
  notifySize?: number;
  /** The module's MAC in printed order ("A4:C1:37:04:2D:BE", the captured login's): the FF AA login
   *  derives its passwords from it. */
  address?: string;
  /** Login generation (bms-auth.ts); none: every request answered as it comes. */
  auth?: BmsAuth;
  /** The parameter EEPROM's layout (bms-eeprom.ts): "fw20" (0x10-0x47, default) or "fw16" (0x10-0x3F). */
  eeprom?: EepromLayout;
  /** V11 firmware's 0x0A control functions (bms-control.ts); without them 0x0A is answered 0x80. Default off. */
  controlFunctions?: boolean;
}

export interface BmsStats {
  /** Every write(). */
  writes: number;
  /** Writes the BMS could not parse and left unanswered (empty, malformed, bad checksum, not DD A5/5A). */
  ignored: number;
  /** Parsed requests by register. */
  requests: Record<number, number>;
  /** Reply frames sent in full: error statuses and corrupted ones included, strays and truncated ones not. */
  replies: number;
  /** Written values echoed back in echoOnly mode. */
  echoes: number;
  /** Faults injected, by kind. */
  faults: Record<FaultKind, number>;
  /** Login attempts and failures, requests held back for want of a login (all 0 without `auth`). */
  auth: BmsAuthStats;
  /** 0x0A control function codes written (CONTROL in bms-control.ts), answered or not. */
  controls: Record<number, number>;
}

const DEFAULTS = {
  seed: 1,
  cellCount: 4,
  ntcCount: 3,
  capacityAh: 100,
  initialSoc: 60,
  ambientC: 25,
  extendedBasicInfo: false,
  hardwareVersion: "JBD-SP04S034-L4S-200A-B-U",
  softwareVersion: 0x80,
  productionDate: { year: 2022, month: 3, day: 28 },
  name: "xiaoxiang BMS",
  mosCommand: "e1",
  notifySize: 20,
  eeprom: "fw20",
  controlFunctions: false,
  address: "A4:C1:37:04:2D:BE",
  auth: undefined,
} satisfies Omit<Required<BmsSimOptions>, "auth"> & { auth: BmsAuth | undefined };

type SimOptions = Omit<Required<BmsSimOptions>, "auth"> & { auth: BmsAuth | undefined };

const FACTORY_MAGIC = [0x56, 0x78];
/** Generation-1 password registers (V11 §8, JBD_REGISTER_MAP.md). */
const CMD_USE_PASSWORD = 0x06;
const CMD_SET_PASSWORD = 0x07;
const CMD_CLEAR_PASSWORD = 0x09;
/** 0xFB targets (YY). Pre-discharge (0x03) is acknowledged but not modelled. */
const FB_DISCHARGE = 0x00;
const FB_CHARGE = 0x01;
const FB_PRE_DISCHARGE = 0x03;
const FB_BOTH = 0x0a;

interface Outgoing {
  bytes: Uint8Array;
  /** What the frame counts as once its last byte is out. */
  kind: "reply" | "stray" | "partial" | "echo" | "module";
}

interface Transmission {
  frames: Outgoing[];
  latencyMs: number;
}

export class SimulatedBms {
  /** Set by the BLE world: receives each notification (one chunk, <= notifySize bytes). */
  onNotify: ((chunk: Uint8Array) => void) | undefined;
  readonly name: string;
  /** Fault knobs, changeable at any time; read when a request is handled. */
  readonly faults: BmsFaults = noFaults();
  readonly pack: Pack;
  readonly stats: BmsStats = {
    writes: 0, ignored: 0, requests: {}, replies: 0, echoes: 0,
    faults: { unanswered: 0, errorStatus: 0, stray: 0, corrupt: 0, truncated: 0, slow: 0 },
    auth: noAuthStats(),
    controls: {},
  };
  /** The module's MAC, as given (printed order). */
  readonly address: string;
  readonly auth: BmsAuth | undefined;
  /** Parameter registers 0x10-0x47 and factory mode's working copy (bms-eeprom.ts). */
  readonly eeprom: SimulatedEeprom;

  readonly #clock: Clock;
  readonly #identity: BasicInfoIdentity;
  readonly #hardwareVersion: string;
  readonly #mosCommand: "e1" | "fb";
  readonly #controlFunctions: boolean;
  readonly #notifySize: number;
  // separate streams, so e.g. raising one fault rate leaves latencies and other faults' hits alone
  readonly #timing: Random;
  readonly #faultDraws: Random;
  readonly #damage: Random;

  /** Written values waiting for the UART, which carries one request and its reply at a time. */
  #queue: { bytes: Uint8Array; echo: boolean }[] = [];
  #busy = false;
  #timer: TimerHandle | undefined;
  /** Bumped by disconnected(), so a transmission cut off from inside onNotify stops. */
  #link = 0;
  #factoryMode = false;
  #lastBasicInfo: Uint8Array | undefined;
  readonly #password: BmsPasswordRegister | undefined;
  readonly #login: ModuleLogin | undefined;
  /** The link is encrypted with an authenticated (passkey) pairing. */
  #paired = false;

  constructor(clock: Clock, options: BmsSimOptions = {}) {
    // an option passed as undefined means "default", not "unset"
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    const o: SimOptions = { ...DEFAULTS, ...given };
    validate(o);
    this.#clock = clock;
    this.name = o.name;
    this.#identity = { softwareVersion: o.softwareVersion, productionDate: o.productionDate, extended: o.extendedBasicInfo };
    this.#hardwareVersion = o.hardwareVersion;
    this.#mosCommand = o.mosCommand;
    this.#controlFunctions = o.controlFunctions;
    this.#notifySize = o.notifySize;
    const root = new Random(o.seed);
    this.pack = new Pack(clock, o, root.fork());
    this.#timing = root.fork();
    this.#faultDraws = root.fork();
    this.#damage = root.fork();
    // forked last, so the streams above draw as they did before auth existed
    const randoms = root.fork();
    this.address = o.address;
    this.auth = o.auth;
    this.eeprom = new SimulatedEeprom(o.eeprom, o.cellCount, o.capacityAh);
    if (o.auth?.kind === "bms-password") this.#password = new BmsPasswordRegister(o.auth.password, this.stats.auth);
    if (o.auth?.kind === "ffaa") this.#login = new ModuleLogin(o.auth, parseMac(o.address)!, randoms, this.stats.auth);
  }

  /** Where each generation's login stands on this connection. */
  get authState(): { bmsPassword: boolean; loggedIn: boolean; root: boolean; paired: boolean } {
    return {
      bmsPassword: this.#password?.open ?? false,
      loggedIn: this.#login?.loggedIn ?? false,
      root: this.#login?.root ?? false,
      paired: this.#paired,
    };
  }

  /** The BMS password register now (changed by 0x07, cleared by 0x09); undefined: none set. */
  get bmsPassword(): string | undefined { return this.#password?.password; }

  /** The FF AA module's user password now (changed by 0x16). */
  get userPassword(): string | undefined { return this.#login?.userPassword; }

  /**
   * The BLE world: the link is now encrypted, after a passkey (authenticated = true) or a Just Works
   * (false) pairing, or with a bond's keys. Only a "pairing" module cares: it answers once authenticated.
   */
  setEncrypted(authenticated: boolean): void {
    if (authenticated) this.stats.auth.pairings++;
    this.#paired = authenticated;
  }

  /** Between enter-factory (0x00 with 0x5678) and exit-factory (0x01). Changes no answer here. */
  get factoryMode(): boolean { return this.#factoryMode; }

  /** Positive A = charging, negative = discharging; replaces any profile. */
  setCurrent(amps: number): void { this.pack.setCurrent(amps); }

  /** Drive the load from a profile, e.g. solarDayProfile(...). */
  useProfile(profile: LoadProfile): void { this.pack.useProfile(profile); }

  /** A write to FF02 (the whole written value). Replies come later through onNotify. */
  write(bytes: Uint8Array): void {
    this.stats.writes++;
    if (bytes.length === 0) {
      this.stats.ignored++;
      return;
    }
    const unpaired = this.auth?.kind === "pairing" && !this.#paired;
    this.#queue.push({ bytes: bytes.slice(), echo: this.faults.echoOnly || unpaired });
    this.#next();
  }

  /** The link dropped: replies in flight and queued requests are lost. */
  disconnected(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#busy = false;
    this.#link++;
    this.#paired = false;
    this.#password?.disconnected();
    this.#login?.disconnected();
  }

  #next(): void {
    while (!this.#busy) {
      const job = this.#queue.shift();
      if (!job) return;
      const transmission = job.echo ? this.#echo(job.bytes) : this.#answer(job.bytes);
      if (transmission) this.#transmit(transmission);
    }
  }

  #echo(bytes: Uint8Array): Transmission {
    return { frames: [{ bytes, kind: "echo" }], latencyMs: sample(this.#timing, LATENCY.module) };
  }

  #answer(bytes: Uint8Array): Transmission | undefined {
    if (this.#login && bytes[0] === 0xff) return this.#moduleAnswer(bytes);
    const request = parseRequest(bytes);
    if (!request) {
      this.stats.ignored++;
      return undefined;
    }
    if (this.#login && !this.#login.forwards(request.write)) return undefined;
    this.stats.requests[request.reg] = (this.stats.requests[request.reg] ?? 0) + 1;
    const hit = drawFaults(this.#faultDraws, this.faults);
    for (const kind of hit) this.stats.faults[kind]++;
    if (hit.has("unanswered")) return undefined;

    const frames: Outgoing[] = [];
    if (hit.has("stray")) frames.push({ bytes: this.#strayFor(request), kind: "stray" });
    let reply = hit.has("errorStatus")
      ? encodeReply(request.reg, this.#damage.below(2) ? STATUS_INVALID : STATUS_UNSUPPORTED)
      : this.#execute(request);
    if (hit.has("corrupt")) reply = corruptFrame(reply, this.#damage);
    frames.push(hit.has("truncated")
      ? { bytes: truncateFrame(reply, this.#damage), kind: "partial" }
      : { bytes: reply, kind: "reply" });
    return { frames, latencyMs: sample(this.#timing, hit.has("slow") ? OUTLIER : latencyFor(request)) };
  }

  /** An FF AA frame, answered by the BLE module itself (no faults: those hit the BMS's UART). */
  #moduleAnswer(bytes: Uint8Array): Transmission | undefined {
    const frame = parseModuleFrame(bytes);
    const reply = frame && this.#login!.answer(frame.cmd, frame.data);
    if (!reply) {
      this.stats.ignored++;
      return undefined;
    }
    return { frames: [{ bytes: reply, kind: "module" }], latencyMs: sample(this.#timing, LATENCY.module) };
  }

  /** Handle a request as the BMS would: apply a write, build the reply frame. */
  #execute(request: Request): Uint8Array {
    const { reg, data } = request;
    if (this.eeprom.handles(reg)) return this.eeprom.execute(request.write, reg, data);
    if (!request.write) {
      switch (reg) {
        case CMD_BASIC_INFO: return (this.#lastBasicInfo = this.#basicInfo());
        case CMD_CELLS: return this.#cells();
        case CMD_HARDWARE: return encodeReply(reg, STATUS_OK, hardwarePayload(this.#hardwareVersion));
        case CMD_ERROR_COUNTERS: return encodeReply(reg, STATUS_OK, errorCountersPayload(this.pack.read()));
        default: return encodeReply(reg, STATUS_UNSUPPORTED);
      }
    }
    const password = this.#password;
    switch (reg) {
      case CMD_FACTORY_ENTER:
        if (data.length !== 2 || data[0] !== FACTORY_MAGIC[0] || data[1] !== FACTORY_MAGIC[1]) break;
        if (password && !password.open) {
          this.stats.auth.factoryRefused++;
          return encodeReply(reg, STATUS_CHECKSUM); // DD 00 82 00 FF 7E 77, as logged in smagicld #218
        }
        this.#factoryMode = true;
        this.eeprom.enter();
        return encodeReply(reg, STATUS_OK);
      case CMD_USE_PASSWORD:
        if (!password) break;
        return encodeReply(reg, password.use(data) ? STATUS_OK : STATUS_PASSWORD);
      case CMD_SET_PASSWORD:
        if (!password) break;
        return encodeReply(reg, password.change(data) ? STATUS_OK : STATUS_PASSWORD);
      case CMD_CLEAR_PASSWORD:
        if (!password) break;
        return encodeReply(reg, password.clear(data) ? STATUS_OK : STATUS_PASSWORD);
      case CMD_FACTORY_EXIT: {
        // 0x0000 leaves without saving, 0x2828 saves the working copy (bms-eeprom.ts)
        const status = this.eeprom.exit(data);
        if (status === STATUS_OK) this.#factoryMode = false;
        return encodeReply(reg, status);
      }
      case CMD_MOS:
        if (this.#mosCommand !== "e1" || data.length !== 2) break;
        // bit set = FET held off; 0x00 releases both
        this.pack.setSoftOff({ charge: (data[1] & 1) !== 0, discharge: (data[1] & 2) !== 0 });
        return encodeReply(reg, STATUS_OK);
      case CMD_MOS_FB:
        if (this.#mosCommand !== "fb" || data.length !== 2 || !this.#mosFb(data[0], data[1])) break;
        return encodeReply(reg, STATUS_OK);
      case CMD_CONTROL: {
        if (data.length !== 2) break;
        const code = (data[0] << 8) | data[1];
        this.stats.controls[code] = (this.stats.controls[code] ?? 0) + 1;
        if (!this.#controlFunctions || !runControl(this.pack, code)) break;
        return encodeReply(reg, STATUS_OK);
      }
    }
    return encodeReply(reg, STATUS_UNSUPPORTED);
  }

  /** 0xFB: target YY, XX 0 = unlock (on), 1 = software off. False for values the BMS rejects. */
  #mosFb(target: number, action: number): boolean {
    if (action > 1) return false;
    const off = action === 1;
    switch (target) {
      case FB_DISCHARGE: this.pack.setSoftOff({ discharge: off }); return true;
      case FB_CHARGE: this.pack.setSoftOff({ charge: off }); return true;
      case FB_BOTH: this.pack.setSoftOff({ charge: off, discharge: off }); return true;
      case FB_PRE_DISCHARGE: return true;
      default: return false;
    }
  }

  /** A valid frame of another command: the last 0x03 sent (old data), or a 0x04 when 0x03 was asked. */
  #strayFor(request: Request): Uint8Array {
    if (!request.write && request.reg === CMD_BASIC_INFO) return this.#cells();
    return this.#lastBasicInfo ?? this.#basicInfo();
  }

  #basicInfo(): Uint8Array {
    return encodeReply(CMD_BASIC_INFO, STATUS_OK, basicInfoPayload(this.pack.read(), this.#identity));
  }

  #cells(): Uint8Array {
    return encodeReply(CMD_CELLS, STATUS_OK, cellsPayload(this.pack.read()));
  }

  /** Send the frames back to back: first chunk after the latency, then chunk gaps. */
  #transmit({ frames, latencyMs }: Transmission): void {
    const chunks = frames.flatMap(({ bytes, kind }) =>
      chunk(bytes, this.#notifySize).map((piece, i, all) => ({ piece, completes: i === all.length - 1 ? kind : undefined })));
    const link = this.#link;
    let index = 0;
    const sendNext = () => {
      const { piece, completes } = chunks[index++];
      this.onNotify?.(piece);
      if (completes === "reply") this.stats.replies++;
      if (completes === "echo") this.stats.echoes++;
      if (completes === "module") this.stats.auth.moduleReplies++;
      if (this.#link !== link) return;
      if (index < chunks.length) {
        this.#timer = this.#clock.setTimeout(sendNext, sample(this.#timing, CHUNK_GAP));
        return;
      }
      this.#timer = undefined;
      this.#busy = false;
      this.#next();
    };
    this.#busy = true;
    this.#timer = this.#clock.setTimeout(sendNext, latencyMs);
  }
}

function validate(o: SimOptions): void {
  const check = (ok: boolean, what: string) => { if (!ok) throw new RangeError(`SimulatedBms: ${what}`); };
  check(Number.isInteger(o.cellCount) && o.cellCount >= 1 && o.cellCount <= 32, "cellCount must be 1..32");
  check(Number.isInteger(o.ntcCount) && o.ntcCount >= 0 && o.ntcCount <= 8, "ntcCount must be 0..8");
  check(o.capacityAh > 0 && o.capacityAh <= LARGE_UNIT_ABOVE_AH * 10, "capacityAh must be in (0, 6553.5]");
  check(o.initialSoc >= 0 && o.initialSoc <= 100, "initialSoc must be 0..100");
  check(Number.isInteger(o.softwareVersion) && o.softwareVersion >= 0 && o.softwareVersion <= 0xff, "softwareVersion must be a byte");
  check(/^[\x20-\x7e]{0,255}$/.test(o.hardwareVersion), "hardwareVersion must be printable ASCII, at most 255 characters");
  check(Number.isInteger(o.notifySize) && o.notifySize >= 1, "notifySize must be a positive integer");
  check(parseMac(o.address) !== undefined, "address must be a MAC like A4:C1:37:04:2D:BE");
  check(o.eeprom === "fw16" || o.eeprom === "fw20", "eeprom must be fw16 or fw20");
  if (o.auth) validateAuth(o.auth);
}
