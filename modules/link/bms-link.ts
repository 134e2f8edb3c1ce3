// One persistent BLE GATT link to one JBD BMS, the connection half: wait until its device
// advertises (the central scans and connects, one link at a time), discover FF01/FF02 (or
// FFF1/FFF2) in one characteristic discovery, enable notifications, let them settle, then hand the
// held link to its poller (bms-poller). After a drop it waits for the device again at once; after
// failed setups it backs off (capped, with jitter); when polls go unanswered it closes the link
// itself so the next attempt starts clean. A BMS takes one central at a time, so the link can be
// released for a while (to the phone app) and comes back by itself when that time is over.
import type { Characteristic, Client, ConnectTarget, Service } from "bleclient";
import { Bytes } from "btutils";
import { gattIds, isOneOf } from "./gatt-ids";
import Time from "time";
import { Timeout } from "../platform/timeout";
import type { BleCentral, CentralLink, SeenDevice } from "./ble-central";
import type { BmsView, Fet, LinkListener, MosResult } from "./bms-view";
import { BmsPoller, type PollerHost } from "./bms-poller";
import { answerMos } from "./mos-queue";
import { BmsLogin, type LoginSecrets } from "./bms-login";
import { macBytes } from "../protocol/auth";
import SM from "sm";
import { LinkStats } from "./link-stats";
import type { Logger } from "./logger";
import { formatMac, globMatch, normalizeMac } from "../config/schema";
import { EnergyMeter, type EnergyStore } from "./energy-meter";
import { BmsSettings, type SettingsHost } from "./bms-settings";
import { MaintenanceSession, countersFacts, infoFacts, type MaintenanceResult } from "./maintenance";
import { allowedMaintenance, maintenanceFunction } from "../protocol/control";
import type { BasicInfo } from "../protocol/basic-info";
import type { CellVoltages } from "../protocol/cells";

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
  /** The settings this BMS's passwords are set with (named in a login failure's advice too). */
  secretSettings?: { readonly modulePassword: string; readonly bmsPin: string; readonly passkey: string };
  /** Reads a setting's value when a login needs it (one function for every link: a closure each would cost RAM). */
  readSetting?: (key: string) => string;
  /** Where this pack's energy totals are kept (slot 1, 2, 3 ...); without it they start at zero at every boot. */
  energyFlash?: { readonly store: EnergyStore; readonly slot: number };
}

export { ATTEMPT_TIMEOUTS_MS } from "./bms-poller";
const DISCOVERY_TIMEOUT_MS = 5_000;
const SETTLE_MS = 300;               // the first request right after subscribing goes unanswered
const DISCONNECT_WAIT_MS = 3_000;    // no onDisconnected by then: the stack is not answering
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 60_000;
/** After a failed login: long enough not to hammer a module that counts failures, short enough to notice a fix. */
const LOGIN_RETRY_MS = 5 * 60_000;
const NO_SECRETS: LoginSecrets = Object.freeze({ modulePassword: "", bmsPin: "", rootPassword: "", passkey: "" });
const NO_SETTINGS = Object.freeze({ modulePassword: "bmsPassword", bmsPin: "bmsPin", passkey: "bmsPasskey" });
/** Passkey pairing takes about a second; a wrong passkey gets no callback at all (the SDK has none for a failure). */
const PAIRING_TIMEOUT_MS = 10_000;
const ROOT_PASSWORD_SETTING = "bmsRootPassword";
/** The setting that allows settings writes (read when one is asked, so a change counts at once). */
const SETTINGS_WRITE_SETTING = "settingsWrite";
/** The maintenance functions allowed (read when one is asked, so a change counts at once). */
const MAINTENANCE_SETTING = "maintenance";

const WRITE_NO_RESPONSE = 4;

// Released is last: the `>= State.Discovering` tests below mean "a connection is being set up or held".
const enum State { Down, Waiting, Connecting, Discovering, Pairing, Subscribing, Settling, LoggingIn, Ready, Closing, Released }

