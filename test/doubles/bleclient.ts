// Double of the Moddable "bleclient" module: the NimBLE client of SDK 8.2.3 (bleclient.js,
// gatt.js, connection.js and nimble/modBLEClient.c), written from that source. The radio and the
// peripherals live on the host (test/virtual/ble-world.ts); the native BLE record, with its use
// count and its flags, lives here, because its accounting is what the firmware must survive:
// - the record holds a use count: the instance 1, a running scan 1, every connect() 1 that only a
//   successful connect event gives back (a failed connect leaks it); the record is freed only at 0,
//   and until then `new BLEClient()` throws "BLE already initialized";
// - connect() is a silent no-op while another connect is pending and on a closing/freed record;
//   there is no cancel and no timeout;
// - connect() during a scan cancels the scan and returns its count but leaves the scanning flag
//   set: startScanning() then throws "already scanning" and stopScanning() returns a count again;
// - startScanning() on a freed/closing record dereferences NULL: the ESP32 panics;
// - every radio event that reaches a closing record takes one count (the SDK's close path relies on
//   it), and the record's destructor ends client connections with no JS callback;
// - a NimBLE host reset closes the client internally, with no JS callback;
// - security (modBLEClient.c, modBLESM.c, bleclient.js): the securityParameters setter fills in JS
//   defaults (encryption true) and sets the record's flags and NimBLE's host-wide config; a connect
//   event starts security whenever the record's encryption or mitm flag is set; a passkey request
//   calls onPasskeyRequested and injects its return value as an integer, except with KeyboardOnly,
//   whose onPasskeyInput event bleclient.js drops (the pairing stalls); a successful encryption
//   change calls onAuthenticated({bonded}); a failed pairing calls nothing at all.
import { fire } from "./meter-zone";
import { fireApart, later } from "./apart";
import { Bytes, Advertisement, typedBufferToValue, typedValueToBuffer } from "./btutils";
import { hostCall, on, post, toHex, fromHex } from "./runtime";

interface ServiceInfo { uuid: string; start: number; end: number }
interface CharacteristicInfo { uuid: string; handle: number; properties: number }

/** The native record (modBLERecord). */
interface Rec {
  readonly id: number;
  obj: BLEClient | undefined;
  useCount: number;
  scanning: boolean;
  closing: boolean;
  /** ble->encryption, bonding, mitm, iocap: zero in a new record (c_calloc), set by securityParameters. */
  security: { encryption: boolean; bonding: boolean; mitm: boolean; iocap: number };
}

/** A connection record (modBLEClientConnectionRecord); id INVALID until the connect event. */
interface ConnRec {
  id: number;
  wire: string;
  addressType: number;
  client?: Client;
  connection?: Connection;
}

const INVALID = -1;
let gBLE: Rec | undefined;
/**
 * The record's one discovery queue serves scan reports and GATT discovery alike; startScanning()
 * and each discover call point it at their own handler. A report of the other kind then goes to
 * the wrong handler, which looks up a connection from the wrong struct: "connection not found",
 * thrown out of a native callback (the VM aborts). [inferred from the queue's code]
 */
let discoveryQueue: "scan" | "gatt" = "scan";
function queueFor(kind: "scan" | "gatt"): void {
  if (discoveryQueue !== kind) throw new Error("connection not found");
}
let nextRecord = 1;
let platformUseCount = 0;
const connections: ConnRec[] = [];
const records = new Map<number, Rec>();

// a loop, not find() with an arrow: this runs inside the firmware's calls (a write per request), where
// the RAM bench's apart mode would charge the closure find() needs to the firmware
function byId(id: number): ConnRec | undefined {
  for (let i = 0; i < connections.length; i++) if (connections[i].id === id) return connections[i];
  return undefined;
}
function removeConnection(c: ConnRec): void {
  const i = connections.indexOf(c);
  if (i >= 0) connections.splice(i, 1);
}

/** getBLEClient(): takes a count, or undefined when there is no record or it is closing. */
function getBLEClient(): Rec | undefined {
  const ble = gBLE;
  if (!ble || ble.closing) return undefined;
  ble.useCount++;
  return ble;
}

/** downBLEClientUseCount(): at 0 the record is marked closing, gBLE cleared, the close event posted. */
function down(ble: Rec): void {
  if (ble.useCount <= 0) return;
  if (--ble.useCount === 0) {
    ble.closing = true;
    gBLE = undefined;
    post("ble.self", "ble.closeEvent", ble.id); // delivered on a later turn, like a posted message
  }
}

