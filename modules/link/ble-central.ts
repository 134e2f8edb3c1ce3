// The one BLEClient of the gateway (the SDK allows one at a time), shared by every BMS link.
// The connect strategy follows what NimBLE and the SDK do (../shared/moddable-platform.md §0):
// - a connect() can't be cancelled or timed out, and while it is pending every other connect() is
//   ignored and scanning silently fails to start: so we connect only to a device the scan reported
//   a moment ago, with the address type the scan reported, and one at a time;
// - connect() during a scan leaves the SDK's scanning flag set (a later stopScanning() then returns
//   a use count twice and can free the stack): so we always stop the scan ourselves first;
// - scan results and GATT discovery share one queue in the SDK: no scan while a link discovers (a
//   report of the other kind would reach the wrong handler and abort the VM);
// - the client is never closed (close() can't free the stack while a connect holds a count, and the
//   SDK's destructor can clobber a newer client): a NimBLE host reset, which frees it without telling
//   us, is detected by probing (stopScanning() throws once the record is gone) before every scan start
//   (startScanning() on a freed record panics the ESP32);
// - what only a reboot can clear (a connect that hangs while other links need the radio, a client
//   that can't be created again) ends in a deliberate, rate-limited restart (ble-recovery).
import BLEClient from "bleclient";
import { Bytes } from "btutils";
import { gattIds, isOneOf } from "./gatt-ids";
import type { Characteristic, Client, ConnectTarget, DiscoveredDevice, Service, CharacteristicValue } from "bleclient";
import Time from "time";
import { Timeout } from "../platform/timeout";
import type { Logger } from "./logger";
import type { Recovery } from "./ble-recovery";

export interface NotificationSink {
  onNotification(value: CharacteristicValue): void;
}

/** What the central needs from a link. */
export interface CentralLink {
  readonly id: string;
  readonly client: Client | undefined;
  readonly notifyCharacteristic: Characteristic | undefined;
  /** Down and waiting for its device to advertise. */
  readonly wantsConnection: boolean;
  /** Time.ticks when it began waiting. */
  readonly waitingSince: number;
  /** How it finds its device: a known address, a name pattern, or any device with the JBD service. */
  readonly matchKind: "address" | "pattern" | "service";
  /** What the scan heard of a device: the target to connect to when this link takes it, else undefined. */
  offer(device: SeenDevice): ConnectTarget | undefined;
  /** The address this link is connecting or connected to. */
  isTarget(address: ArrayBuffer): boolean;
  /** The central called connect() for this link. */
  connecting(): void;
  /** No connect event within the connect timeout (failed silently, or hanging). */
  connectTimedOut(): void;
  /** A connection to this link's address; false if the link does not want it (the central closes it). */
  onConnected(client: Client): boolean;
  onDisconnected(): void;
  onServices(services: Service[]): void;
  onCharacteristics(characteristics: Characteristic[]): void;
  onNotificationsEnabled(): void;
  /** Takes the notifications of notifyCharacteristic (handed straight to it: one call per 20 bytes). */
  readonly notifications: NotificationSink;
  onRSSI(rssi: number): void;
  /** The BLE stack was reset: the link is gone without any callback. */
  onStackReset(): void;
  /** The six-digit PIN its module pairs with ("" when it does not pair): the connect turns security on for it. */
  readonly pairingPasskey: string;
  /** The link's connection was encrypted (onAuthenticated); `bonded`: NimBLE keeps the keys. */
  onAuthenticated(bonded: boolean): void;
}

/**
 * What a pairing connect asks of NimBLE: bonded (keys kept in NVS across reboots), MITM, and a
 * keyboard, so a passkey request comes to onPasskeyRequested (with KeyboardOnly the SDK drops it).
 */
const PAIRING = Object.freeze({ encryption: true, bonding: true, mitm: true, ioCapability: 3 /* KeyboardDisplay */ });
/** Every other connect: no security at all (assigning the property turns encryption on unless it says otherwise). */
const NO_PAIRING = Object.freeze({ encryption: false, bonding: false, mitm: false });

