// The polling half of a BMS link: over a held link (the notify and write characteristics of one
// connection) it runs one request at a time, matches replies to it, retries, decodes into
// preallocated readings, and runs MOS commands as a closed loop and raw console frames. The link
// (bms-link) owns the connection state machine and starts and stops this one. MOS commands wait in
// the link's queue (mos-queue: one slot per FET, the latest wins, writes paced) for their turn.
//
// The poll path (notification -> assembler -> decoder -> next request) allocates nothing: the
// assembler, readings, request buffers and timeouts are all created once here.
import type { Characteristic, Client, CharacteristicValue } from "bleclient";
import Time from "time";
import { FrameAssembler, type FrameSink } from "../protocol/assembler";
import { BasicInfo, PROTECTION_NAMES, decodeBasicInfo } from "../protocol/basic-info";
import { CellVoltages, decodeCells } from "../protocol/cells";
import { HardwareVersion, decodeHardware } from "../protocol/hardware";
import { ErrorCounters, decodeErrorCounters } from "../protocol/error-counters";
import {
  READ_BASIC_INFO, READ_CELLS, READ_HARDWARE, READ_ERROR_COUNTERS, EXIT_FACTORY, mosRequest, mosFbRequest,
} from "../protocol/commands";
import { CMD_BASIC_INFO, CMD_CELLS, CMD_HARDWARE, CMD_ERROR_COUNTERS, CMD_MOS, CMD_MOS_FB, CMD_FACTORY_EXIT, READ, WRITE, statusText } from "../protocol/frame";
import { Timeout } from "../platform/timeout";
import type { BmsView, Fet, LinkListener, MosResult } from "./bms-view";
import { MosQueue, answerMos, type MosCommand } from "./mos-queue";
import type { LinkStats } from "./link-stats";
import type { Logger } from "./logger";

// Timing from measured BMS behaviour (../shared/jbd-field-facts.md §5): replies start 33-250 ms
// after a request (rare 1.6 s outlier), so each attempt waits a little longer than the last.
export const ATTEMPT_TIMEOUTS_MS: readonly number[] = Object.freeze([600, 1200, 2400]);
const FAILED_CYCLES_BEFORE_RECONNECT = 3;
const FAILED_CYCLES_BEFORE_OFFLINE = 2;
const ERROR_COUNTERS_EVERY = 60;     // poll cycles between 0xAA reads
/** RSSI is read with the first cycle of a connection, then with a cycle about this often (it changes
 *  slowly; each read is a call into NimBLE and a callback, about 2 % of a cycle's work in XS). */
const RSSI_EVERY_MS = 30_000;
const MOS_READBACK_DELAY_MS = 250;

// Session steps come last: `step >= Step.MosWrite` below means a MOS step or later.
const enum Step { Idle, BasicInfo, Cells, Hardware, ErrorCounters, MosAuthorize, MosWrite, MosFb, MosExit, MosReadBack, Raw, Session, SessionAuthorize }

/** What the poller needs from its link. */
export interface PollerHost {
  readonly client: Client | undefined;
  /** The link is up and set up (false while it closes: a waiting MOS command is not started then). */
  readonly connected: boolean;
  readonly config: { pollIntervalMs: number };
  /** Polls went unanswered too often: close the link so the next one starts clean. */
  pollsUnanswered(): void;
  /** Ask the central to check the BLE stack (a host reset shows first as silence). */
  probe(reason: string): void;
  /** Before a MOS write: the module's root login where it has one; false when none is needed. */
  authorizeWrite(done: (error?: string) => void): boolean;
  /** The first poll of this connection was answered. */
  firstAnswer(): void;
  /** The first poll of this connection went unanswered: true when the host takes over (a login), the poller stopped. */
  firstPollSilent(): boolean;
  /** Our request came back as it was sent (a module that wants pairing). */
  echoed(): void;
}

/**
 * A session that has the link to itself (the settings' factory-mode session): it starts once the
 * poller is idle and no MOS command is under way, polls and MOS commands wait until it ends, and it
 * sends its requests one at a time through sessionSend() with the poll's timeouts and retries.
 */
export interface ExclusiveSession {
  /** The link is the session's now: send the first request (or authorize first). */
  begin(): void;
  /** The reply to the session's request, whatever its status. */
  reply(frame: Uint8Array): void;
  /** The request went unanswered after every attempt. */
  failed(reason: string): void;
  /** The link stopped: nothing more can be sent (the session is over, endSession() not needed). */
  stopped(reason: string): void;
}

