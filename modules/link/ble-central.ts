// The one BLEClient of the gateway (the SDK allows one at a time) shared by every BMS link.
// It routes callbacks to links, runs one connection attempt at a time (NimBLE keeps a single
// pending connect and ignores a second), scans for links that have no address yet, and tears
// the stack down and builds it again when it stops answering or a connect hangs (there is no
// cancel-connect API: closing the client is the only way out).
import BLEClient from "bleclient";
import type { Characteristic, Client, DiscoveredDevice, Service, CharacteristicValue } from "bleclient";
import { Timeout } from "../platform/timeout";
import type { Logger } from "./logger";

/** What the central needs from a link. */
export interface CentralLink {
  readonly needsAddress: boolean;
  readonly client: Client | undefined;
  readonly notifyCharacteristic: Characteristic | undefined;
  /** The address this link is connecting to. */
  isTarget(address: ArrayBuffer): boolean;
  beginConnect(ble: BLEClient): void;
  onConnected(client: Client): void;
  onDisconnected(): void;
  onServices(services: Service[]): void;
  onCharacteristics(characteristics: Characteristic[]): void;
  onNotificationsEnabled(): void;
  onNotification(value: CharacteristicValue): void;
  onRSSI(rssi: number): void;
  /** The stack was reset: the link is gone without any callback. */
  onStackReset(): void;
  /** Scan result for a link that has no address yet: true if it claims the device. */
  offerDevice(device: DiscoveredDevice): boolean;
}

const SCAN_WINDOW_MS = 15_000;
const RECREATE_DELAY_MS = 500;

export class BleCentral {
  readonly links: CentralLink[] = [];
  stackResets = 0;
  #client: GatewayClient | undefined;
  #ready = false;
  #queue: CentralLink[] = [];
  #connecting: CentralLink | undefined;
  #scanning = false;
  readonly #scanTimeout = new Timeout(() => this.#stopScan());
  readonly #recreate = new Timeout(() => this.#create());

  constructor(readonly log: Logger) {}

