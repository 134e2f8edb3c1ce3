// The radio side of the virtual device: the NimBLE host and controller of the ESP32 and the BMS
// peripherals around it (each a SimulatedBms), with the failure modes the field reports. The
// bleclient double keeps the SDK's native record (use count, scanning flag); this file keeps what
// NimBLE itself knows: whether the host is up, the one pending connect (ble_gap_conn_active), the
// discovery procedure, the links, and what each peripheral sends over the air.
import type { Clock } from "../sim/clock";
import type { SimulatedBms } from "../sim/bms";

export type Emit = (kind: string, ...args: unknown[]) => void;

export interface PeripheralOptions {
  address: string;            // "A4:C1:38:11:22:33"
  name: string;
  sim?: SimulatedBms;          // undefined: a neighbour's device that only advertises (phone, tag, TV)
  variant?: "ff00" | "fff0";
  rssi?: number;
  /** 0 public, 1 random (many newer modules): a connect must use the type the scan reported. */
  addressType?: number;
  /** Where the name is: in the scan response only (default, as JBD modules do) or in the advertisement. */
  nameIn?: "scanResponse" | "advertisement";
  /** Advertising interval in ms. */
  advertisingMs?: number;
  /** How long a connect to it takes (default: 60-360 ms, the next advertising event). */
  connectDelayMs?: number;
  /**
   * Passkey pairing with this fixed six-digit PIN (DisplayOnly, MITM required): the newest JBD modules.
   * Its sim (auth "pairing") answers only once the link is encrypted by an authenticated pairing.
   */
  passkey?: number;
}

export interface Peripheral extends Required<Omit<PeripheralOptions, "sim" | "connectDelayMs" | "passkey">> {
  connectDelayMs: number | undefined;
  passkey: number | undefined;
  /** The peer keeps our bond (its keys for us); forgetBond() clears it, as a module reset does. */
  keepsBond: boolean;
  sim: SimulatedBms | undefined;
  present: boolean;
  connection: number;          // 0 = not connected
  notifying: boolean;
}

/** NimBLE's bond store (NVS: it survives reboots), CONFIG_BT_NIMBLE_MAX_BONDS=3 in the SDK's esp32 sdkconfig. */
interface Bond { wire: string; type: number; authenticated: boolean }
const MAX_BONDS = 3;
/** An encryption change or pairing takes this long (a few connection events). */
const SECURITY_MS = 60;
/** SMP's timeout: a pairing that gets no answer fails after 30 s (nothing reaches JavaScript). */
const SMP_TIMEOUT_MS = 30_000;
/** HCI "PIN or key missing": the peer has no keys for our bond. */
const KEY_MISSING = 0x206;
/** SMP "confirm value failed", "authentication requirements": a wrong passkey, or Just Works where MITM is required. */
const PASSKEY_FAILED = 0x504, AUTH_REQUIREMENTS = 0x503;

// GATT layout of a typical JBD module (facts §5): FF01 value 0x11 (CCCD 0x12), FF02 value 0x15.
const SERVICE_START = 0x10, SERVICE_END = 0x1f, NOTIFY_HANDLE = 0x11, WRITE_HANDLE = 0x15;
/** HCI status of a connect that failed to be established (BLE_ERR_CONN_ESTABLISHMENT). */
const CONN_FAILED = 0x3e;

/** "A4:C1:38:11:22:33" -> little-endian hex as the stack stores it ("33221138c1a4"). */
export function addressToWire(address: string): string {
  return address.split(":").reverse().join("").toLowerCase();
}

function uuidWire(short: string): string { return short.slice(2, 4) + short.slice(0, 2); }

interface Scan { active: boolean; duplicates: boolean; duty: number; reported: Set<string> }

