// One persistent BLE GATT link to one JBD BMS: wait until its device advertises (the central
// scans and connects, one link at a time), discover FF01/FF02 (or FFF1/FFF2) in one characteristic
// discovery, enable notifications, let them settle, then poll over the held link. After a drop it
// waits for the device again at once; after failed setups it backs off (capped, with jitter);
// after repeated unanswered polls it closes the link itself so the next attempt starts clean.
//
// The poll path (notification -> assembler -> decoder -> next request) allocates nothing: the
// assembler, readings, request buffers and timeouts are all created once here.
import type { Characteristic, Client, ConnectTarget, Service, CharacteristicValue } from "bleclient";
import { Bytes, uuid } from "btutils";
import Time from "time";
import { FrameAssembler, type FrameSink } from "../protocol/assembler";
import { BasicInfo, PROTECTION_NAMES, decodeBasicInfo } from "../protocol/basic-info";
import { CellVoltages, decodeCells } from "../protocol/cells";
import { HardwareVersion, decodeHardware } from "../protocol/hardware";
import { ErrorCounters, decodeErrorCounters } from "../protocol/error-counters";
import {
  READ_BASIC_INFO, READ_CELLS, READ_HARDWARE, READ_ERROR_COUNTERS, EXIT_FACTORY, mosRequest, mosFbRequest,
} from "../protocol/commands";
import { CMD_BASIC_INFO, CMD_CELLS, CMD_HARDWARE, CMD_ERROR_COUNTERS, CMD_MOS, CMD_MOS_FB, CMD_FACTORY_EXIT, statusText } from "../protocol/frame";
import { Timeout } from "../platform/timeout";
import type { BleCentral, CentralLink, SeenDevice } from "./ble-central";
import type { BmsView, Fet, LinkListener, MosResult } from "./bms-view";
import { LinkStats } from "./link-stats";
import type { Logger } from "./logger";
import { formatMac, globMatch, normalizeMac } from "../config/schema";

/** "a4c138112233", "a4:c1:38:11:22:33" ... -> "A4:C1:38:11:22:33" ("" if not a MAC). */
function canonicalMac(text: string): string {
  const hex = normalizeMac(text);
  return hex ? formatMac(hex).toUpperCase() : "";
}

export interface LinkConfig {
  /** Topic id (configured name, else the MAC without colons, else "bms<N>"). */
  id: string;
  name: string;
  /** "AA:BB:CC:DD:EE:FF" to connect directly; empty to find it by scanning. */
  address: string;
  /** Name pattern for scanning ("JBD-*"); empty = any device advertising FF00/FFF0. */
  pattern: string;
  pollIntervalMs: number;
  /** Called once when a scanned-for BMS (no address configured) first comes up: its address is known. */
  onFound?: (link: BmsLink, address: string) => void;
}

// Timing from measured BMS behaviour (../shared/jbd-field-facts.md §5): replies start 33-250 ms
// after a request (rare 1.6 s outlier), so each attempt waits a little longer than the last.
export const ATTEMPT_TIMEOUTS_MS = [600, 1200, 2400];
const DISCOVERY_TIMEOUT_MS = 5_000;
const SETTLE_MS = 300;               // the first request right after subscribing goes unanswered
const DISCONNECT_WAIT_MS = 3_000;    // no onDisconnected by then: the stack is not answering
const FAILED_CYCLES_BEFORE_RECONNECT = 3;
const FAILED_CYCLES_BEFORE_OFFLINE = 2;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 60_000;
const ERROR_COUNTERS_EVERY = 60;     // poll cycles between 0xAA reads
const MOS_READBACK_DELAY_MS = 250;

const SERVICES = [uuid`FF00`, uuid`FFF0`];
const NOTIFY_UUIDS = [uuid`FF01`, uuid`FFF1`];
const WRITE_UUIDS = [uuid`FF02`, uuid`FFF2`];
const WRITE_NO_RESPONSE = 4;

const enum State { Down, Waiting, Connecting, Discovering, Subscribing, Settling, Ready, Closing }
const enum Step { Idle, BasicInfo, Cells, Hardware, ErrorCounters, MosWrite, MosFb, MosExit, MosReadBack, Raw }