function validateInstance(): Rec {
  if (!gBLE) throw new Error("unknown instance");
  if (gBLE.closing) throw new Error("instance closed");
  return gBLE;
}

/** nimble_gap_event / the GATT callbacks: nothing without a record; a closing record takes a count. */
function gate(): Rec | undefined {
  const ble = gBLE;
  if (!ble) return undefined;
  if (ble.closing) { down(ble); return undefined; }
  return ble;
}

/** A NULL dereference in native code: the ESP32 panics and reboots; nothing after it runs. */
function panic(where: string): void {
  post("panic", where, "Guru Meditation Error: LoadProhibited (NULL pointer dereference)");
}

function destructor(ble: Rec): void {
  gBLE = undefined; // unconditionally, as the SDK does (even if a newer record was created meanwhile)
  for (const c of connections.slice()) {
    if (c.id !== INVALID) post("ble.terminate", c.id);
    removeConnection(c);
  }
  records.delete(ble.id);
  if (--platformUseCount === 0) post("ble.deinit");
}

export class Connection {
  constructor(readonly ble: BLEClient, readonly client: Client, readonly address: Bytes, readonly addressType: number) {
    const c = byId(client.connection);
    if (!c) throw new Error("connection not found");
    c.connection = this;
    c.client = client;
  }
  disconnect(): void { disconnect(this.client.connection); }
}

function disconnect(connection: number): void {
  if (!byId(connection)) throw new Error("connection not found");
  post("ble.disconnect", connection);
}

export class Descriptor {
  constructor(readonly characteristic: Characteristic, readonly uuid: Bytes, readonly handle: number) {}
}

export class Characteristic {
  readonly descriptors: Descriptor[] = [];
  type?: string;
  constructor(readonly service: Service, readonly uuid: Bytes, readonly handle: number, readonly properties: number) {}
  get connection(): number { return this.service.connection; }
  enableNotifications(): void { if (byId(this.connection)) post("ble.notify", this.connection, this.handle, true); }
  disableNotifications(): void { if (byId(this.connection)) post("ble.notify", this.connection, this.handle, false); }
  writeWithoutResponse(value: ArrayBuffer): void {
    const buffer = typedValueToBuffer(this.type, value);
    if (!(buffer instanceof ArrayBuffer)) throw new TypeError("not an ArrayBuffer instance");
    if (!byId(this.connection)) return;
    // the host's hex text: in the RAM bench's apart mode, in a delivery of its own (apart.ts)
    if (!later(postWrite, this.connection, this.handle, buffer)) postWrite(this.connection, this.handle, buffer);
  }
  readValue(_auth?: number): void { if (byId(this.connection)) post("ble.read", this.connection, this.handle); }
}

function readRssiNow(client: unknown): void {
  const self = client as Client, c = byId(self.connection);
  if (!c) return;
  const rssi = hostCall<number | null>("ble.rssi", self.connection);
  if (rssi !== null) { const ble = c.connection?.ble; if (ble) fire(ble.onRSSI, ble, self, rssi); }
}

function postWrite(connection: unknown, handle: unknown, buffer: unknown): void {
  post("ble.write", connection, handle, toHex(buffer as ArrayBuffer));
}