// A device is connected within one or two of its advertising intervals (100 ms - 1 s) of a scan
// report; longer means the connect failed silently or hangs.
export const CONNECT_TIMEOUT_MS = 4_000;
/** Scan sessions restart this often: a new duplicate filter, and a probe of the BLE record. */
export const SCAN_SESSION_MS = 10_000;
/**
 * A connect timed out, and a link that went down since (its device advertising right there) has
 * waited this long at full scan duty without the scan hearing anything: NimBLE refuses to scan
 * while a connect is pending, so that connect hangs.
 */
export const HANG_CONFIRM_MS = 3_000;
/** A hang this long is cleared even for links whose devices were already away when it began. */
export const HANG_LONG_MS = 10 * 60_000;
/** The client could not be created again for this long: only a restart frees the stack. */
export const RECREATE_GIVE_UP_MS = 30_000;
const RECREATE_DELAY_MS = 500;
// Right after a link goes down its device is expected back at once: scan all the time for a while,
// then at low duty (30 of every 160 ms, leaving the radio to Wi-Fi and the held links), which still
// finds an advertising BMS within about a second.
const FAST_SCAN = { active: true, duplicates: false, interval: 0x30, window: 0x30 };
const BACKGROUND_SCAN = { active: true, duplicates: false, interval: 0x100, window: 0x30 };
export const FAST_SCAN_MS = 30_000;
// The console's scan listens more of the time.
const USER_SCAN = { active: true, duplicates: false, interval: 0x50, window: 0x30 };
const SEEN_MAX = 16;

/**
 * A device as the scan heard it so far. With active scanning the advertisement (here: the service
 * list) and the scan response (the name) arrive as separate reports, so they are merged per address.
 */
export interface SeenDevice {
  readonly address: Bytes;
  addressType: number;
  name: string | undefined;
  service: boolean;
  rssi: number;
}

export class BleCentral {
  readonly links: CentralLink[] = [];
  stackResets = 0;
  connectTimeouts = 0;
  #client: GatewayClient | undefined;
  #ready = false;
  /** Our view of the SDK's scanning flag (always cleared by our own stopScanning()). */
  #scanning = false;
  #scanParams: typeof BACKGROUND_SCAN = BACKGROUND_SCAN;
  /** The one connect in flight. */
  #pending: { link: CentralLink; since: number } | undefined;
  /** The client record's security flags are those of a pairing connect (a new record starts without). */
  #pairingOn = false;
  /** The link discovering its GATT services (no scan and no other discovery meanwhile). */
  #setup: CentralLink | undefined;
  /** A connect timed out; cleared by any scan report (the radio scans, so nothing is pending). */
  #suspect: { since: number; link: CentralLink } | undefined;
  #lostSince = 0;
  #reporter: ((device: DiscoveredDevice) => void) | undefined;
  #seen: SeenDevice[] = [];
  readonly #connectTimeout = new Timeout(() => this.onConnectTimeout());
  readonly #session = new Timeout(() => this.onSession());
  readonly #userScan = new Timeout(() => { this.#reporter = undefined; this.updateScan(); });
  readonly #recreate = new Timeout(() => this.create());
  readonly #hangCheck = new Timeout(() => { this.checkHang(); if (this.#suspect) this.#hangCheck.start(1_000); });

  constructor(readonly log: Logger, private readonly recovery: Recovery) {}

  start(): void { this.create(); }