export class BmsLink implements CentralLink, BmsView, FrameSink {
  readonly info = new BasicInfo();
  readonly cells = new CellVoltages();
  readonly hardware = new HardwareVersion();
  readonly errorCounters = new ErrorCounters();
  readonly stats = new LinkStats();
  readonly assembler: FrameAssembler;
  infoAt = -1;
  cellsAt = -1;
  rssi: number | undefined;
  online = false;
  client: Client | undefined;
  notifyCharacteristic: Characteristic | undefined;
  /** Called with every frame in and out when capture is on (console "capture"). */
  capture: ((direction: "tx" | "rx", bytes: Uint8Array) => void) | undefined;

  #state = State.Down;
  #write: Characteristic | undefined;
  #address: string;
  #target: { address: Bytes; addressType: number } | undefined;
  /** A device a scanned-for link is trying (adopted only once its link comes up). */
  #tentative: { address: Bytes; addressType: number } | undefined;
  #step = Step.Idle;
  #request: ArrayBuffer = READ_BASIC_INFO;
  #requestCmd = 0;
  #attempt = 0;
  #sentAt = 0;
  #cycles = 0;
  #failedCycles = 0;
  #backoffMs = BACKOFF_MIN_MS;
  #downSince = 0;
  #everConnected = false;
  #pollDue = false;
  #hardwareAsked = false;
  #mos: { fet: Fet; on: boolean; done: (r: MosResult) => void; command: "e1" | "fb" } | undefined;
  #raw: { bytes: ArrayBuffer; done: (reply: Uint8Array | undefined, error?: string) => void } | undefined;
  readonly #replyTimeout = new Timeout(() => this.#onReplyTimeout());
  readonly #pollTimer = new Timeout(() => { this.#pollDue = true; this.#startCycle(); });
  readonly #stepTimeout = new Timeout(() => this.#onStepTimeout());
  readonly #reconnect = new Timeout(() => this.#wait());
  readonly #mosDelay = new Timeout(() => this.#send(Step.MosReadBack, READ_BASIC_INFO, CMD_BASIC_INFO));

  constructor(
    readonly config: LinkConfig,
    private readonly central: BleCentral,
    private readonly listener: LinkListener,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.assembler = new FrameAssembler(this);
    this.#address = canonicalMac(config.address);
    this.#setTarget();
  }