export class Service {
  characteristics: Characteristic[] = [];
  constructor(readonly client: Client, readonly connection: number, readonly uuid: Bytes, readonly start: number, readonly end: number) {}
  discoverAllCharacteristics(): void { this.characteristics.length = 0; this.#discover(null); }
  discoverCharacteristic(uuid: Bytes): void { this.characteristics.length = 0; this.#discover(toHex(uuid)); }
  findCharacteristicByUUID(uuid: Bytes): Characteristic | undefined { return this.characteristics.find((c) => uuid.equals(c.uuid)); }
  #discover(uuid: string | null): void {
    if (!byId(this.connection)) return;
    validateInstance();
    discoveryQueue = "gatt";
    discovering.set(this.connection, this);
    post("ble.characteristics", this.connection, this.start, this.end, uuid);
  }
}

/** Which Service object a characteristic discovery answers (the SDK keeps it in the search record). */
const discovering = new Map<number, Service>();

export class Client {
  readonly services: Service[] = [];
  constructor(readonly ble: BLEClient, readonly connection: number, readonly address: Bytes, readonly addressType: number) {}
  exchangeMTU(mtu: number): void {
    if (!byId(this.connection)) return;
    if (!(mtu >= 23 && mtu <= 517)) throw new RangeError("invalid mtu");
    post("ble.mtu", this.connection, mtu);
  }
  readRSSI(): void {
    // synchronously, inside readRSSI(); in the RAM bench's apart mode in a delivery of its own (apart.ts:
    // the host call's JSON is the double's, not the firmware's)
    if (!later(readRssiNow, this)) readRssiNow(this);
  }
  discoverPrimaryService(uuid: Bytes): void { this.services.length = 0; this.#discover(toHex(uuid)); }
  discoverAllPrimaryServices(): void { this.services.length = 0; this.#discover(null); }
  findServiceByUUID(uuid: Bytes): Service | undefined { return this.services.find((s) => uuid.equals(s.uuid)); }
  close(): void { disconnect(this.connection); }
  #discover(uuid: string | null): void {
    if (!byId(this.connection)) return;
    validateInstance();
    discoveryQueue = "gatt";
    post("ble.services", this.connection, uuid);
  }
  /** gatt.js _findCharacteristicByHandle: the first service whose range holds the handle decides. */
  findCharacteristicByHandle(handle: number): Characteristic | undefined {
    for (const service of this.services) {
      if (handle < service.start || handle > service.end) continue;
      for (const characteristic of service.characteristics) if (characteristic.handle === handle) return characteristic;
      return undefined;
    }
    return undefined;
  }
}

export type CharacteristicValue = ArrayBuffer | Uint8Array;
export interface ConnectTarget { readonly address: ArrayBuffer; readonly addressType: number }

export interface ScanParams { active?: boolean; duplicates?: boolean; interval?: number; window?: number; filterPolicy?: number }
export interface DiscoveredDevice { address: Bytes; addressType: number; rssi: number; scanResponse: Advertisement }

// Characteristics a bleservices JSON describes get a name and type at discovery (the SDK's
// uuidToCharName); the host reads the same JSON files the build uses.
let typedCharacteristics: Record<string, string> | undefined;

export default class BLEClient {
  #record: Rec | undefined;

  constructor() {
    if (gBLE) throw new Error("BLE already initialized");
    const ble: Rec = { id: nextRecord++, obj: this, useCount: 1, scanning: false, closing: false, security: { encryption: false, bonding: false, mitm: false, iocap: 0 } };
    gBLE = ble;
    records.set(ble.id, ble);
    this.#record = ble;
    // modBLEPlatformInitialize: the first user starts NimBLE (onReady once the host syncs); while
    // the port is still up, the sync callback runs at once and onReady follows on a later turn.
    if (platformUseCount++ === 0) post("ble.init");
    else post("ble.self", "ble.sync");
  }

  onReady(): void {}
  onDiscovered(_device: DiscoveredDevice): void {}
  onConnected(_device: Client): void {}
  onDisconnected(_device: Client): void {}
  onServices(_services: Service[]): void {}
  onCharacteristics(_characteristics: Characteristic[]): void {}
  onCharacteristicNotificationEnabled(_characteristic: Characteristic): void {}
  onCharacteristicNotificationDisabled(_characteristic: Characteristic): void {}
  onCharacteristicNotification(_characteristic: Characteristic, _value: ArrayBuffer | Uint8Array): void {}
  onCharacteristicValue(_characteristic: Characteristic, _value: ArrayBuffer | Uint8Array): void {}
  onMTUExchanged(_device: Client, _mtu: number): void {}
  onRSSI(_device: Client, _rssi: number): void {}
  onSecurityParameters(_params: { encryption: boolean; bonding: boolean; mitm: boolean }): void {}
  onBondingDeleted(_params: { address: Bytes; addressType: number }): void {}
  onAuthenticated(_params: { bonded: boolean }): void {}
  onPasskeyConfirm(_params: { address: Bytes; passkey: number }): void {}
  onPasskeyDisplay(_params: { address: Bytes; passkey: number }): void {}
  onPasskeyRequested(_params: { address: Bytes }): unknown { return undefined; }

