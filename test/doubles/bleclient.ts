// Double of the Moddable "bleclient" module (NimBLE behaviour of SDK 8.2.3, per
// ../shared/moddable-platform.md §a). The radio and the BMS live on the host; this file keeps
// the SDK's object model and its sharp edges, because the firmware must survive them:
// - connect() never times out, a second connect() while one is pending is ignored, a failed
//   link-layer connect produces no callback at all;
// - each discovery call clears the earlier results, and notifications are routed by looking
//   the handle up in client.services[*].characteristics (wiped entries drop notifications);
// - writeWithoutResponse takes a whole ArrayBuffer only; there is no write completion;
// - readRSSI() calls onRSSI synchronously; close() on a gone connection throws;
// - one BLEClient at a time, and its close() frees the stack asynchronously.
import { Bytes, Advertisement } from "./btutils";
import { hostCall, on, post, toHex, fromHex } from "./runtime";

interface ServiceInfo { uuid: string; start: number; end: number }
interface CharacteristicInfo { uuid: string; handle: number; properties: number }

let instance: BLEClient | undefined;

export class Descriptor {
  constructor(readonly characteristic: Characteristic, readonly uuid: Bytes, readonly handle: number) {}
}

export class Characteristic {
  readonly descriptors: Descriptor[] = [];
  constructor(readonly service: Service, readonly uuid: Bytes, readonly handle: number, readonly properties: number) {}
  get connection(): number { return this.service.client.connection; }
  enableNotifications(): void { post("ble.notify", this.connection, this.handle, true); }
  disableNotifications(): void { post("ble.notify", this.connection, this.handle, false); }
  writeWithoutResponse(value: ArrayBuffer): void {
    if (!(value instanceof ArrayBuffer)) throw new TypeError("not an ArrayBuffer instance");
    post("ble.write", this.connection, this.handle, toHex(value));
  }
  readValue(_auth?: number): void { post("ble.read", this.connection, this.handle); }
}

export class Service {
  characteristics: Characteristic[] = [];
  constructor(readonly client: Client, readonly uuid: Bytes, readonly start: number, readonly end: number) {}
  discoverAllCharacteristics(): void { this.characteristics = []; post("ble.characteristics", this.client.connection, this.start, this.end, null); }
  discoverCharacteristic(uuid: Bytes): void { this.characteristics = []; post("ble.characteristics", this.client.connection, this.start, this.end, toHex(uuid)); }
  findCharacteristicByUUID(uuid: Bytes): Characteristic | undefined { return this.characteristics.find((c) => c.uuid.equals(uuid)); }
}

export class Client {
  services: Service[] = [];
  closed = false;
  constructor(readonly connection: number, readonly address: Bytes, readonly addressType: number) {}
  exchangeMTU(mtu: number): void {
    if (!(mtu >= 23 && mtu <= 517)) throw new RangeError("invalid mtu");
    post("ble.mtu", this.connection, mtu);
  }
  readRSSI(): void {
    const rssi = hostCall<number | null>("ble.rssi", this.connection);
    if (rssi !== null) instance?.onRSSI(this, rssi);
  }
  discoverPrimaryService(uuid: Bytes): void { this.services = []; post("ble.services", this.connection, toHex(uuid)); }
  discoverAllPrimaryServices(): void { this.services = []; post("ble.services", this.connection, null); }
  findServiceByUUID(uuid: Bytes): Service | undefined { return this.services.find((s) => s.uuid.equals(uuid)); }
  close(): void {
    if (this.closed) throw new Error("connection not found");
    post("ble.disconnect", this.connection);
  }
}

export type CharacteristicValue = ArrayBuffer | Uint8Array;

export interface ScanParams { active?: boolean; duplicates?: boolean; interval?: number; window?: number; filterPolicy?: number }
export interface DiscoveredDevice { address: Bytes; addressType: number; rssi: number; scanResponse: Advertisement }

// Characteristics a bleservices JSON gives a type get converted values (our manifest declares
// FF01/FFF1 notifications as Uint8Array); the host reads the same JSON files the build uses.
let typedCharacteristics: Record<string, string> | undefined;

function convert(uuid: Bytes, buffer: ArrayBuffer): ArrayBuffer | Uint8Array {
  typedCharacteristics ??= hostCall<Record<string, string>>("ble.types");
  const type = typedCharacteristics[toHex(uuid)];
  return type === "Uint8Array" ? new Uint8Array(buffer) : buffer;
}