  get id(): string { return this.config.id; }
  get frameStats() { return this.assembler.stats; }
  get name(): string { return this.config.name; }
  get address(): string | undefined { return this.#address || undefined; }
  get connected(): boolean { return this.#state === State.Ready; }
  get needsAddress(): boolean { return !this.#target; }
  get wantsConnection(): boolean { return this.#state === State.Waiting; }
  get stateName(): string {
    return ["down", "waiting", "connecting", "discovering", "subscribing", "settling", "ready", "closing"][this.#state];
  }

  start(): void { this.#wait(); }

  /** Drop the link and connect again at once (console "reconnect"). */
  reconnect(): void {
    if (this.#state >= State.Discovering) this.#forceClose("reconnect requested");
    else { this.#reconnect.stop(); this.#backoffMs = BACKOFF_MIN_MS; this.#wait(); }
  }

  // ---------------- connection ----------------
  #setTarget(): void {
    this.#target = this.#address ? { address: new Bytes(this.#address.replace(/:/g, ""), true), addressType: 0 } : undefined;
  }

  waitingSince = 0;

  #wait(): void {
    this.#state = State.Waiting;
    this.waitingSince = Time.ticks;
    this.central.update();
  }

  get matchKind(): "address" | "pattern" | "service" { return this.#target ? "address" : this.config.pattern ? "pattern" : "service"; }

  offer(device: SeenDevice): ConnectTarget | undefined {
    if (this.#state !== State.Waiting) return undefined;
    if (this.#target) {
      if (!this.#target.address.equals(device.address)) return undefined;
      // connect with the address type the scan reported (a random address needs 1)
      this.#target = { address: this.#target.address, addressType: device.addressType };
      return this.#target;
    }
    if (this.config.pattern) {
      if (device.name === undefined || !globMatch(this.config.pattern, device.name)) return undefined;
    } else if (!device.service) return undefined;
    for (const other of this.central.links) if (other !== this && other.isTarget(device.address)) return undefined;
    this.#tentative = { address: new Bytes(device.address), addressType: device.addressType };
    return this.#tentative;
  }

  isTarget(address: ArrayBuffer): boolean {
    return (!!this.#target && this.#target.address.equals(address)) || (!!this.#tentative && this.#tentative.address.equals(address));
  }

  connecting(): void {
    this.#reconnect.stop();
    this.#state = State.Connecting;
    this.stats.connectAttempts++;
  }

  connectTimedOut(): void {
    if (this.#state !== State.Connecting) return;
    this.stats.connectTimeouts++;
    this.#tentative = undefined;
    this.#down(false);
  }

  onConnected(client: Client): boolean {
    // a connection the link still wants: waiting, connecting, or backing off after a timeout
    if (this.#state >= State.Discovering) return false;
    this.#reconnect.stop();
    this.client = client;
    this.#state = State.Discovering;
    this.#stepTimeout.start(DISCOVERY_TIMEOUT_MS);
    client.discoverAllPrimaryServices();
    return true;
  }

  onServices(services: Service[]): void {
    if (this.#state !== State.Discovering) return;
    const service = services.find((s) => SERVICES[0].equals(s.uuid) || SERVICES[1].equals(s.uuid));
    if (!service) { this.#giveUp("no FF00/FFF0 service"); return; }
    // One discovery for both characteristics: a second discovery call would wipe the first's
    // results and with them the routing of FF01 notifications.
    service.discoverAllCharacteristics();
  }

  onCharacteristics(characteristics: Characteristic[]): void {
    if (this.#state !== State.Discovering) return;
    const notify = characteristics.find((c) => NOTIFY_UUIDS[0].equals(c.uuid) || NOTIFY_UUIDS[1].equals(c.uuid));
    const write = characteristics.find((c) => WRITE_UUIDS[0].equals(c.uuid) || WRITE_UUIDS[1].equals(c.uuid));
    if (!notify || !write) { this.#giveUp("notify/write characteristic missing"); return; }
    if (!(write.properties & WRITE_NO_RESPONSE)) this.log.warn("write characteristic lacks write-without-response; trying anyway:", write.properties);
    this.notifyCharacteristic = notify;
    this.#write = write;
    this.#state = State.Subscribing;
    this.central.setupDone(this); // GATT discovery is over: the central may scan again
    notify.enableNotifications();
  }

  onNotificationsEnabled(): void {
    if (this.#state !== State.Subscribing) return;
    this.#state = State.Settling;
    this.#stepTimeout.start(SETTLE_MS);
  }

  #onStepTimeout(): void {
    switch (this.#state) {
      case State.Settling: this.#linkUp(); return;
      case State.Discovering:
      case State.Subscribing: this.#giveUp("discovery timeout"); return;
      case State.Closing:
        // no onDisconnected: the stack may have been reset under us
        this.#down(false);
        this.central.probe("no disconnect callback");
        return;
    }
  }

  #linkUp(): void {
    this.#state = State.Ready;
    this.stats.connects++;
    if (this.#everConnected) {
      const ms = Time.delta(this.#downSince);
      this.stats.lastReconnectMs = ms;
      if (ms > this.stats.maxReconnectMs) this.stats.maxReconnectMs = ms;
    }
    this.#everConnected = true;
    this.#backoffMs = BACKOFF_MIN_MS;
    this.#failedCycles = 0;
    this.#hardwareAsked = false; // 0x05 once per connection
    this.#pollDue = true;
    this.central.setupDone(this);
    const found = this.#tentative;
    if (found) {
      this.#tentative = undefined;
      this.#target = found;
      this.#address = canonicalMac(String(found.address));
      this.log.info("BMS found:", this.#address); // kept for every reconnect
      try { this.config.onFound?.(this, this.#address); } catch (error) { this.log.error("BMS found:", error); }
    }
    this.log.info("BMS link up:", this.id);
    this.#startCycle();
  }

  #giveUp(reason: string): void {
    this.log.warn("BMS link setup failed:", reason);
    this.central.setupDone(this);
    this.#tentative = undefined; // a scanned-for link may try another device next time
    this.#forceClose(reason);
  }

  /** Close the link ourselves; if the stack does not confirm, reset it. */
  #forceClose(reason: string): void {
    this.stats.forcedDisconnects++;
    this.log.info("closing BMS link:", reason);
    const client = this.client;
    if (!client) { this.#down(false); return; }
    this.#state = State.Closing;
    this.#stepTimeout.start(DISCONNECT_WAIT_MS);
    try { client.close(); } catch { this.#down(false); } // "connection not found": already gone
  }

  onDisconnected(): void {
    const expected = this.#state === State.Closing;
    this.#stepTimeout.stop();
    if (!expected) this.stats.drops++;
    this.#down(!expected);
  }

  onStackReset(): void {
    this.#stepTimeout.stop();
    this.stats.stackResets++;
    this.#tentative = undefined;
    this.#backoffMs = BACKOFF_MIN_MS;
    this.#down(true);
  }

  #down(unexpected: boolean): void {
    const wasUp = this.#state === State.Ready || this.#state === State.Closing;
    if (wasUp || this.#downSince === 0) this.#downSince = Time.ticks;
    this.#state = State.Down;
    this.client = undefined;
    this.notifyCharacteristic = undefined;
    this.#write = undefined;
    this.#replyTimeout.stop();
    this.#pollTimer.stop();
    this.#mosDelay.stop();
    this.assembler.reset();
    this.central.setupDone(this);
    this.#abortPending("not connected");
    this.#setOnline(false);
    if (unexpected) this.log.warn("BMS link dropped:", this.id);
    // a drop of a working link: wait for the device again at once (it advertises as soon as it is
    // free); failed setups back off, capped and exponential with +-25 % jitter
    if (unexpected) { this.#wait(); return; }
    const delay = this.#backoffMs * (0.75 + this.random() * 0.5);
    this.#backoffMs = Math.min(BACKOFF_MAX_MS, this.#backoffMs * 2);
    this.central.update();
    this.#reconnect.start(delay);
  }

  // ---------------- polling ----------------
  /** Start whatever is due: a queued command first, else the poll when its interval has come. */
  #startCycle(): void {
    if (this.#state !== State.Ready || this.#step !== Step.Idle) return;
    if (this.#mos) { this.#startMos(); return; }
    if (this.#raw) { this.#startRaw(); return; }
    if (!this.#pollDue) return;
    this.#pollDue = false;
    this.#pollTimer.start(this.config.pollIntervalMs);
    this.#send(Step.BasicInfo, READ_BASIC_INFO, CMD_BASIC_INFO);
  }

  #send(step: Step, request: ArrayBuffer, cmd: number): void {
    this.#step = step;
    this.#request = request;
    this.#requestCmd = cmd;
    this.#attempt = 0;
    this.#transmit();
  }

  #transmit(): void {
    const write = this.#write;
    if (!write) return;
    this.#sentAt = Time.ticks;
    this.#replyTimeout.start(ATTEMPT_TIMEOUTS_MS[this.#attempt]);
    if (this.capture) this.capture("tx", new Uint8Array(this.#request));
    write.writeWithoutResponse(this.#request);
  }

  #onReplyTimeout(): void {
    if (this.#step === Step.Idle) return;
    if (++this.#attempt < ATTEMPT_TIMEOUTS_MS.length) {
      this.stats.retries++;
      this.#transmit();
      return;
    }
    this.stats.timeouts++;
    this.#requestFailed("timeout");
  }

  onNotification(value: CharacteristicValue): void {
    const now = Time.ticks;
    if (value instanceof Uint8Array) this.assembler.push(value, now);
    else this.assembler.pushBuffer(value, now); // only when the manifest's bleservices typing is missing
    if (this.capture) this.capture("rx", value instanceof Uint8Array ? value : new Uint8Array(value));
  }

  /** A complete, checksum-valid frame (FrameSink). `frame` is the assembler's buffer. */
  onFrame(frame: Uint8Array, _length: number): void {
    const cmd = frame[1];
    if (this.#step === Step.Idle || cmd !== this.#requestCmd) { this.stats.strays++; return; }
    this.#replyTimeout.stop();
    this.stats.latency.add(Time.delta(this.#sentAt));
    const status = frame[2];
    if (this.#step === Step.Raw) { this.#finishRaw(frame); return; }
    if (status !== 0) {
      this.stats.errorReplies++;
      if (this.#step === Step.MosWrite && status === 0x80) { this.#mosFallback(); return; }
      // a read answered with an error status is retried like an unanswered one
      if (this.#step < Step.MosWrite && ++this.#attempt < ATTEMPT_TIMEOUTS_MS.length) { this.stats.retries++; this.#transmit(); return; }
      this.#requestFailed(this.#step >= Step.MosWrite ? "BMS refused: " + statusText(status) : statusText(status));
      return;
    }
    switch (this.#step) {
      case Step.BasicInfo:
        if (!decodeBasicInfo(frame, this.info)) { this.#requestFailed("bad 0x03 payload"); return; }
        this.infoAt = Time.ticks;
        this.#send(Step.Cells, READ_CELLS, CMD_CELLS);
        return;
      case Step.Cells:
        if (!decodeCells(frame, this.cells)) { this.#requestFailed("bad 0x04 payload"); return; }
        this.cellsAt = Time.ticks;
        if (!this.#hardwareAsked) { this.#hardwareAsked = true; this.#send(Step.Hardware, READ_HARDWARE, CMD_HARDWARE); return; }
        if (this.#cycles % ERROR_COUNTERS_EVERY === 0) { this.#send(Step.ErrorCounters, READ_ERROR_COUNTERS, CMD_ERROR_COUNTERS); return; }
        this.#cycleDone();
        return;
      case Step.Hardware:
        if (decodeHardware(frame, this.hardware)) this.listener.onInfo(this);
        this.#send(Step.ErrorCounters, READ_ERROR_COUNTERS, CMD_ERROR_COUNTERS);
        return;
      case Step.ErrorCounters:
        decodeErrorCounters(frame, this.errorCounters);
        this.#cycleDone();
        return;
      case Step.MosWrite:
      case Step.MosFb:
        this.#step = Step.Idle;
        if (this.#mos) this.#mos.command = cmd === CMD_MOS_FB ? "fb" : "e1";
        if (cmd === CMD_MOS) this.#send(Step.MosExit, EXIT_FACTORY, CMD_FACTORY_EXIT);
        else this.#mosDelay.start(MOS_READBACK_DELAY_MS);
        return;
      case Step.MosExit:
        this.#step = Step.Idle;
        this.#mosDelay.start(MOS_READBACK_DELAY_MS);
        return;
      case Step.MosReadBack:
        this.#step = Step.Idle;
        if (decodeBasicInfo(frame, this.info)) this.infoAt = Time.ticks;
        this.#finishMos();
        return;
    }
  }

  #cycleDone(): void {
    this.#step = Step.Idle;
    this.#cycles++;
    this.#failedCycles = 0;
    this.stats.pollsOk++;
    this.client?.readRSSI(); // NimBLE answers synchronously through onRSSI
    this.#setOnline(true);
    this.listener.onReading(this);
    this.#startCycle(); // a command waiting for this cycle, or a poll that came due meanwhile
  }

  #requestFailed(reason: string): void {
    const step = this.#step;
    this.#step = Step.Idle;
    if (step === Step.Raw) { this.#finishRaw(undefined, reason); return; }
    if (step >= Step.MosWrite) { this.#finishMos(reason === "timeout" ? "timeout: the BMS did not answer" : reason); return; }
    if (step === Step.Hardware || step === Step.ErrorCounters) {
      // optional reads: some firmware doesn't answer them; the reading itself is complete
      this.#cycleDone();
      return;
    }
    this.stats.pollsFailed++;
    this.log.debug("poll failed:", reason);
    this.central.probe("poll failed"); // a host reset shows first as silence
    if (++this.#failedCycles >= FAILED_CYCLES_BEFORE_OFFLINE) this.#setOnline(false);
    if (this.#failedCycles >= FAILED_CYCLES_BEFORE_RECONNECT) { this.#forceClose("polls unanswered"); return; }
    this.#startCycle();
  }

  onRSSI(rssi: number): void { this.rssi = rssi; }

  #setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    this.listener.onAvailability(this, online);
  }

  // ---------------- MOS commands (closed loop) ----------------
  setMos(fet: Fet, on: boolean, done: (result: MosResult) => void): void {
    if (this.#mos) { done({ fet, requested: on, ok: false, error: "busy: another MOS command is running" }); return; }
    if (this.#state !== State.Ready) { done({ fet, requested: on, ok: false, error: "not connected" }); return; }
    if (this.infoAt === -1) { done({ fet, requested: on, ok: false, error: "state unknown: no reading yet" }); return; }
    this.#mos = { fet, on, done, command: "e1" };
    if (this.#step === Step.Idle) this.#startCycle();
  }

  #startMos(): void {
    const mos = this.#mos!;
    // read-modify-write: keep the other FET as the BMS last reported it
    const charge = mos.fet === "charge" ? mos.on : this.info.chargeOn;
    const discharge = mos.fet === "discharge" ? mos.on : this.info.dischargeOn;
    this.#send(Step.MosWrite, mosRequest(charge, discharge), CMD_MOS);
  }

  #mosFallback(): void {
    // Newer firmware replaced 0xE1 by 0xFB (V11): per-FET command, 0 = discharge, 1 = charge.
    const mos = this.#mos!;
    this.#send(Step.MosFb, mosFbRequest(mos.fet === "charge" ? 1 : 0, mos.on), CMD_MOS_FB);
  }

  #finishMos(error?: string): void {
    const mos = this.#mos;
    this.#mos = undefined;
    if (!mos) return;
    const charge = this.info.chargeOn, discharge = this.info.dischargeOn;
    const result: MosResult = { fet: mos.fet, requested: mos.on, ok: false, charge, discharge };
    if (error) result.error = error;
    else {
      result.command = mos.command;
      result.ok = (mos.fet === "charge" ? charge : discharge) === mos.on;
      if (!result.ok) result.error = "state did not change: " + this.#whyUnchanged();
    }
    if (this.connected) this.listener.onReading(this);
    try { mos.done(result); } catch (e) { this.log.error("MOS result handler:", e); }
    this.#startCycle();
  }

  /** Best guess at why the BMS kept a FET as it was (for the MOS result; not on the poll path). */
  #whyUnchanged(): string {
    const active = PROTECTION_NAMES.filter((_, bit) => bit !== 12 && this.info.isProtected(bit));
    if (active.length) return "protection active (" + active.join(", ") + ")";
    return "the BMS ignored the command (load current too high, or it needs authentication)";
  }

  // ---------------- raw frames (console "send") ----------------
  /** Send any request and hand back the first complete frame that follows (diagnostics only). */
  sendRaw(bytes: ArrayBuffer, done: (reply: Uint8Array | undefined, error?: string) => void): void {
    if (this.#state !== State.Ready) { done(undefined, "not connected"); return; }
    if (this.#raw) { done(undefined, "busy"); return; }
    this.#raw = { bytes, done };
    if (this.#step === Step.Idle) this.#startCycle();
  }

  #startRaw(): void {
    const bytes = this.#raw!.bytes;
    this.#send(Step.Raw, bytes, new Uint8Array(bytes)[2]);
  }

  #finishRaw(frame: Uint8Array | undefined, error?: string): void {
    const raw = this.#raw;
    this.#raw = undefined;
    this.#step = Step.Idle;
    if (raw) {
      try { raw.done(frame && frame.slice(0, frame[3] + 7), error); } catch (e) { this.log.error("raw reply handler:", e); }
    }
    this.#startCycle();
  }

  #abortPending(reason: string): void {
    this.#step = Step.Idle;
    if (this.#mos) this.#finishMos(`${reason}: the link dropped before the BMS confirmed`);
    if (this.#raw) this.#finishRaw(undefined, reason);
  }
}