  /** bleclient.js: JS defaults, then xs_ble_client_set_security_parameters (record flags, modBLESetSecurityParameters). */
  set securityParameters(options: { encryption?: boolean; bonding?: boolean; mitm?: boolean; ioCapability?: number }) {
    const { encryption = true, bonding = false, mitm = false, ioCapability = 0 } = options;
    const ble = validateInstance();
    const iocap = Math.trunc(Number(ioCapability)) || 0; // xsmcToInteger
    ble.security = { encryption: !!encryption, bonding: !!bonding, mitm: !!mitm, iocap };
    post("ble.security", !!encryption, !!bonding, !!mitm, iocap);
    // with mitm: a new random own address, and onSecurityParameters on a later turn
    if (mitm) post("ble.self", "ble.securityParametersEvent");
  }
  /** Numeric comparison answer (xs_ble_client_passkey_reply). */
  passkeyReply(address: ArrayBuffer, accept: boolean): void {
    validateInstance();
    const wire = toHex(new Uint8Array(address, 0, 6));
    const c = connections.find((x) => x.wire === wire && x.id !== INVALID);
    if (!c) throw new Error("connection not found");
    post("ble.passkeyInject", c.id, "numcmp", !!accept);
  }

  startScanning(options: ScanParams = {}): void {
    const { active = true, duplicates = true, interval = 0x50, window = 0x30 } = options;
    const ble = getBLEClient();
    if (!ble) { panic("BLEClient.startScanning"); return; }
    if (ble.scanning) throw new Error("already scanning"); // the count just taken stays taken
    ble.scanning = true;
    discoveryQueue = "scan";
    post("ble.scan", true, !!active, !!duplicates, interval >>> 0, window >>> 0);
  }
  stopScanning(): void {
    const ble = validateInstance();
    if (ble.scanning) {
      ble.scanning = false;
      post("ble.scan", false);
      down(ble);
    }
  }
  connect(options: { address: ArrayBuffer; addressType?: number }): void {
    if (options === null || (typeof options !== "object" && typeof options !== "function")) {
      throw new TypeError("in: not an object"); // the `"connection" in options` test of bleclient.js
    }
    const type = Math.trunc(Number(options.addressType)) || 0;
    if (!(options.address instanceof ArrayBuffer)) throw new TypeError("not an ArrayBuffer instance");
    if (options.address.byteLength < 6) throw new RangeError("out of range");
    const wire = toHex(new Uint8Array(options.address, 0, 6)); // (Bytes#slice would call the Bytes constructor)
    if (hostCall<boolean>("ble.connActive")) return; // ble_gap_conn_active(): ignored
    const ble = getBLEClient();
    if (!ble) return;
    if (ble.scanning) {
      post("ble.scan", false); // the scan is cancelled and its count returned, the flag stays set
      down(ble);
    }
    connections.push({ id: INVALID, wire, addressType: type });
    // the connect event starts security when the record's encryption or mitm flag is set (nimble_gap_event)
    post("ble.connect", wire, type, ble.security.encryption || ble.security.mitm);
  }
  close(): void {
    const ble = this.#record;
    if (!ble || ble.closing) return;
    if (ble.scanning) this.stopScanning();
    ble.closing = true;
    this.#record = undefined;
    down(ble);
  }