export default class BLEClient {
  #connections = new Map<number, Client>();
  #scanning = false;
  #closed = false;

  constructor() {
    if (instance) throw new Error("BLE already initialized");
    if (!hostCall<boolean>("ble.init")) throw new Error("BLE already initialized");
    instance = this;
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

  startScanning(params: ScanParams = {}): void {
    this.#alive();
    if (this.#scanning) throw new Error("already scanning");
    this.#scanning = true;
    post("ble.scan", true, params.duplicates ?? true);
  }
  stopScanning(): void {
    this.#alive();
    this.#scanning = false;
    post("ble.scan", false, false);
  }
  connect(target: { address: ArrayBuffer; addressType?: number }): void {
    this.#alive();
    this.#scanning = false; // NimBLE stops scanning to connect
    post("ble.connect", toHex(target.address), target.addressType ?? 0);
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#scanning = false;
    instance = undefined;
    for (const client of this.#connections.values()) client.closed = true;
    this.#connections.clear();
    post("ble.close");
  }

  #alive(): void {
    if (this.#closed) throw new Error("instance closed");
  }

  // ---- host events, routed to the live instance ----
  static {
    const live = (): BLEClient | undefined => (instance && !instance.#closed ? instance : undefined);
    const client = (connection: number) => { const ble = live(); return ble ? ble.#connections.get(connection) : undefined; };
    on("ble.ready", () => live()?.onReady());
    on("ble.discovered", (addressHex: string, addressType: number, rssi: number, advHex: string) => {
      const ble = live();
      if (!ble || !ble.#scanning) return;
      ble.onDiscovered({ address: new Bytes(fromHex(addressHex)), addressType, rssi, scanResponse: new Advertisement(fromHex(advHex)) });
    });
    on("ble.connected", (connection: number, addressHex: string, addressType: number) => {
      const ble = live();
      if (!ble) return;
      const device = new Client(connection, new Bytes(fromHex(addressHex)), addressType);
      ble.#connections.set(connection, device);
      ble.onConnected(device);
    });
    on("ble.disconnected", (connection: number) => {
      const ble = live();
      const device = client(connection);
      if (!ble || !device) return;
      device.closed = true;
      ble.#connections.delete(connection);
      ble.onDisconnected(device);
    });
    on("ble.services", (connection: number, list: ServiceInfo[]) => {
      const device = client(connection);
      if (!device) return;
      device.services = list.map((s) => new Service(device, new Bytes(fromHex(s.uuid)), s.start, s.end));
      live()!.onServices(device.services);
    });
    on("ble.characteristics", (connection: number, start: number, list: CharacteristicInfo[]) => {
      const service = client(connection)?.services.find((s) => s.start === start);
      if (!service) return;
      service.characteristics = list.map((c) => new Characteristic(service, new Bytes(fromHex(c.uuid)), c.handle, c.properties));
      live()!.onCharacteristics(service.characteristics);
    });
    const findCharacteristic = (connection: number, handle: number) => {
      for (const service of client(connection)?.services ?? []) {
        for (const characteristic of service.characteristics) if (characteristic.handle === handle) return characteristic;
      }
      return undefined;
    };
    on("ble.notifyEnabled", (connection: number, handle: number, enabled: boolean) => {
      const characteristic = findCharacteristic(connection, handle);
      if (!characteristic) return;
      if (enabled) live()!.onCharacteristicNotificationEnabled(characteristic);
      else live()!.onCharacteristicNotificationDisabled(characteristic);
    });
    on("ble.notification", (connection: number, handle: number, hex: string) => {
      const characteristic = findCharacteristic(connection, handle);
      if (characteristic) live()!.onCharacteristicNotification(characteristic, convert(characteristic.uuid, fromHex(hex)));
    });
    on("ble.value", (connection: number, handle: number, hex: string) => {
      const characteristic = findCharacteristic(connection, handle);
      if (characteristic) live()!.onCharacteristicValue(characteristic, convert(characteristic.uuid, fromHex(hex)));
    });
    on("ble.mtu", (connection: number, mtu: number) => {
      const device = client(connection);
      if (device) live()!.onMTUExchanged(device, mtu);
    });
  }
}