export class BmsLink implements CentralLink, BmsView, PollerHost, LinkListener, SettingsHost {
  readonly stats = new LinkStats();
  /** Energy totals and runtime estimates, fed with every new reading (onReading). */
  readonly energy = new EnergyMeter();
  readonly poller: BmsPoller;
  /** The central hands our notifications to the poller (CentralLink). */
  readonly notifications: BmsPoller;
  /** The poller's readings (the same objects for the link's life: fields, not getters, read every cycle). */
  readonly info: BasicInfo;
  readonly cells: CellVoltages;
  /** What the pack needs to answer, and what the last login came to. */
  readonly login: BmsLogin;
  /** Protection and capacity parameters: read once per connection and on request, written when allowed. */
  readonly settings: BmsSettings;
  rssi: number | undefined;
  client: Client | undefined;
  notifyCharacteristic: Characteristic | undefined;

  #state = State.Down;
  #write: Characteristic | undefined;
  #address: string;
  #target: { address: Bytes; addressType: number } | undefined;
  /** A device a scanned-for link is trying (adopted only once its link comes up). */
  #tentative: { address: Bytes; addressType: number } | undefined;
  #backoffMs = BACKOFF_MIN_MS;
  #downSince = 0;
  #closingWorkingLink = false;
  #everConnected = false;
  readonly #stepTimeout = new Timeout(() => this.onStepTimeout());
  /** The backoff before waiting again, or the end of a release (one timer: never both at once). */
  readonly #reconnect = new Timeout(() => { if (this.#releaseMs > 0) this.resume("release time over"); else this.wait(); });
  /** This connection was encrypted (onAuthenticated); the pairing of this link was tried again once. */
  #authenticated = false;
  #pairingRetried = false;
  /** Length of the current release (0: not released) and when it began (Time.ticks). */
  #releaseMs = 0;
  #releasedAt = 0;
  /** infoAt of the reading the energy meter saw last (-1: none). */
  #meteredAt = -1;

  constructor(
    readonly config: LinkConfig,
    private readonly central: BleCentral,
    private readonly listener: LinkListener,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
  ) {
    // the poller tells this link, which meters the reading and passes it on (LinkListener below)
    this.poller = new BmsPoller(this.stats, this, this, this, log);
    this.notifications = this.poller;
    this.info = this.poller.info;
    this.cells = this.poller.cells;
    this.login = new BmsLogin(this, log);
    this.poller.login = this.login;
    this.settings = new BmsSettings(this.poller, this, log);
    this.#address = canonicalMac(config.address);
    this.setTarget();
    if (config.energyFlash) this.energy.keepIn(config.energyFlash.store, config.energyFlash.slot, config.id);
  }