  /** Host reset or close event cleared the native pointer (xsmcSetHostData(NULL)). */
  static detach(ble: Rec): void { if (ble.obj) ble.obj.#record = undefined; ble.obj = undefined; }

  // ---- host events: messages the NimBLE task posts to the JS thread ----
  static {
    on("ble.sync", () => {
      // nimble_on_sync -> readyEvent (its counts balance)
      const ble = gBLE;
      if (!ble || ble.closing) return;
      if (ble.obj) fire(ble.obj.onReady, ble.obj);
    });
    on("ble.closeEvent", (id: number) => {
      const ble = records.get(id);
      if (!ble) return;
      if (ble.scanning) post("ble.scan", false);
      BLEClient.detach(ble);
      destructor(ble);
    });
    on("ble.reset", () => {
      // ble_client_on_reset: closing at once, the close event on a later turn, whatever the count
      const ble = getBLEClient();
      if (!ble) return;
      ble.closing = true;
      post("ble.self", "ble.closeEvent", ble.id);
      down(ble);
    });
    on("ble.discovered", (addressHex: string, addressType: number, rssi: number, advHex: string) => {
      const ble = gate();
      if (!ble) return;
      queueFor("scan");
      if (!ble.scanning || !ble.obj) return; // delivered only while the flag is set
      const options = { scanResponse: fromHex(advHex), address: fromHex(addressHex), addressType, rssi };
      fire(ble.obj.onDiscovered, ble.obj, {
        address: new Bytes(options.address), addressType: options.addressType, rssi: options.rssi,
        scanResponse: new Advertisement(options.scanResponse),
      });
    });
    on("ble.connectEvent", (status: number, id: number, addressHex: string, addressType: number) => {
      const ble = gate();
      if (!ble) return;
      const wire = status === 0 ? addressHex : "000000000000"; // a failed event carries a zeroed descriptor
      const type = status === 0 ? addressType : 0;
      // the SDK's workaround when the address does not match: the first connection still pending
      const c = connections.find((x) => x.wire === wire && x.addressType === type) ?? connections.find((x) => x.id === INVALID);
      if (!c) throw new Error("connection not found");
      if (status !== 0) { removeConnection(c); return; } // no JS callback, and the connect's count is never returned
      if (c.id !== INVALID) return;                       // duplicate connect event
      c.id = id;
      // onConnected()
      if (ble.closing) { down(ble); return; }
      const obj = ble.obj!;
      const address = new Bytes(fromHex(addressHex));
      const client = new Client(obj, id, address, addressType);
      new Connection(obj, client, address, addressType);
      fire(obj.onConnected, obj, client);
      down(ble);
    });
    on("ble.disconnected", (id: number) => {
      const ble = gate();
      if (!ble) return;
      const c = byId(id);
      if (!c) return; // duplicate disconnect
      const client = c.client;
      removeConnection(c);
      discovering.delete(id);
      if (client) fire(c.connection!.ble.onDisconnected, c.connection!.ble, client);
    });
    on("ble.services", (id: number, list: ServiceInfo[]) => {
      const ble = gate();
      if (!ble) return;
      queueFor("gatt");
      const c = byId(id);
      if (!c?.client) throw new Error("connection not found");
      const client = c.client;
      for (const s of list) client.services.push(new Service(client, id, new Bytes(fromHex(s.uuid)), s.start, s.end));
      fire(client.ble.onServices, client.ble, client.services);
    });
    on("ble.characteristics", (id: number, _start: number, list: CharacteristicInfo[]) => {
      const ble = gate();
      if (!ble) return;
      queueFor("gatt");
      if (!byId(id)) throw new Error("connection not found");
      const service = discovering.get(id);
      if (!service) return;
      discovering.delete(id);
      typedCharacteristics ??= hostCall<Record<string, string>>("ble.types");
      for (const info of list) {
        const characteristic = new Characteristic(service, new Bytes(fromHex(info.uuid)), info.handle, info.properties);
        // the SDK compares the UUID's bytes (nimble/modBLEClient.c uuidToCharName: ble_uuid_cmp), so
        // the hex's case does not matter (the table's keys are lower case)
        const type = typedCharacteristics[info.uuid.toLowerCase()];
        if (type) characteristic.type = type;
        service.characteristics.push(characteristic);
      }
      fire(service.client.ble.onCharacteristics, service.client.ble, service.characteristics);
    });
    on("ble.notifyEnabled", (id: number, handle: number, enabled: boolean) => {
      const ble = gate();
      if (!ble) return;
      const c = byId(id);
      if (!c?.client) throw new Error("connection not found");
      const characteristic = c.client.findCharacteristicByHandle(handle);
      if (!characteristic) return;
      if (enabled) fire(c.client.ble.onCharacteristicNotificationEnabled, c.client.ble, characteristic);
      else fire(c.client.ble.onCharacteristicNotificationDisabled, c.client.ble, characteristic);
    });
    on("ble.notification", (id: number, handle: number, hex: string) => {
      const ble = gate();
      if (!ble) return;
      const c = byId(id);
      if (!c?.client) throw new Error("connection not found");
      // as the SDK: a params object and a fresh ArrayBuffer per notification, a typed view on top
      const params = { value: fromHex(hex), handle };
      const characteristic = c.client.findCharacteristicByHandle(params.handle);
      // (the RAM bench's apart mode runs the firmware's callback in the next delivery: apart.ts)
      if (characteristic) fireApart(c.client.ble.onCharacteristicNotification, c.client.ble, characteristic, typedBufferToValue(characteristic.type, params.value) as CharacteristicValue);
    });
    on("ble.value", (id: number, handle: number, hex: string) => {
      const ble = gate();
      if (!ble) return;
      const c = byId(id);
      if (!c?.client) return;
      const params = { value: fromHex(hex), handle };
      const characteristic = c.client.findCharacteristicByHandle(params.handle);
      if (characteristic) fire(c.client.ble.onCharacteristicValue, c.client.ble, characteristic, typedBufferToValue(characteristic.type, params.value) as CharacteristicValue);
    });
    on("ble.securityParametersEvent", () => {
      const ble = gate();
      if (!ble?.obj) return;
      const s = ble.security;
      fire(ble.obj.onSecurityParameters, ble.obj, { encryption: s.encryption, bonding: s.bonding, mitm: s.mitm });
    });
    // passkeyEvent: BLE_GAP_EVENT_PASSKEY_ACTION
    on("ble.passkeyAction", (id: number, action: "display" | "input" | "numcmp", numcmp: number) => {
      const ble = gate();
      if (!ble) return;
      const c = byId(id);
      if (!c) throw new Error("connection not found");
      const obj = ble.obj;
      if (!obj) return;
      const address = new Bytes(fromHex(c.wire));
      if (action === "display") {
        const passkey = 1 + (hostCall<number>("ble.random") % 999999); // (c_rand() % 999999) + 1
        fire(obj.onPasskeyDisplay, obj, { address, passkey });
        post("ble.passkeyInject", id, "display", passkey);
      } else if (action === "input") {
        if (ble.security.iocap === 2) return; // KeyboardOnly: "onPasskeyInput", which bleclient.js's callback drops
        const answer = fire(obj.onPasskeyRequested, obj, { address });
        post("ble.passkeyInject", id, "input", Math.trunc(Number(answer)) || 0); // xsmcToInteger(xsResult)
      } else {
        fire(obj.onPasskeyConfirm, obj, { address, passkey: numcmp });
      }
    });
    // encryptionChangeEvent: only a success with an encrypted link reaches JavaScript
    on("ble.encChange", (id: number, status: number, encrypted: boolean, bonded: boolean) => {
      const ble = gate();
      if (!ble?.obj) return;
      if (status !== 0 || !byId(id) || !encrypted) return;
      fire(ble.obj.onAuthenticated, ble.obj, { bonded });
    });
    // bondingRemovedEvent
    on("ble.bondingRemoved", (addressHex: string, addressType: number) => {
      const ble = gate();
      if (!ble?.obj) return;
      fire(ble.obj.onBondingDeleted, ble.obj, { address: new Bytes(fromHex(addressHex)), addressType });
    });
    on("ble.mtu", (id: number, mtu: number) => {
      const c = byId(id);
      if (!c) return;
      const ble = gate();
      if (!ble || !c.client) return;
      fire(c.client.ble.onMTUExchanged, c.client.ble, c.client, mtu);
    });
  }
}

/**
 * modBLESM.c deleteBonding: the first stored bond whose address and type match is deleted, and
 * modBLEClientBondingRemoved posts onBondingDeleted (nothing without a record; a closing record
 * only gives back a count). `address` undefined: deleteAllBondings, which deletes one bond and then
 * hands a NULL address to modBLEClientBondingRemoved's memmove: the ESP32 panics.
 */
export function deleteBond(address: ArrayBuffer | undefined, addressType: number): void {
  const wire = address ? toHex(new Uint8Array(address, 0, 6)) : undefined;
  const hit = hostCall<boolean>("ble.deleteBond", wire ?? null, addressType);
  if (!hit) return;
  if (!wire) { panic("SM.deleteAllBondings"); return; }
  const ble = gBLE;
  if (!ble) return;
  if (ble.closing) { down(ble); return; }
  post("ble.self", "ble.bondingRemoved", wire, addressType);
}

/** For tests of the double: the native record's state as the SDK would hold it. */
export function nativeState(): { record: boolean; useCount: number; scanning: boolean; closing: boolean; connections: number; platform: number } {
  return {
    record: !!gBLE, useCount: gBLE?.useCount ?? 0, scanning: gBLE?.scanning ?? false, closing: gBLE?.closing ?? false,
    connections: connections.length, platform: platformUseCount,
  };
}