  get ready(): boolean { return this.#ready; }
  get scanning(): boolean { return this.#scanning; }
  /** The console's scan is running. */
  get userScanning(): boolean { return !!this.#reporter; }
  get connecting(): CentralLink | undefined { return this.#pending?.link; }
  get settingUp(): CentralLink | undefined { return this.#setup; }
  /** A connect timed out and nothing was heard since: the stack may be stuck in it. */
  get suspectSince(): number | undefined { return this.#suspect?.since; }

  add(link: CentralLink): void { this.links.push(link); }

  /** A link's wish changed (down and waiting, or up): scan or stop scanning accordingly. */
  update(): void { this.updateScan(); }

  /** The link finished (or abandoned) its GATT setup: the next may go, scanning may resume. */
  setupDone(link: CentralLink): void {
    if (this.#setup !== link) return;
    this.#setup = undefined;
    this.updateScan();
  }

  /** Something looked wrong (no disconnect callback, polls unanswered): check the BLE record now. */
  probe(reason: string): void {
    if (!this.#client) return;
    if (this.#scanning) this.restartScan(); // probes, and keeps the scan running
    else if (!this.probeStack()) this.stackLost(reason);
  }

  /** A user-requested scan (console): reports every device seen for `ms`. */
  scanFor(ms: number, report: (device: DiscoveredDevice) => void): boolean {
    if (!this.#client || !this.#ready || this.#pending || this.#setup) return false;
    this.#reporter = report;
    this.#userScan.start(ms);
    this.restartScan();
    return true;
  }

  /** Console "reconnect ble": a connect that may hang can only be cleared by a restart. */
  recover(reason: string): void {
    if (this.#pending || this.#suspect) { this.recovery.restart(reason + " (a connect is pending)", true); return; }
    this.probe(reason);
  }

  // ---------------- the client ----------------
  private create(): void {
    try {
      this.#client = new GatewayClient(this);
      this.#pairingOn = false;
      this.#lostSince = 0;
    } catch (error) {
      // "BLE already initialized": the old record is not freed yet (a count is still held)
      this.log.warn("BLE init:", error);
      if (!this.#lostSince) this.#lostSince = Time.ticks;
      if (Time.delta(this.#lostSince) >= RECREATE_GIVE_UP_MS) this.recovery.restart("BLE client could not be created again");
      this.#recreate.start(RECREATE_DELAY_MS);
    }
  }

  /** stopScanning() is harmless on a live record and throws once it is closing or gone. */
  private probeStack(): boolean {
    try {
      this.#client!.stopScanning();
      this.#scanning = false;
      return true;
    } catch {
      return false;
    }
  }

  /** The SDK closed the client by itself (host reset): every link is gone, with no callback. */
  private stackLost(reason: string): void {
    this.log.warn("BLE stack lost:", reason);
    this.stackResets++;
    this.#client = undefined;
    this.#ready = false;
    this.#scanning = false;
    this.#pending = undefined;
    this.#setup = undefined;
    this.#suspect = undefined;
    this.#connectTimeout.stop();
    this.#session.stop();
    for (const link of this.links) {
      try { link.onStackReset(); } catch (error) { this.log.error("link reset:", error); }
    }
    this.#lostSince = Time.ticks;
    this.#recreate.start(RECREATE_DELAY_MS);
  }

  // ---------------- scanning ----------------
  private wanted(): boolean {
    if (this.#reporter) return true;
    for (const link of this.links) if (link.wantsConnection) return true;
    return false;
  }

  private updateScan(): void {
    const client = this.#client;
    if (!client || !this.#ready) return;
    this.checkHang();
    const canScan = !this.#pending && !this.#setup;
    const params = this.params();
    if (canScan && this.wanted()) {
      if (!this.#scanning || params !== this.#scanParams) this.restartScan();
    } else if (this.#scanning) {
      this.stopScan();
    }
  }

  private params(): typeof BACKGROUND_SCAN {
    if (this.#reporter) return USER_SCAN;
    for (const link of this.links) if (link.wantsConnection && Time.delta(link.waitingSince) < FAST_SCAN_MS) return FAST_SCAN;
    return BACKGROUND_SCAN;
  }

  private restartScan(): void {
    if (!this.probeStack()) { this.stackLost("BLE record gone (probe before scanning)"); return; }
    const params = this.#scanParams = this.params();
    try {
      this.#client!.startScanning(params);
      this.#scanning = true;
      this.#session.start(SCAN_SESSION_MS);
    } catch (error) {
      this.log.warn("BLE scan:", error);
    }
  }

  private stopScan(): void {
    this.#session.stop();
    if (!this.probeStack()) this.stackLost("BLE record gone (stop scanning)");
  }

  private onSession(): void {
    this.probe("periodic check");
    this.checkHang();
    if (!this.#session.armed && this.#client) this.#session.start(SCAN_SESSION_MS);
  }

  private checkHang(): void {
    const suspect = this.#suspect;
    if (!suspect) return;
    const hung = Time.delta(suspect.since);
    // A hanging connect harms only the other links that need the radio (it completes, and serves its
    // own link, when its device returns). A link that went down around or after the hang began has
    // its device most likely right there: restart once the scan stayed deaf to it. One that was
    // waiting long before (its device away for hours) gains nothing from a quick restart.
    let soon = false, late = false;
    for (const link of this.links) {
      if (link === suspect.link || !link.wantsConnection) continue;
      late = true;
      if (Time.delta(suspect.since, link.waitingSince) >= -FAST_SCAN_MS && Time.delta(link.waitingSince) >= HANG_CONFIRM_MS) soon = true;
    }
    if (soon || (late && hung >= HANG_LONG_MS)) this.recovery.restart("BLE connect to " + suspect.link.id + " hangs while other links wait");
  }

  // ---------------- connecting ----------------
  private connect(link: CentralLink, target: ConnectTarget): void {
    this.stopScan(); // never let connect() cancel a scan: it would leave the SDK's flag set
    const client = this.#client;
    if (!client) return;
    this.#pending = { link, since: Time.ticks };
    link.connecting();
    this.#connectTimeout.start(CONNECT_TIMEOUT_MS);
    try {
      // the record's security flags are read at the connect event, and only one connect is ever pending
      const pairing = link.pairingPasskey !== "";
      if (pairing !== this.#pairingOn) { client.securityParameters = pairing ? PAIRING : NO_PAIRING; this.#pairingOn = pairing; }
      client.connect(target);
    } catch (error) { this.log.error("BLE connect:", error); }
  }

  private onConnectTimeout(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    this.connectTimeouts++;
    this.#suspect ??= { since: pending.since, link: pending.link };
    this.#hangCheck.start(1_000);
    this.log.warn("BLE connect timeout:", pending.link.id);
    try { pending.link.connectTimedOut(); } catch (error) { this.log.error("connect timeout:", error); }
    this.updateScan();
  }

  // ---------------- callbacks from GatewayClient (each one is a boundary: nothing may escape) ----------------
  stackReady(): void {
    this.#ready = true;
    this.log.info("BLE ready");
    this.updateScan();
    if (!this.#session.armed) this.#session.start(SCAN_SESSION_MS);
  }

  discovered(device: DiscoveredDevice): void {
    this.#suspect = undefined; // the radio scans: no connect is pending
    if (this.#reporter) this.#reporter(device);
    if (this.#pending || this.#setup) return;
    const seen = this.merge(device);
    // the most specific claim first; "any JBD device" waits for the name while a pattern link waits
    let patternWaits = false;
    for (const link of this.links) if (link.matchKind === "pattern" && link.wantsConnection) patternWaits = true;
    for (const kind of ["address", "pattern", "service"]) {
      if (kind === "service" && patternWaits && seen.name === undefined) return;
      for (const link of this.links) {
        if (link.matchKind !== kind) continue;
        const target = link.offer(seen);
        if (target) { this.connect(link, target); return; }
      }
    }
  }

  private merge(device: DiscoveredDevice): SeenDevice {
    let seen: SeenDevice | undefined;
    for (const s of this.#seen) if (s.address.equals(device.address)) { seen = s; break; }
    if (!seen) {
      seen = { address: device.address, addressType: device.addressType, name: undefined, service: false, rssi: device.rssi };
      if (this.#seen.length >= SEEN_MAX) this.#seen.shift();
      this.#seen.push(seen);
    }
    seen.addressType = device.addressType;
    seen.rssi = device.rssi;
    const ad = device.scanResponse;
    const name = ad.completeName ?? ad.shortName;
    if (name !== undefined) seen.name = name;
    const list = ad.completeUUID16List ?? ad.incompleteUUID16List;
    if (list) { const services = gattIds().services; for (const u of list) if (isOneOf(services, u)) seen.service = true; }
    return seen;
  }

  connected(client: Client): void {
    const pending = this.#pending;
    if (pending?.link.isTarget(client.address)) {
      this.#pending = undefined;
      this.#connectTimeout.stop();
    }
    this.#suspect = undefined;
    // a late connect (after its timeout) is taken only by the link that targets that address
    let link: CentralLink | undefined;
    for (const l of this.links) if (l.isTarget(client.address)) { link = l; break; }
    // scan reports and GATT discovery share the SDK's one queue: no scan while the link discovers
    if (link && !this.#setup && this.#scanning) this.stopScan();
    if (link && !this.#setup && link.onConnected(client)) this.#setup = link;
    else {
      try { client.close(); } catch (error) { this.log.warn("BLE close:", error); }
    }
    this.updateScan();
  }

  /** An encryption change of the connection being set up (pairing runs during its GATT setup). */
  authenticated(bonded: boolean): void {
    const link = this.#setup;
    if (link) link.onAuthenticated(bonded);
    else this.log.warn("BLE: authenticated, but no link is being set up");
  }

  byClient(client: Client): CentralLink | undefined {
    for (const link of this.links) if (link.client === client) return link;
    return undefined;
  }

  /** onServices passes the Client's own services array: that identifies the link. */
  byServices(services: Service[]): CentralLink | undefined {
    for (const link of this.links) if (link.client && link.client.services === services) return link;
    return undefined;
  }

  byCharacteristics(characteristics: Characteristic[]): CentralLink | undefined {
    for (const link of this.links) {
      const services = link.client?.services;
      if (services) for (const service of services) if (service.characteristics === characteristics) return link;
    }
    return undefined;
  }
}

/** The SDK client subclass: every callback forwards to the central inside a try/catch. */
class GatewayClient extends BLEClient {
  constructor(private readonly central: BleCentral) { super(); }

  private guard(what: string, error: unknown): void {
    // On the device an exception escaping a BLE callback aborts the VM and reboots the ESP32.
    try { this.central.log.error(what, error); } catch { /* nothing left to do */ }
  }

  override onReady(): void {
    try { this.central.stackReady(); } catch (e) { this.guard("onReady:", e); }
  }
  override onDiscovered(device: DiscoveredDevice): void {
    try { this.central.discovered(device); } catch (e) { this.guard("onDiscovered:", e); }
  }
  override onConnected(device: Client): void {
    try { this.central.connected(device); } catch (e) { this.guard("onConnected:", e); }
  }
  override onDisconnected(device: Client): void {
    try { this.central.byClient(device)?.onDisconnected(); } catch (e) { this.guard("onDisconnected:", e); }
  }
  override onServices(services: Service[]): void {
    try { this.central.byServices(services)?.onServices(services); } catch (e) { this.guard("onServices:", e); }
  }
  override onCharacteristics(characteristics: Characteristic[]): void {
    try { this.central.byCharacteristics(characteristics)?.onCharacteristics(characteristics); } catch (e) { this.guard("onCharacteristics:", e); }
  }
  override onCharacteristicNotificationEnabled(characteristic: Characteristic): void {
    try {
      for (const link of this.central.links) if (link.notifyCharacteristic === characteristic) link.onNotificationsEnabled();
    } catch (e) { this.guard("onNotificationEnabled:", e); }
  }
  // Hot path: one call per 20-byte notification. Identity comparison, no allocation of our own.
  override onCharacteristicNotification(characteristic: Characteristic, value: CharacteristicValue): void {
    try {
      const links = this.central.links;
      for (let i = 0; i < links.length; i++) {
        if (links[i].notifyCharacteristic === characteristic) { links[i].notifications.onNotification(value); return; }
      }
    } catch (e) { this.guard("onNotification:", e); }
  }
  override onRSSI(device: Client, rssi: number): void {
    try { this.central.byClient(device)?.onRSSI(rssi); } catch (e) { this.guard("onRSSI:", e); }
  }
  // Pairing: the passkey the module pairs with, for the link that connects to it (the SDK injects the
  // return value as an integer); onAuthenticated names no connection: it is the link being set up.
  override onPasskeyRequested(params: { address: Bytes }): number | void {
    try {
      for (const link of this.central.links) if (link.isTarget(params.address) && link.pairingPasskey) return Number(link.pairingPasskey);
    } catch (e) { this.guard("onPasskeyRequested:", e); }
    return undefined;
  }
  override onAuthenticated(params: { bonded: boolean }): void {
    try { this.central.authenticated(!!params.bonded); } catch (e) { this.guard("onAuthenticated:", e); }
  }
  override onBondingDeleted(params: { address: Bytes; addressType: number }): void {
    try { this.central.log.info("BLE bond deleted:", String(params.address)); } catch (e) { this.guard("onBondingDeleted:", e); }
  }
}