  start(): void { this.#create(); }

  get ready(): boolean { return this.#ready; }
  get scanning(): boolean { return this.#scanning; }

  add(link: CentralLink): void { this.links.push(link); }

  /** Ask for a connection attempt; links are served one at a time. */
  requestConnect(link: CentralLink): void {
    if (!this.#queue.includes(link) && this.#connecting !== link) this.#queue.push(link);
    this.#pump();
  }

  /** The connecting link is done (connected, or gave up): the next one may go. */
  connectFinished(link: CentralLink): void {
    if (this.#connecting === link) this.#connecting = undefined;
    this.#pump();
  }

  /** Forget a link's queued attempt (it is backing off). */
  cancel(link: CentralLink): void {
    const index = this.#queue.indexOf(link);
    if (index >= 0) this.#queue.splice(index, 1);
    if (this.#connecting === link) this.#connecting = undefined;
  }

  /** Tear the BLE client down and create it again (stack not answering, connect hung). */
  resetStack(reason: string): void {
    this.log.warn("BLE stack reset:", reason);
    this.stackResets++;
    this.#ready = false;
    this.#scanning = false;
    this.#scanTimeout.stop();
    this.#connecting = undefined;
    this.#queue.length = 0;
    const client = this.#client;
    this.#client = undefined;
    try { client?.close(); } catch (error) { this.log.error("BLE close failed:", error); }
    for (const link of this.links) link.onStackReset();
    this.#recreate.start(RECREATE_DELAY_MS);
  }

  /** A user-requested scan (console): reports every device seen for `ms`. */
  scanFor(ms: number, report: (device: DiscoveredDevice) => void): boolean {
    if (!this.#client || !this.#ready || this.#connecting) return false;
    this.#reporter = report;
    this.#startScan(ms);
    return true;
  }

  #reporter: ((device: DiscoveredDevice) => void) | undefined;

  #create(): void {
    try {
      this.#client = new GatewayClient(this);
    } catch (error) {
      // "BLE already initialized" right after close(): the stack frees asynchronously
      this.log.warn("BLE init:", error);
      this.#recreate.start(RECREATE_DELAY_MS);
    }
  }

  #pump(): void {
    const client = this.#client;
    if (!client || !this.#ready || this.#connecting) return;
    const index = this.#queue.findIndex((link) => !link.needsAddress);
    if (index >= 0) {
      const link = this.#queue.splice(index, 1)[0];
      if (this.#scanning) this.#stopScan();
      this.#connecting = link;
      link.beginConnect(client);
      return;
    }
    if (this.#queue.length && !this.#scanning) this.#startScan(SCAN_WINDOW_MS);
  }

  #startScan(ms: number): void {
    try {
      this.#client!.startScanning({ duplicates: false });
      this.#scanning = true;
      this.#scanTimeout.start(ms);
    } catch (error) {
      this.log.warn("BLE scan:", error);
    }
  }

  #stopScan(): void {
    this.#scanTimeout.stop();
    this.#reporter = undefined;
    if (!this.#scanning) return;
    this.#scanning = false;
    try { this.#client?.stopScanning(); } catch (error) { this.log.warn("BLE stop scan:", error); }
    this.#pump();
  }

  // ---- callbacks from GatewayClient (each one is a boundary: nothing may escape) ----
  stackReady(): void { this.#ready = true; this.#pump(); }

  discovered(device: DiscoveredDevice): void {
    this.#reporter?.(device);
    for (const link of this.#queue) {
      if (link.needsAddress && link.offerDevice(device)) { this.#stopScan(); return; }
    }
  }

  byClient(client: Client): CentralLink | undefined {
    for (const link of this.links) if (link.client === client) return link;
    return undefined;
  }

  get connecting(): CentralLink | undefined { return this.#connecting; }
}

/** The SDK client subclass: every callback forwards to the central inside a try/catch. */
class GatewayClient extends BLEClient {
  constructor(private readonly central: BleCentral) { super(); }

  #guard(what: string, error: unknown): void {
    // On the device an exception escaping a BLE callback aborts the VM and reboots the ESP32.
    try { this.central.log.error(what, error); } catch { /* nothing left to do */ }
  }

  override onReady(): void {
    try { this.central.stackReady(); } catch (e) { this.#guard("onReady:", e); }
  }
  override onDiscovered(device: DiscoveredDevice): void {
    try { this.central.discovered(device); } catch (e) { this.#guard("onDiscovered:", e); }
  }
  override onConnected(device: Client): void {
    try {
      const link = this.central.connecting;
      if (link?.isTarget(device.address)) link.onConnected(device);
      else device.close(); // nobody is waiting for this one (a late connect after a give-up)
    } catch (e) { this.#guard("onConnected:", e); }
  }
  override onDisconnected(device: Client): void {
    try { this.central.byClient(device)?.onDisconnected(); } catch (e) { this.#guard("onDisconnected:", e); }
  }
  override onServices(services: Service[]): void {
    try { this.central.connecting?.onServices(services); } catch (e) { this.#guard("onServices:", e); }
  }
  override onCharacteristics(characteristics: Characteristic[]): void {
    try { this.central.connecting?.onCharacteristics(characteristics); } catch (e) { this.#guard("onCharacteristics:", e); }
  }
  override onCharacteristicNotificationEnabled(characteristic: Characteristic): void {
    try {
      for (const link of this.central.links) if (link.notifyCharacteristic === characteristic) link.onNotificationsEnabled();
    } catch (e) { this.#guard("onNotificationEnabled:", e); }
  }
  // Hot path: one call per 20-byte notification. Identity comparison, no allocation.
  override onCharacteristicNotification(characteristic: Characteristic, value: CharacteristicValue): void {
    try {
      const links = this.central.links;
      for (let i = 0; i < links.length; i++) {
        if (links[i].notifyCharacteristic === characteristic) { links[i].onNotification(value); return; }
      }
    } catch (e) { this.#guard("onNotification:", e); }
  }
  override onRSSI(device: Client, rssi: number): void {
    try { this.central.byClient(device)?.onRSSI(rssi); } catch (e) { this.#guard("onRSSI:", e); }
  }
}