  // LinkListener of the poller: a reading with a new 0x03 (a failed MOS read-back tells without one)
  // goes through the energy meter first, with the time since the previous one.
  onReading(view: BmsView): void {
    const at = this.poller.infoAt;
    if (at !== -1 && at !== this.#meteredAt) {
      this.energy.sample(this.poller.info, this.#meteredAt === -1 ? -1 : Time.delta(this.#meteredAt, at), this.config.pollIntervalMs);
      this.#meteredAt = at;
    }
    this.listener.onReading(view);
    this.settings.polled(); // the connection's settings read, after its first reading
  }
  onAvailability(view: BmsView, online: boolean): void {
    if (!online) this.energy.stale();
    this.listener.onAvailability(view, online);
  }
  onInfo(view: BmsView): void { this.listener.onInfo(view); }
  // SettingsHost
  settingsChanged(): void { this.listener.onSettings?.(this); }
  writesAllowed(): boolean {
    try { return this.config.readSetting?.(SETTINGS_WRITE_SETTING) === "true"; } catch { return false; }
  }
  get pinSetting(): string { return this.secretSettings.bmsPin; }

  get id(): string { return this.config.id; }
  get frameStats() { return this.poller.assembler.stats; }
  // the readings and commands live in the poller
  get hardware() { return this.poller.hardware; }
  get errorCounters() { return this.poller.errorCounters; }
  get assembler() { return this.poller.assembler; }
  get infoAt(): number { return this.poller.infoAt; }
  get cellsAt(): number { return this.poller.cellsAt; }
  get online(): boolean { return this.poller.online; }
  get capture() { return this.poller.capture; }
  set capture(fn: ((direction: "tx" | "rx", bytes: Uint8Array) => void) | undefined) { this.poller.capture = fn; }
  /**
   * A MOS change: refused with the reason while the link is released or being set up (connecting,
   * pairing, logging in) or down, else queued by the poller (one per FET, the latest wins, paced).
   */
  setMos(fet: Fet, on: boolean, done: (result: MosResult) => void): void {
    const refusal = this.writeRefusal();
    if (refusal) { answerMos(done, { fet, requested: on, ok: false, error: refusal }, this.log); return; }
    this.poller.setMos(fet, on, done);
  }

  /**
   * A maintenance function (maintenance.ts) by name: refused with the reason unless the
   * `maintenance` setting allows it and the link is up with a reading and free, else run as an
   * exclusive session. `done` is called exactly once.
   */
  maintain(name: string, done: (result: MaintenanceResult) => void): void {
    const fn = maintenanceFunction(name);
    let refusal = !fn ? `unknown function '${name}': capacity, protection or counters`
      : !allowedMaintenance(this.readText(MAINTENANCE_SETTING), fn.name) ? `not allowed by the configuration (on the serial console: config set maintenance ${fn.name})`
      : this.writeRefusal() || (this.poller.infoAt === -1 ? "state unknown: no reading yet" : "");
    if (!refusal && fn) {
      const before = fn.readBack === "counters" ? countersFacts(this.poller.errorCounters) : infoFacts(this.poller.info);
      const busy = this.poller.runSession(new MaintenanceSession(fn, this.poller, before, done, this.log));
      if (!busy) return;
      refusal = busy.startsWith("busy") ? "busy: a settings or maintenance session is under way: try again when it ends" : busy;
    }
    try { done({ function: name, ok: false, error: refusal }); } catch (error) { this.log.error("maintenance result:", error); }
  }

  /** A setting's text, "" when it cannot be read. */
  private readText(key: string): string {
    try { return this.config.readSetting?.(key) ?? ""; } catch { return ""; }
  }

  /** Why a write (MOS command, maintenance) cannot be taken now; "" when it can. */
  private writeRefusal(): string {
    if (this.#releaseMs > 0) {
      return `released to another central for ${Math.ceil(this.releaseRemainingMs / 60_000)} more min: take it back first (release ${this.id} off)`;
    }
    const state = this.#state;
    if (state >= State.Connecting && state <= State.LoggingIn) return `link being set up (${this.stateName}): try again once it is up`;
    // up, but the poller waits while the pack's login is found out (firstPollSilent)
    if (state === State.Ready) return this.poller.running ? "" : "link being set up (logging in): try again once it is up";
    return "not connected";
  }
  sendRaw(bytes: ArrayBuffer, done: (reply: Uint8Array | undefined, error?: string) => void): void { this.poller.sendRaw(bytes, done); }
  onRSSI(rssi: number): void { this.rssi = rssi; }
  pollsUnanswered(): void { this.forceClose("polls unanswered"); }
  authorizeWrite(done: (error?: string) => void): boolean { return this.login.authorizeWrite(done); }
  // LoginHost: the login borrows the step timer (unused while logging in or ready) and FF02
  writeRequest(bytes: ArrayBuffer): void {
    if (this.capture) this.capture("tx", new Uint8Array(bytes));
    this.#write?.writeWithoutResponse(bytes);
  }
  loginSecrets(): LoginSecrets {
    const read = this.config.readSetting, keys = this.config.secretSettings;
    if (!read || !keys) return NO_SECRETS;
    try {
      return { modulePassword: read(keys.modulePassword), bmsPin: read(keys.bmsPin), rootPassword: read(ROOT_PASSWORD_SETTING), passkey: read(keys.passkey) };
    } catch (error) { this.log.error("BMS secrets:", error); return NO_SECRETS; }
  }
  loginMac(): Uint8Array | undefined {
    const device = this.#tentative ?? this.#target;
    return this.#address ? macBytes(this.#address) : device ? macBytes(canonicalMac(String(device.address))) : undefined;
  }
  startLoginTimer(ms: number): void { this.#stepTimeout.start(ms); }
  stopLoginTimer(): void { if (this.#state === State.LoggingIn || this.#state === State.Ready) this.#stepTimeout.stop(); }
  get secretSettings(): { modulePassword: string; bmsPin: string; passkey: string } { return this.config.secretSettings ?? NO_SETTINGS; }
  /** CentralLink: the PIN to pair with, when one is set (its connect turns NimBLE's security on). */
  get pairingPasskey(): string {
    const read = this.config.readSetting, keys = this.config.secretSettings;
    if (!read || !keys) return "";
    try { const passkey = read(keys.passkey); return /^[0-9]{6}$/.test(passkey) ? passkey : ""; } catch { return ""; }
  }
  firstAnswer(): void { this.login.answered(); }
  echoed(): void {
    this.login.echoed();
    this.loginFailed();
  }
  firstPollSilent(): boolean {
    if (this.login.kind !== "unknown" || this.#state !== State.Ready) return false;
    this.poller.stop("logging in");
    this.login.detect((ok) => {
      if (this.#state !== State.Ready) return;
      if (ok) this.poller.start(this.#write!);
      else this.loginFailed();
    });
    return true;
  }
  probe(reason: string): void { this.central.probe(reason); }
  get name(): string { return this.config.name; }
  get address(): string | undefined { return this.#address || undefined; }
  get connected(): boolean { return this.#state === State.Ready; }
  get needsAddress(): boolean { return !this.#target; }
  get wantsConnection(): boolean { return this.#state === State.Waiting; }
  get stateName(): string {
    return ["down", "waiting", "connecting", "discovering", "pairing", "subscribing", "settling", "logging in", "ready", "closing", "released"][this.#state];
  }
  /** Released to another central (the phone app): the link stays closed until the release ends. */
  get released(): boolean { return this.#releaseMs > 0; }
  /** Milliseconds until a release ends by itself (0 when not released). */
  get releaseRemainingMs(): number {
    return this.#releaseMs > 0 ? Math.max(0, this.#releaseMs - Time.delta(this.#releasedAt)) : 0;
  }

  start(): void { this.wait(); }

  /**
   * Let go of the BMS for `minutes` (1..RELEASE_MAX_MINUTES, release-request.ts) so another central, the JBD app, can
   * connect: the link closes and is not set up again until the time is over or resume() is called.
   * A connect already under way cannot be cancelled (the SDK has no way to): it is refused when it
   * arrives. A second release sets a new end time.
   */
  release(minutes: number): void {
    this.#releaseMs = minutes * 60_000;
    this.#releasedAt = Time.ticks;
    this.#reconnect.start(this.#releaseMs);
    this.log.info("BMS link released:", this.id + " for " + minutes + " min (another central, such as the JBD app, may connect now)");
    if (this.#state === State.Released || this.#state === State.Closing) return; // closing: #down enters Released
    if (this.#state >= State.Discovering) { this.forceClose("released"); return; }
    this.enterReleased();
  }

  /** End a release now (console, MQTT, or its timer): the link waits for the BMS again. False if not released. */
  resume(reason = "resumed"): boolean {
    if (this.#releaseMs === 0) return false;
    this.#releaseMs = 0;
    this.#reconnect.stop();
    this.log.info("BMS link release over:", this.id + " (" + reason + ")");
    if (this.#state === State.Released) {
      this.#backoffMs = BACKOFF_MIN_MS;
      this.wait();
      this.tellAvailability(); // "released" becomes "offline" until the link is up again
    }
    return true;
  }

  /** Drop the link and connect again at once (console "reconnect"); ends a release. */
  reconnect(): void {
    if (this.resume("reconnect requested")) return;
    if (this.#state >= State.Discovering && this.#state !== State.Released) this.forceClose("reconnect requested");
    else { this.#reconnect.stop(); this.#backoffMs = BACKOFF_MIN_MS; this.wait(); }
  }

  // ---------------- connection ----------------
  private setTarget(): void {
    this.#target = this.#address ? { address: new Bytes(this.#address.replace(/:/g, ""), true), addressType: 0 } : undefined;
  }

  waitingSince = 0;

  private wait(): void {
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
    this.down(false);
  }

  onConnected(client: Client): boolean {
    // a connection the link still wants: waiting, connecting, or backing off after a timeout
    // (Released is above Discovering: a connect that arrives after a release is refused)
    if (this.#state >= State.Discovering) return false;
    this.#reconnect.stop();
    this.client = client;
    this.#authenticated = false;
    this.#state = State.Discovering;
    this.#stepTimeout.start(DISCOVERY_TIMEOUT_MS);
    client.discoverAllPrimaryServices();
    return true;
  }

  onServices(services: Service[]): void {
    if (this.#state !== State.Discovering) return;
    const ids = gattIds();
    const service = services.find((s) => isOneOf(ids.services, s.uuid));
    if (!service) { this.giveUp("no FF00/FFF0 service"); return; }
    // One discovery for both characteristics: a second discovery call would wipe the first's
    // results and with them the routing of FF01 notifications.
    service.discoverAllCharacteristics();
  }

  onCharacteristics(characteristics: Characteristic[]): void {
    if (this.#state !== State.Discovering) return;
    const ids = gattIds();
    const notify = characteristics.find((c) => isOneOf(ids.notify, c.uuid));
    const write = characteristics.find((c) => isOneOf(ids.write, c.uuid));
    if (!notify || !write) { this.giveUp("notify/write characteristic missing"); return; }
    if (!(write.properties & WRITE_NO_RESPONSE)) this.log.warn("write characteristic lacks write-without-response; trying anyway:", write.properties);
    this.notifyCharacteristic = notify;
    this.#write = write;
    // a pairing link waits for onAuthenticated before subscribing, as the SDK's security example
    // does; it stays the central's link in setup meanwhile (onAuthenticated names no connection)
    if (this.pairingPasskey && !this.#authenticated) {
      this.#state = State.Pairing;
      this.#stepTimeout.start(PAIRING_TIMEOUT_MS);
      return;
    }
    this.subscribe();
  }

  private subscribe(): void {
    this.#state = State.Subscribing;
    this.central.setupDone(this); // GATT discovery is over: the central may scan again
    this.notifyCharacteristic!.enableNotifications();
  }

  /** CentralLink: this connection was encrypted (a passkey pairing, or a bond made by one). */
  onAuthenticated(bonded: boolean): void {
    if (this.#state !== State.Discovering && this.#state !== State.Pairing) return;
    this.#authenticated = true;
    this.#pairingRetried = false;
    this.login.paired(bonded);
    this.log.info("BMS paired:", this.id + (bonded ? " (bonded)" : " (no bond kept)"));
    if (this.#state === State.Pairing) { this.#stepTimeout.stop(); this.subscribe(); }
  }

  /**
   * No onAuthenticated: a wrong PIN, or our bond is stale (the module lost its keys, so encryption
   * with them fails, silently too). The bond is deleted and the pairing tried again once at once;
   * then the link waits like a failed login.
   */
  private pairingFailed(): void {
    const target = this.#target ?? this.#tentative;
    if (!this.#pairingRetried && target) {
      this.#pairingRetried = true;
      try { SM.deleteBonding(target.address, target.addressType); } catch (error) { this.log.warn("BLE bond delete:", error); }
      this.giveUp("pairing: no answer; bond deleted, pairing again");
      return;
    }
    this.#pairingRetried = false;
    this.login.pairingFailed(`pairing failed (a wrong PIN?): set the PIN of ${this.id}: config set ${this.secretSettings.passkey} <six digits>`);
    this.central.setupDone(this);
    this.loginFailed();
  }

  onNotificationsEnabled(): void {
    if (this.#state !== State.Subscribing) return;
    this.#state = State.Settling;
    this.#stepTimeout.start(SETTLE_MS);
  }

  private onStepTimeout(): void {
    switch (this.#state) {
      case State.Settling: this.logIn(); return;
      case State.LoggingIn:
      case State.Ready: this.login.onTimeout(); return;
      case State.Discovering:
      case State.Subscribing: this.giveUp("discovery timeout"); return;
      case State.Pairing: this.pairingFailed(); return;
      case State.Closing:
        // no onDisconnected: the stack may have been reset under us
        this.down(false);
        this.central.probe("no disconnect callback");
        return;
    }
  }

  /** Log in as far as the pack needs (bms-login), then poll; a failed login closes and retries later. */
  private logIn(): void {
    this.#state = State.LoggingIn;
    this.login.begin((ok) => {
      if (this.#state !== State.LoggingIn) return;
      if (ok) this.linkUp(); else this.loginFailed();
    });
  }

  private loginFailed(): void {
    this.#backoffMs = LOGIN_RETRY_MS;
    this.forceClose("login failed, next try in " + LOGIN_RETRY_MS / 60_000 + " min: " + this.login.outcome);
  }

  private linkUp(): void {
    this.#state = State.Ready;
    this.stats.connects++;
    if (this.#everConnected) {
      const ms = Time.delta(this.#downSince);
      this.stats.lastReconnectMs = ms;
      if (ms > this.stats.maxReconnectMs) this.stats.maxReconnectMs = ms;
    }
    this.#everConnected = true;
    this.#backoffMs = BACKOFF_MIN_MS;
    this.central.setupDone(this);
    const found = this.#tentative;
    if (found) {
      this.#tentative = undefined;
      this.#target = found;
      this.#address = canonicalMac(String(found.address));
      this.log.info("BMS found:", this.#address); // kept for every reconnect
      try { this.config.onFound?.(this, this.#address); } catch (error) { this.log.error("BMS found:", error); }
      this.energy.rename(this.config.id); // its totals are kept under its new id
    }
    this.log.info("BMS link up:", this.id);
    this.poller.start(this.#write!);
    this.settings.linkUp();
  }

  private giveUp(reason: string): void {
    this.log.warn("BMS link setup failed:", reason);
    this.central.setupDone(this);
    this.#tentative = undefined; // a scanned-for link may try another device next time
    this.forceClose(reason);
  }

  /** Close the link ourselves; if the stack does not confirm, reset it. */
  private forceClose(reason: string): void {
    this.stats.forcedDisconnects++;
    this.log.info("closing BMS link:", reason);
    const client = this.client;
    if (!client) { this.down(false); return; }
    // only a close of a working link starts the reconnect clock; a failed setup's close does not
    this.#closingWorkingLink = this.#state === State.Ready;
    this.#state = State.Closing;
    this.#stepTimeout.start(DISCONNECT_WAIT_MS);
    try { client.close(); } catch { this.down(false); } // "connection not found": already gone
  }

  onDisconnected(): void {
    const expected = this.#state === State.Closing;
    this.#stepTimeout.stop();
    if (!expected) this.stats.drops++;
    this.down(!expected);
  }

  onStackReset(): void {
    this.#stepTimeout.stop();
    this.stats.stackResets++;
    this.#tentative = undefined;
    this.#backoffMs = BACKOFF_MIN_MS;
    this.down(true);
  }

  private down(unexpected: boolean): void {
    const wasUp = this.#state === State.Ready || (this.#state === State.Closing && this.#closingWorkingLink);
    if (wasUp || this.#downSince === 0) this.#downSince = Time.ticks;
    this.#state = State.Down;
    this.login.stop();
    this.client = undefined;
    this.notifyCharacteristic = undefined;
    this.#write = undefined;
    this.central.setupDone(this);
    this.poller.stop(this.#releaseMs > 0 ? "released" : "not connected");
    if (this.#releaseMs > 0) { this.enterReleased(); return; }
    if (unexpected) this.log.warn("BMS link dropped:", this.id);
    // a drop of a working link: wait for the device again at once (it advertises as soon as it is
    // free); failed setups back off, capped and exponential with +-25 % jitter
    if (unexpected) { this.wait(); return; }
    const delay = this.#backoffMs * (0.75 + this.random() * 0.5);
    this.#backoffMs = Math.min(BACKOFF_MAX_MS, this.#backoffMs * 2);
    this.central.update();
    this.#reconnect.start(delay);
  }

  private enterReleased(): void {
    this.#state = State.Released;
    this.#tentative = undefined;
    this.central.update(); // nobody else waiting: the central stops scanning
    this.tellAvailability();
  }

  // The bridge reads `released` to say "released" rather than "offline"; called even when the
  // link was already offline (a release while waiting changes what availability says).
  private tellAvailability(): void {
    try { this.listener.onAvailability(this, this.online); } catch (error) { this.log.error("availability:", error); }
  }
}