export class BleWorld {
  readonly peripherals: Peripheral[] = [];
  /** CONFIG_BT_NIMBLE_MAX_CONNECTIONS of our sdkconfig: a connect beyond it fails at once, with no event. */
  maxConnections = 3;
  /** The next N connects fail at the link layer (status != 0) instead of connecting. */
  failConnects = 0;
  /** This device goes away the moment a connect to it is requested (between scan report and connect). */
  vanishOnConnect: Peripheral | undefined;
  #hostUp = false;
  #scan: Scan | undefined;
  #scanTimer: number | undefined;
  /** The one pending connect; `secure`: the client record asked for security (encryption or mitm) when it was made. */
  #pending: { wire: string; type: number; at: number; secure: boolean } | undefined;
  #nextConnection = 1;
  /** GATT procedures in flight per connection: a drop completes them (empty) before the disconnect. */
  #procedures = new Map<number, () => void>();
  /** NimBLE's host-wide security config (ble_hs_cfg sm_bonding, sm_mitm, sm_io_cap), set by securityParameters. */
  #security = { bonding: false, mitm: false, iocap: 0 };
  /** NimBLE's bond store. */
  readonly bonds: Bond[] = [];
  /** A pairing waiting for its passkey: connection -> what to do with the injected value. */
  #passkeyWait = new Map<number, (value: number) => void>();
  /** Counters for tests and the soak. */
  readonly counts = { connects: 0, connectsFailed: 0, hostResets: 0, inits: 0, deinits: 0 };
  /** Observers (the soak): a peripheral's link came up or went down, at clock time. */
  onLink: ((address: string, up: boolean, time: number) => void) | undefined;

  constructor(private readonly clock: Clock, private readonly emit: Emit, private readonly random: () => number = Math.random) {}