/** Frames for a login under way (bms-login) rather than for the poll. */
export interface LoginSink {
  readonly busy: boolean;
  onFrame(frame: Uint8Array): boolean;
  onModuleFrame(frame: Uint8Array): void;
}

export class BmsPoller implements FrameSink {
  readonly info = new BasicInfo();
  readonly cells = new CellVoltages();
  readonly hardware = new HardwareVersion();
  readonly errorCounters = new ErrorCounters();
  readonly assembler: FrameAssembler;
  infoAt = -1;
  cellsAt = -1;
  online = false;
  /** Called with every frame in and out when capture is on (console "capture"). */
  capture: ((direction: "tx" | "rx", bytes: Uint8Array) => void) | undefined;
  /** Gets the frames while a login step waits (set by the link). */
  login: LoginSink | undefined;

  #write: Characteristic | undefined;
  #step = Step.Idle;
  #request: ArrayBuffer = READ_BASIC_INFO;
  #requestCmd = 0;
  #attempt = 0;
  #sentAt = 0;
  #cycles = 0;
  #failedCycles = 0;
  #pollDue = false;
  #hardwareAsked = false;
  /** Poll cycles until the next RSSI read (0: with the next one). */
  #rssiIn = 0;
  /** A poll of this connection was answered. */
  #answered = false;
  /** The MOS command under way (from the queue's turn to its answer): nothing else starts meanwhile. */
  #mos: MosCommand | undefined;
  readonly #queue: MosQueue;
  /** The exclusive session waiting for its turn or under way (`#sessionActive`). */
  #session: ExclusiveSession | undefined;
  #sessionActive = false;
  /** A raw frame waiting or under way; `mos`: it is a MOS write (paced like the commands). */
  #raw: { bytes: ArrayBuffer; mos: boolean; done: (reply: Uint8Array | undefined, error?: string) => void } | undefined;
  readonly #replyTimeout = new Timeout(() => this.onReplyTimeout());
  readonly #pollTimer = new Timeout(() => { this.#pollDue = true; this.startCycle(); });
  /** During a MOS command: the delay before its read-back. Else: a waiting MOS write's wait for the interval
   *  since the last one (one timer for both: a timer costs RAM per link, and the two never overlap). */
  readonly #mosDelay = new Timeout(() => {
    if (this.#mos) this.send(Step.MosReadBack, READ_BASIC_INFO, CMD_BASIC_INFO);
    else this.startCycle();
  });

  constructor(
    private readonly stats: LinkStats,
    private readonly view: BmsView,
    private readonly host: PollerHost,
    private readonly listener: LinkListener,
    private readonly log: Logger,
  ) {
    this.assembler = new FrameAssembler(this);
    this.#queue = new MosQueue(log);
  }

  /** Polling over a held link (false while the link is down or a login is being found out). */
  get running(): boolean { return this.#write !== undefined; }

  get config(): { pollIntervalMs: number } { return this.host.config; }

  /** The link is up: poll over `write` at once, then every poll interval. */
  start(write: Characteristic): void {
    this.#write = write;
    this.#failedCycles = 0;
    this.#hardwareAsked = false; // 0x05 once per connection
    this.#rssiIn = 0;
    this.#answered = false;
    this.#pollDue = true;
    this.startCycle();
  }

  /** The link is gone: nothing in flight survives it. */
  stop(reason: string): void {
    this.#write = undefined;
    this.#replyTimeout.stop();
    this.#pollTimer.stop();
    this.#mosDelay.stop();
    this.assembler.reset();
    this.abortPending(reason);
    this.setOnline(false);
  }

  /**
   * Start whatever is due: a waiting MOS command first (once the interval since the last MOS write is
   * over), then a raw frame, else the poll when its interval has come. Nothing while a MOS command is
   * under way: its steps have idle gaps (the read-back delay) that belong to it.
   */
  private startCycle(): void {
    if (!this.#write || this.#step !== Step.Idle || this.#mos) return;
    const session = this.#session;
    if (session) {
      if (!this.#sessionActive) { this.#sessionActive = true; session.begin(); }
      return;
    }
    if (this.#queue.pending && this.host.connected && this.paced()) {
      this.#mosDelay.stop(); // the interval's wait, if it was armed: from now on the command's own delay
      this.#mos = this.#queue.take();
      this.startMos();
      return;
    }
    if (this.#raw && (!this.#raw.mos || this.paced())) { this.startRaw(); return; }
    if (!this.#pollDue) return;
    this.#pollDue = false;
    this.#pollTimer.start(this.config.pollIntervalMs);
    this.send(Step.BasicInfo, READ_BASIC_INFO, CMD_BASIC_INFO);
  }

  /** True when a MOS write may go now; else the pace timer will call startCycle() when it may. */
  private paced(): boolean {
    const wait = this.#queue.waitMs;
    if (wait === 0) return true;
    if (!this.#mosDelay.armed) this.#mosDelay.start(wait);
    return false;
  }

  private send(step: Step, request: ArrayBuffer, cmd: number): void {
    this.#step = step;
    this.#request = request;
    this.#requestCmd = cmd;
    this.#attempt = 0;
    this.transmit();
  }

  private transmit(): void {
    const write = this.#write;
    if (!write) return;
    this.#sentAt = Time.ticks;
    this.#replyTimeout.start(ATTEMPT_TIMEOUTS_MS[this.#attempt]);
    const step = this.#step;
    // (a poll's read, nearly every request, is told by the first comparison)
    if (step >= Step.MosWrite && (step === Step.MosWrite || step === Step.MosFb || (step === Step.Raw && this.#raw?.mos))) this.#queue.wrote();
    if (this.capture) this.capture("tx", new Uint8Array(this.#request));
    write.writeWithoutResponse(this.#request);
  }

  private onReplyTimeout(): void {
    if (this.#step === Step.Idle) return;
    if (++this.#attempt < ATTEMPT_TIMEOUTS_MS.length) {
      this.stats.retries++;
      this.transmit();
      return;
    }
    this.stats.timeouts++;
    this.requestFailed("timeout");
  }

  onNotification(value: CharacteristicValue): void {
    // an ArrayBuffer only when the manifest's bleservices typing is missing (the assembler takes both)
    this.assembler.push(value, Time.ticks);
    if (this.capture) this.capture("rx", value instanceof Uint8Array ? value : new Uint8Array(value));
  }

  /** A complete, checksum-valid frame (FrameSink). `frame` is the assembler's buffer. */
  onFrame(frame: Uint8Array, _length: number): void {
    const login = this.login;
    if (login !== undefined && login.busy && login.onFrame(frame)) return;
    const cmd = frame[1], step = this.#step; // (read once: two frames per poll cycle)
    if (step === Step.MosAuthorize || step === Step.SessionAuthorize) { this.stats.strays++; return; }
    // DD A5 <our register>: the request itself, sent back by a module that wants a paired link
    if (cmd === READ && frame[2] === this.#requestCmd && step !== Step.Idle) { this.#step = Step.Idle; this.#replyTimeout.stop(); this.host.echoed(); return; }
    if (step === Step.Idle || cmd !== this.#requestCmd) { this.stats.strays++; return; }
    this.#replyTimeout.stop();
    this.stats.latency.add(Time.delta(this.#sentAt));
    const status = frame[2];
    if (step === Step.Raw) { this.finishRaw(frame); return; }
    if (step === Step.Session) { this.#step = Step.Idle; this.#session?.reply(frame); return; }
    if (status !== 0) {
      this.stats.errorReplies++;
      if (step === Step.MosWrite && status === 0x80) { this.mosFallback(); return; }
      // a read answered with an error status is retried like an unanswered one
      if (step < Step.MosWrite && ++this.#attempt < ATTEMPT_TIMEOUTS_MS.length) { this.stats.retries++; this.transmit(); return; }
      this.requestFailed(step >= Step.MosWrite ? "BMS refused: " + statusText(status) : statusText(status));
      return;
    }
    switch (step) {
      case Step.BasicInfo:
        if (!decodeBasicInfo(frame, this.info)) { this.requestFailed("bad 0x03 payload"); return; }
        this.infoAt = Time.ticks;
        this.send(Step.Cells, READ_CELLS, CMD_CELLS);
        return;
      case Step.Cells:
        if (!decodeCells(frame, this.cells)) { this.requestFailed("bad 0x04 payload"); return; }
        this.cellsAt = Time.ticks;
        if (!this.#hardwareAsked) { this.#hardwareAsked = true; this.send(Step.Hardware, READ_HARDWARE, CMD_HARDWARE); return; }
        if (this.#cycles % ERROR_COUNTERS_EVERY === 0) { this.send(Step.ErrorCounters, READ_ERROR_COUNTERS, CMD_ERROR_COUNTERS); return; }
        this.cycleDone();
        return;
      case Step.Hardware:
        if (decodeHardware(frame, this.hardware)) this.listener.onInfo(this.view);
        this.send(Step.ErrorCounters, READ_ERROR_COUNTERS, CMD_ERROR_COUNTERS);
        return;
      case Step.ErrorCounters:
        decodeErrorCounters(frame, this.errorCounters);
        this.cycleDone();
        return;
      case Step.MosWrite:
      case Step.MosFb:
        this.#step = Step.Idle;
        if (this.#mos) this.#mos.command = cmd === CMD_MOS_FB ? "fb" : "e1";
        if (cmd === CMD_MOS) this.send(Step.MosExit, EXIT_FACTORY, CMD_FACTORY_EXIT);
        else this.#mosDelay.start(MOS_READBACK_DELAY_MS);
        return;
      case Step.MosExit:
        this.#step = Step.Idle;
        this.#mosDelay.start(MOS_READBACK_DELAY_MS);
        return;
      case Step.MosReadBack:
        this.#step = Step.Idle;
        if (decodeBasicInfo(frame, this.info)) this.infoAt = Time.ticks;
        this.finishMos();
        return;
    }
  }

  /** An FF AA frame of the BLE module (FrameSink): a login's, else a stray. */
  onModuleFrame(frame: Uint8Array, _length: number): void {
    const login = this.login;
    if (login !== undefined && login.busy) login.onModuleFrame(frame);
    else this.stats.strays++;
  }

  private cycleDone(): void {
    this.#step = Step.Idle;
    this.#cycles++;
    this.#failedCycles = 0;
    this.stats.pollsOk++;
    if (!this.#answered) { this.#answered = true; this.host.firstAnswer(); }
    if (--this.#rssiIn <= 0) {
      this.#rssiIn = Math.ceil(RSSI_EVERY_MS / this.config.pollIntervalMs);
      this.host.client?.readRSSI(); // NimBLE answers synchronously through onRSSI
    }
    if (!this.online) this.setOnline(true);
    this.listener.onReading(this.view);
    this.startCycle(); // a command waiting for this cycle, or a poll that came due meanwhile
  }

  private requestFailed(reason: string): void {
    const step = this.#step;
    this.#step = Step.Idle;
    if (step === Step.Raw) { this.finishRaw(undefined, reason); return; }
    if (step === Step.Session) { this.#session?.failed(reason); return; }
    if (step >= Step.MosWrite) { this.finishMos(reason === "timeout" ? "timeout: the BMS did not answer" : reason); return; }
    if (step === Step.Hardware || step === Step.ErrorCounters) {
      // optional reads: some firmware doesn't answer them; the reading itself is complete
      this.cycleDone();
      return;
    }
    this.stats.pollsFailed++;
    this.log.debug("poll failed:", reason);
    this.host.probe("poll failed"); // a host reset shows first as silence
    if (!this.#answered && this.#failedCycles === 0 && this.host.firstPollSilent()) return;
    if (++this.#failedCycles >= FAILED_CYCLES_BEFORE_OFFLINE) this.setOnline(false);
    if (this.#failedCycles >= FAILED_CYCLES_BEFORE_RECONNECT) { this.host.pollsUnanswered(); return; }
    this.startCycle();
  }

  private setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    this.listener.onAvailability(this.view, online);
  }

  // ---------------- MOS commands (closed loop) ----------------
  /** Queue a MOS change (mos-queue); `done` is called exactly once: confirmed, failed, superseded or refused. */
  setMos(fet: Fet, on: boolean, done: (result: MosResult) => void): void {
    if (!this.#write) { answerMos(done, { fet, requested: on, ok: false, error: "not connected" }, this.log); return; }
    if (this.infoAt === -1) { answerMos(done, { fet, requested: on, ok: false, error: "state unknown: no reading yet" }, this.log); return; }
    this.#queue.put(fet, on, done);
    this.startCycle();
  }

  private startMos(): void {
    const mos = this.#mos!;
    if (!mos.authorized) {
      mos.authorized = true;
      if (this.host.authorizeWrite((error) => this.authorized(mos, error))) { this.#step = Step.MosAuthorize; return; }
    }
    // read-modify-write: keep the other FET as the BMS last reported it
    const charge = mos.fet === "charge" ? mos.on : this.info.chargeOn;
    const discharge = mos.fet === "discharge" ? mos.on : this.info.dischargeOn;
    this.send(Step.MosWrite, mosRequest(charge, discharge), CMD_MOS);
  }

  private authorized(mos: MosCommand, error?: string): void {
    if (this.#step !== Step.MosAuthorize || this.#mos !== mos) return;
    this.#step = Step.Idle;
    if (error) { this.finishMos("root login failed: " + error); return; }
    this.startMos();
  }

  private mosFallback(): void {
    // Newer firmware replaced 0xE1 by 0xFB (V11): per-FET command, 0 = discharge, 1 = charge.
    const mos = this.#mos!;
    this.send(Step.MosFb, mosFbRequest(mos.fet === "charge" ? 1 : 0, mos.on), CMD_MOS_FB);
  }

  private finishMos(error?: string): void {
    const mos = this.#mos;
    this.#mos = undefined;
    if (!mos) return;
    const charge = this.info.chargeOn, discharge = this.info.dischargeOn;
    const result: MosResult = { fet: mos.fet, requested: mos.on, ok: false, charge, discharge };
    if (error) result.error = error;
    else {
      result.command = mos.command;
      result.ok = (mos.fet === "charge" ? charge : discharge) === mos.on;
      if (!result.ok) result.error = "state did not change: " + this.whyUnchanged();
    }
    if (this.#write) this.listener.onReading(this.view);
    answerMos(mos.done, result, this.log);
    this.startCycle();
  }

  /** Best guess at why the BMS kept a FET as it was (for the MOS result; not on the poll path). */
  private whyUnchanged(): string {
    const active = PROTECTION_NAMES.filter((_, bit) => bit !== 12 && this.info.isProtected(bit));
    if (active.length) return "protection active (" + active.join(", ") + ")";
    return "the BMS ignored the command (load current too high, or it needs authentication)";
  }

  // ---------------- raw frames (console "send") ----------------
  /** Send any request and hand back the first complete frame that follows (diagnostics only). */
  sendRaw(bytes: ArrayBuffer, done: (reply: Uint8Array | undefined, error?: string) => void): void {
    if (!this.#write) { done(undefined, "not connected"); return; }
    if (this.#raw) { done(undefined, "busy"); return; }
    const b = new Uint8Array(bytes);
    this.#raw = { bytes, mos: b.length > 2 && b[1] === WRITE && (b[2] === CMD_MOS || b[2] === CMD_MOS_FB), done };
    if (this.#step === Step.Idle) this.startCycle();
  }

  private startRaw(): void {
    const bytes = this.#raw!.bytes;
    this.send(Step.Raw, bytes, new Uint8Array(bytes)[2]);
  }

  private finishRaw(frame: Uint8Array | undefined, error?: string): void {
    const raw = this.#raw;
    this.#raw = undefined;
    this.#step = Step.Idle;
    if (raw) {
      try { raw.done(frame && frame.slice(0, frame[3] + 7), error); } catch (e) { this.log.error("raw reply handler:", e); }
    }
    this.startCycle();
  }

  // ---------------- an exclusive session (settings) ----------------
  /** Give the link to `session` once it is free; an error when it cannot be taken now. */
  runSession(session: ExclusiveSession): string | undefined {
    if (!this.#write) return "not connected";
    if (this.#session) return "busy: another session (settings or maintenance) has the link";
    this.#session = session;
    this.#sessionActive = false;
    if (this.#step === Step.Idle) this.startCycle();
    return undefined;
  }

  /** The session's next request; its reply (or failure) comes to the session. */
  sessionSend(request: ArrayBuffer, cmd: number): void {
    if (this.#sessionActive) this.send(Step.Session, request, cmd);
  }

  /** Before factory-mode writes: the host's root login where the module has one; false when none is needed. */
  sessionAuthorize(done: (error?: string) => void): boolean {
    const session = this.#session;
    if (!this.#sessionActive || !session) return false;
    const needed = this.host.authorizeWrite((error) => {
      if (this.#step !== Step.SessionAuthorize || this.#session !== session) return;
      this.#step = Step.Idle;
      done(error);
    });
    if (needed) this.#step = Step.SessionAuthorize;
    return needed;
  }

  /** The session is over: polls (one that came due meanwhile at once) and MOS commands go on. */
  endSession(): void {
    if (!this.#session) return;
    this.#session = undefined;
    this.#sessionActive = false;
    this.#step = Step.Idle;
    this.#replyTimeout.stop();
    this.startCycle();
  }

  private abortPending(reason: string): void {
    this.#step = Step.Idle;
    const session = this.#session;
    if (session) {
      this.#session = undefined;
      this.#sessionActive = false;
      try { session.stopped(reason); } catch (error) { this.log.error("settings session:", error); }
    }
    if (this.#mos) this.finishMos(`${reason}: the link dropped before the BMS confirmed`);
    this.#queue.clear(`${reason}: not sent (the link stopped before its turn)`);
    if (this.#raw) this.finishRaw(undefined, reason);
  }
}