  add(options: PeripheralOptions): Peripheral {
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const p: Peripheral = {
      variant: "ff00", rssi: -60, addressType: 0, nameIn: "scanResponse", advertisingMs: 100, ...given,
      address: options.address, name: options.name, sim: options.sim, connectDelayMs: options.connectDelayMs, present: true, connection: 0, notifying: false,
      passkey: options.passkey, keepsBond: false,
    };
    if (p.sim) {
      p.sim.onNotify = (chunk) => {
        if (p.connection && p.notifying && this.#hostUp) this.emit("ble.notification", p.connection, NOTIFY_HANDLE, Buffer.from(chunk).toString("hex"));
      };
    }
    this.peripherals.push(p);
    return p;
  }

  find(address: string): Peripheral | undefined {
    return this.peripherals.find((p) => p.address.toLowerCase() === address.toLowerCase());
  }

  get hostUp(): boolean { return this.#hostUp; }
  get scanning(): boolean { return !!this.#scan; }
  /** A connect is pending in NimBLE (ble_gap_conn_active), and since when. */
  get pendingConnect(): { address: string; since: number } | undefined {
    const pending = this.#pending;
    if (!pending) return undefined;
    const wire = pending.wire;
    return { address: wire.match(/../g)!.reverse().join(":").toUpperCase(), since: pending.at };
  }

  // ---- faults ----
  /** The peer drops the link (out of range, BMS reset...). */
  drop(p: Peripheral): void {
    if (!p.connection) return;
    const connection = p.connection;
    this.#release(p);
    this.emit("ble.disconnected", connection);
  }
  /** The peer loses its keys for us (a module reset or a re-flash): our bond is stale. */
  forgetBond(p: Peripheral): void { p.keepsBond = false; }

  /** The device stops answering and advertising; pending connects to it hang. */
  vanish(p: Peripheral): void { this.drop(p); p.present = false; }
  appear(p: Peripheral): void {
    p.present = true;
    const pending = this.#pending;
    if (pending && pending.wire === addressToWire(p.address) && pending.type === p.addressType) this.#completeConnect(p);
  }
  /**
   * NimBLE host reset (controller fault): every link is gone and the pending connect ends, NimBLE
   * syncs again, and the SDK closes its client (no JS callback). The host stays up for the next client.
   */
  hostReset(): void {
    if (!this.#hostUp) return;
    this.counts.hostResets++;
    this.#stopScan();
    this.#pending = undefined;
    for (const p of this.peripherals) if (p.connection) this.#release(p);
    this.emit("ble.reset");
  }

  // ---- operations from the bleclient double ----
  handle(op: string, args: unknown[]): void {
    switch (op) {
      case "ble.self": this.emit(args[0] as string, ...args.slice(1)); return; // a message the SDK posts to itself
      case "ble.init":
        this.counts.inits++;
        this.#hostUp = true;
        this.clock.setTimeout(() => { if (this.#hostUp) this.emit("ble.sync"); }, 40);
        return;
      case "ble.deinit": this.#shutdown(); return;
    }
    if (!this.#hostUp) return;
    switch (op) {
      case "ble.scan":
        if (args[0]) this.#startScan(args[1] as boolean, args[2] as boolean, args[3] as number, args[4] as number);
        else this.#stopScan();
        break;
      case "ble.connect": this.#connect(args[0] as string, args[1] as number, args[2] === true); break;
      case "ble.disconnect":
      case "ble.terminate": {
        const p = this.#byConnection(args[0] as number);
        if (!p) break;
        const connection = p.connection;
        this.#release(p);
        this.clock.setTimeout(() => this.emit("ble.disconnected", connection), 20);
        break;
      }
      case "ble.services": {
        const p = this.#byConnection(args[0] as number);
        if (!p) break;
        const uuid = uuidWire(p.variant === "fff0" ? "FFF0" : "FF00");
        const wanted = args[1] as string | null;
        const list = [{ uuid: "0018", start: 1, end: 7 }, { uuid, start: SERVICE_START, end: SERVICE_END }]
          .filter((s) => wanted === null || s.uuid === wanted);
        this.#procedure(p, 15, "ble.services", (connection) => [connection, list], (connection) => [connection, []]);
        break;
      }
      case "ble.characteristics": {
        const p = this.#byConnection(args[0] as number);
        if (!p) break;
        const inService = args[1] === SERVICE_START;
        const [n, w] = p.variant === "fff0" ? ["FFF1", "FFF2"] : ["FF01", "FF02"];
        const wanted = args[3] as string | null;
        const list = inService ? [
          { uuid: uuidWire(n), handle: NOTIFY_HANDLE, properties: 0x12 },
          { uuid: uuidWire(w), handle: WRITE_HANDLE, properties: 0x0c },
        ].filter((c) => wanted === null || c.uuid === wanted) : [];
        this.#procedure(p, 15, "ble.characteristics", (connection) => [connection, args[1], list], (connection) => [connection, args[1], []]);
        break;
      }
      case "ble.notify": {
        const p = this.#byConnection(args[0] as number);
        if (!p || args[1] !== NOTIFY_HANDLE) break; // NimBLE writes the CCCD at value handle + 1: no such CCCD, no callback
        const connection = p.connection;
        this.clock.setTimeout(() => {
          if (!this.#hostUp || p.connection !== connection) return;
          p.notifying = args[2] as boolean;
          this.emit("ble.notifyEnabled", connection, NOTIFY_HANDLE, p.notifying);
        }, 25);
        break;
      }
      case "ble.write": {
        const p = this.#byConnection(args[0] as number);
        if (p?.sim && args[1] === WRITE_HANDLE) p.sim.write(new Uint8Array(Buffer.from(args[2] as string, "hex")));
        break;
      }
      case "ble.security": {
        const [, bonding, mitm, iocap] = args as [boolean, boolean, boolean, number];
        this.#security = { bonding, mitm, iocap };
        break;
      }
      case "ble.passkeyInject": {
        const [connection, action, value] = args as [number, string, number | boolean];
        if (action === "input") { const wait = this.#passkeyWait.get(connection); this.#passkeyWait.delete(connection); wait?.(value as number); }
        break;
      }
      case "ble.mtu": {
        const p = this.#byConnection(args[0] as number);
        if (!p) break;
        const connection = p.connection;
        this.clock.setTimeout(() => { if (this.#hostUp && p.connection === connection) this.emit("ble.mtu", connection, Math.min(args[1] as number, 247)); }, 20);
        break;
      }
    }
  }

  /** Synchronous calls: ble.connActive (ble_gap_conn_active), ble.rssi. */
  call(op: string, args: unknown[]): unknown {
    if (op === "ble.connActive") return this.#hostUp && !!this.#pending;
    if (op === "ble.random") return Math.floor(this.random() * 0x7fffffff);
    if (op === "ble.deleteBond") {
      // deleteBonding: the first stored bond matching address and type (any, for deleteAllBondings)
      const [wire, type] = args as [string | null, number];
      const at = this.bonds.findIndex((b) => wire === null || (b.wire === wire && b.type === type));
      if (at < 0) return false;
      this.bonds.splice(at, 1);
      return true;
    }
    if (op === "ble.rssi") {
      const p = this.#byConnection(args[0] as number);
      return p && this.#hostUp ? Math.round(p.rssi + (this.random() - 0.5) * 6) : null;
    }
    return undefined;
  }

  /** The ESP32 rebooted: the controller is reset, every peer sees its link end. */
  powerCycle(): void { this.#shutdown(); }

  get connectedCount(): number { return this.peripherals.filter((p) => p.connection).length; }

  #byConnection(connection: number): Peripheral | undefined {
    return connection ? this.peripherals.find((p) => p.connection === connection) : undefined;
  }

  /** A GATT procedure answered after `ms`; a drop before that completes it with nothing found. */
  #procedure(p: Peripheral, ms: number, kind: string, result: (c: number) => unknown[], aborted: (c: number) => unknown[]): void {
    const connection = p.connection;
    const abort = () => { this.#procedures.delete(connection); this.emit(kind, ...aborted(connection)); };
    this.#procedures.set(connection, abort);
    this.clock.setTimeout(() => {
      if (this.#procedures.get(connection) !== abort) return;
      this.#procedures.delete(connection);
      if (this.#hostUp && p.connection === connection) this.emit(kind, ...result(connection));
    }, ms);
  }

  #startScan(active: boolean, duplicates: boolean, interval: number, window: number): void {
    this.#stopScan();
    // ble_gap_disc() refuses (BLE_HS_EBUSY) while a connect is pending; the SDK ignores the result
    if (this.#pending) return;
    const duty = interval > 0 ? Math.min(1, window / interval) : 1;
    const scan: Scan = { active, duplicates, duty, reported: new Set() };
    this.#scan = scan;
    const tick = () => {
      if (this.#scan !== scan) return;
      for (const p of this.peripherals) {
        if (!p.present || p.connection) continue; // a connected JBD module stops advertising
        // one advertising event per advertisingMs; heard when it falls into a scan window
        if (this.random() > duty * Math.min(1, 100 / p.advertisingMs)) continue;
        this.#report(scan, p, "adv");
        if (scan.active) this.#report(scan, p, "rsp");
      }
      this.#scanTimer = this.clock.setTimeout(tick, 100);
    };
    this.#scanTimer = this.clock.setTimeout(tick, 30);
  }

  #report(scan: Scan, p: Peripheral, packet: "adv" | "rsp"): void {
    const key = p.address + packet;
    if (!scan.duplicates && scan.reported.has(key)) return;
    scan.reported.add(key);
    const data = packet === "adv" ? advertisingData(p) : scanResponseData(p);
    if (!data.length) return; // NimBLE drops empty reports
    this.emit("ble.discovered", addressToWire(p.address), p.addressType, Math.round(p.rssi + (this.random() - 0.5) * 4), data.toString("hex"));
  }

  #stopScan(): void {
    this.clock.clearTimeout(this.#scanTimer);
    this.#scanTimer = undefined;
    this.#scan = undefined;
  }

  #connect(wire: string, type: number, secure = false): void {
    this.#stopScan(); // NimBLE's connect cancels discovery
    if (this.#pending) return;
    // no room for another link: ble_gap_connect() fails at once (the SDK ignores its result), no event
    if (this.connectedCount >= this.maxConnections) { this.counts.connectsFailed++; return; }
    this.#pending = { wire, type, at: this.clock.now(), secure };
    // a wrong address type never reaches the device: the connect waits forever, like an absent one
    const p = this.peripherals.find((x) => addressToWire(x.address) === wire && x.addressType === type);
    if (p && p === this.vanishOnConnect) { this.vanishOnConnect = undefined; p.present = false; }
    if (p?.present) this.#completeConnect(p);
  }

  #completeConnect(p: Peripheral): void {
    const pending = this.#pending!;
    const delay = p.connectDelayMs ?? 60 + this.random() * 300; // the next advertising event, then CONNECT_IND
    this.clock.setTimeout(() => {
      if (this.#pending !== pending || !this.#hostUp) return;
      if (!p.present || p.connection) return; // gone again: keeps waiting
      this.#pending = undefined;
      const wire = addressToWire(p.address);
      if (this.failConnects > 0) {
        this.failConnects--;
        this.counts.connectsFailed++;
        this.emit("ble.connectEvent", CONN_FAILED, 0xffff, wire, p.addressType);
        return;
      }
      this.counts.connects++;
      p.connection = this.#nextConnection++;
      this.onLink?.(p.address, true, this.clock.now());
      this.emit("ble.connectEvent", 0, p.connection, wire, p.addressType);
      // nimble_gap_event BLE_GAP_EVENT_CONNECT: ble_gap_security_initiate() when the record asks for it
      if (pending.secure) this.#startSecurity(p, p.connection);
    }, delay);
  }

  /**
   * ble_gap_security_initiate: encryption with a stored bond, else pairing. The peer here is either a
   * passkey module (DisplayOnly, MITM required) or an ordinary one (no IO, Just Works accepted).
   */
  #startSecurity(p: Peripheral, connection: number): void {
    const wire = addressToWire(p.address);
    const done = (status: number, authenticated: boolean, bonded: boolean) => this.clock.setTimeout(() => {
      if (!this.#hostUp || p.connection !== connection) return;
      if (status === 0) {
        p.sim?.setEncrypted(authenticated);
        this.emit("ble.encChange", connection, 0, true, bonded);
      } else {
        this.emit("ble.encChange", connection, status, false, false);
      }
    }, SECURITY_MS);
    const bond = this.bonds.find((b) => b.wire === wire && b.type === p.addressType);
    if (bond) {
      // encryption with the stored keys; the peer that lost its own gives "PIN or key missing"
      if (p.keepsBond) done(0, bond.authenticated, true); else done(KEY_MISSING, false, false);
      return;
    }
    const passkeyEntry = p.passkey !== undefined && (this.#security.iocap === 2 || this.#security.iocap === 3);
    const succeed = (authenticated: boolean) => {
      let bonded = false;
      if (this.#security.bonding && this.bonds.length < MAX_BONDS) {
        // no store_status_cb in a client-only build (modBLEServer.c sets it): a full store keeps no new bond [inferred]
        this.bonds.push({ wire, type: p.addressType, authenticated });
        p.keepsBond = true;
        bonded = true;
      }
      done(0, authenticated, bonded);
    };
    if (!passkeyEntry) {
      // Just Works: a passkey module refuses it (it requires MITM); an ordinary one accepts
      if (p.passkey !== undefined) done(AUTH_REQUIREMENTS, false, false); else succeed(false);
      return;
    }
    // Passkey entry, we type: BLE_SM_IOACT_INPUT; no injection within SMP's timeout fails silently
    const timer = this.clock.setTimeout(() => { this.#passkeyWait.delete(connection); done(PASSKEY_FAILED, false, false); }, SMP_TIMEOUT_MS);
    this.#passkeyWait.set(connection, (value) => {
      this.clock.clearTimeout(timer);
      if (value === p.passkey) succeed(true); else done(PASSKEY_FAILED, false, false);
    });
    this.clock.setTimeout(() => { if (this.#hostUp && p.connection === connection) this.emit("ble.passkeyAction", connection, "input", 0); }, SECURITY_MS);
  }

  #release(p: Peripheral): void {
    if (p.connection) {
      this.onLink?.(p.address, false, this.clock.now());
      this.#procedures.get(p.connection)?.();
    }
    if (p.connection) this.#passkeyWait.delete(p.connection);
    p.connection = 0;
    p.notifying = false;
    p.sim?.disconnected();
  }

  /** nimble_port_stop / reboot: everything ends without an event. */
  #shutdown(): void {
    if (this.#hostUp) this.counts.deinits++;
    this.#hostUp = false;
    this.#stopScan();
    this.#pending = undefined;
    this.#procedures.clear();
    for (const p of this.peripherals) if (p.connection) { this.onLink?.(p.address, false, this.clock.now()); p.connection = 0; p.notifying = false; p.sim?.disconnected(); }
  }
}

/** Advertising data: flags and the 16-bit service list (FF00 / FFF0), the name only if it goes there. */
function advertisingData(p: Peripheral): Buffer {
  const parts: Buffer[] = [Buffer.from([2, 0x01, 0x06])];
  if (p.sim) parts.push(Buffer.from([3, 0x03, ...(p.variant === "fff0" ? [0xf0, 0xff] : [0x00, 0xff])]));
  if (p.nameIn === "advertisement") parts.push(nameField(p));
  return Buffer.concat(parts);
}

/** Scan response: the complete local name (when it is not in the advertisement). */
function scanResponseData(p: Peripheral): Buffer {
  return p.nameIn === "scanResponse" ? nameField(p) : Buffer.alloc(0);
}

function nameField(p: Peripheral): Buffer {
  if (!p.name) return Buffer.alloc(0);
  const name = Buffer.from(Buffer.from(p.name, "utf8").subarray(0, 29));
  return Buffer.concat([Buffer.from([name.length + 1, 0x09]), name]);
}
