// Our own declarations (not the SDK typings) for the Moddable SDK 8.2.3 classic BLE GATT client,
// written from observed runtime behaviour as recorded in /work/shared/moddable-platform.md §a.
// Differences from the SDK's .d.ts are deliberate: they follow what the runtime actually passes.

declare module "bleclient" {
  import type { Bytes, Advertisement } from "btutils";

  /** Anything connect() accepts: a discovered device or `{address, addressType}` built from a stored MAC. */
  export interface ConnectTarget {
    /** 6 bytes, little-endian (as reported by the stack / built with `address` or `new Bytes(hex, true)`). */
    readonly address: ArrayBuffer;
    /** GAP.AddressType.* (PUBLIC 0, RANDOM 1, RPA_PUBLIC 2, RPA_RANDOM 3). */
    readonly addressType: number;
  }

  /** What onDiscovered receives: a plain object, not a Client. One call per received packet. */
  export interface DiscoveredDevice extends ConnectTarget {
    readonly address: Bytes;
    readonly rssi: number;
    /** The raw bytes of ONE packet (advertising data or scan response, never both). */
    readonly scanResponse: Advertisement;
  }

  /** startScanning() options; every field is optional at runtime. */
  export interface ScanParams {
    /** default true */
    active?: boolean;
    /** default true: every advertising packet is reported; pass false when hunting for one device. */
    duplicates?: boolean;
    /** units of 0.625 ms, default 0x50 */
    interval?: number;
    /** units of 0.625 ms, default 0x30 */
    window?: number;
    /** GAP.ScanFilterPolicy.*, default NONE */
    filterPolicy?: number;
  }

  /** Only assign securityParameters when a BMS needs pairing: assigning it at all turns encryption on. */
  export interface SecurityParameters {
    /** default true once the property is assigned */
    encryption?: boolean;
    bonding?: boolean;
    mitm?: boolean;
    /** sm IOCapability.* */
    ioCapability?: number;
  }

  /** GATT client of one connection (onConnected). Never constructed by the app. */
  export interface Client {
    readonly connection: number;
    readonly address: Bytes;
    readonly addressType: number;
    /** Cleared by every discoverPrimaryService/discoverAllPrimaryServices call. */
    readonly services: Service[];
    /** RangeError "invalid mtu" when out of range; onMTUExchanged only on success. */
    exchangeMTU(mtu: number): void;
    /** NimBLE: onRSSI is called synchronously inside this call. */
    readRSSI(): void;
    discoverPrimaryService(uuid: ArrayBuffer): void;
    discoverAllPrimaryServices(): void;
    findServiceByUUID(uuid: ArrayBuffer): Service | undefined;
    /** NimBLE: throws "connection not found" when the link is already gone. */
    close(): void;
  }

  export interface Service {
    readonly uuid: Bytes;
    readonly start: number;
    readonly end: number;
    /** Cleared by every discoverCharacteristic/discoverAllCharacteristics call. */
    readonly characteristics: Characteristic[];
    discoverCharacteristic(uuid: ArrayBuffer): void;
    discoverAllCharacteristics(): void;
    findCharacteristicByUUID(uuid: ArrayBuffer): Characteristic | undefined;
  }

  export interface Characteristic {
    readonly uuid: Bytes;
    /** value handle */
    readonly handle: number;
    /** bits: read 2, writeWithoutResponse 4, write 8, notify 16, indicate 32 */
    readonly properties: number;
    readonly service: Service;
    /** Only when a bleservices JSON describes this characteristic. */
    readonly name?: string;
    /** Only when a bleservices JSON describes this characteristic ("Uint8Array", "String", ...). */
    readonly type?: string;
    readonly descriptors: Descriptor[];
    /** Results go to onDescriptors, which the app MUST then define (the base class has none). */
    discoverAllDescriptors(): void;
    /** Writes 0x0001 to handle+1; onCharacteristicNotificationEnabled on success, nothing on failure. */
    enableNotifications(): void;
    disableNotifications(): void;
    /** onCharacteristicValue on success, nothing on failure. */
    readValue(auth?: number): void;
    /**
     * ATT Write Command, no completion callback. The value must be an exactly-sized ArrayBuffer
     * (a Uint8Array throws TypeError) unless a bleservices JSON gives this characteristic a type.
     */
    writeWithoutResponse(value: ArrayBuffer): void;
  }

  export interface Descriptor {
    readonly uuid: Bytes;
    readonly handle: number;
    readonly characteristic: Characteristic;
    readonly name?: string;
    readonly type?: string;
    readValue(auth?: number): void;
    /** NimBLE sends this as a Write Command too, and never calls onDescriptorWritten. */
    writeValue(value: ArrayBuffer): void;
    writeWithoutResponse(value: ArrayBuffer): void;
  }

  export interface DisconnectInfo {
    readonly connection: number;
    readonly address: Bytes;
    readonly addressType: number;
  }

  export interface PasskeyInfo {
    readonly address: Bytes;
    readonly passkey: number;
  }

  /** Notification/read values: ArrayBuffer, or Uint8Array for characteristics typed so in bleservices/. */
  export type CharacteristicValue = ArrayBuffer | Uint8Array;

  /**
   * One instance at a time: the constructor throws "BLE already initialized" while the SDK's record
   * exists. The record is use-counted (this instance, a running scan, every pending connect; a
   * failed connect never gives its count back) and freed only at 0, so after close() it may live on
   * for as long as a connect is pending (possibly forever). A NimBLE host reset frees it silently.
   * Subclass it and override the callbacks; the base class has empty ones. Every callback runs on the
   * JS thread; an exception escaping a callback reboots the ESP32.
   */
  export default class BLEClient {
    constructor();
    /**
     * Stops scanning and gives back this instance's count. Frees nothing while a connect is pending,
     * and does not end it; when the record is freed its links end with no callback.
     */
    close(): void;
    /**
     * Throws "already scanning" while the SDK's flag is set (connect() during a scan leaves it set).
     * On a freed or closing record it dereferences NULL: the ESP32 panics. NimBLE silently refuses to
     * scan while a connect is pending.
     */
    startScanning(params?: ScanParams): void;
    /** "unknown instance" when the record is gone, "instance closed" while it closes; else harmless. */
    stopScanning(): void;
    /**
     * NimBLE: no timeout and no cancel, ignored while another connect is pending and on a closed
     * record, and a failed attempt produces no callback at all. Cancels a running scan but leaves the
     * scanning flag set (call stopScanning() first). Pass the address type the scan reported.
     */
    connect(target: ConnectTarget): void;
    /** Assigning (even `{}`) enables encryption and makes NimBLE pair on connect. */
    set securityParameters(params: SecurityParameters);
    passkeyReply(address: ArrayBuffer, result: boolean | number): void;

    onReady(): void;
    onDiscovered(device: DiscoveredDevice): void;
    onConnected(device: Client): void;
    /**
     * NimBLE: the same Client object onConnected received (its services are dead afterwards).
     * Other paths (Bluedroid failed open) pass a plain {address, addressType, connection}.
     */
    onDisconnected(device: Client | DisconnectInfo): void;
    onServices(services: Service[]): void;
    onCharacteristics(characteristics: Characteristic[]): void;
    onDescriptors?(descriptors: Descriptor[]): void;
    onCharacteristicNotificationEnabled(characteristic: Characteristic): void;
    onCharacteristicNotificationDisabled(characteristic: Characteristic): void;
    /** One notification (or indication); a fresh buffer each call. */
    onCharacteristicNotification(characteristic: Characteristic, value: CharacteristicValue): void;
    onCharacteristicValue(characteristic: Characteristic, value: CharacteristicValue): void;
    onDescriptorValue(descriptor: Descriptor, value: ArrayBuffer | Uint8Array): void;
    onDescriptorWritten(descriptor: Descriptor): void;
    onMTUExchanged(device: Client, mtu: number): void;
    onRSSI(device: Client, rssi: number): void;
    onSecurityParameters(params: object): void;
    // Pairing callbacks (only after securityParameters was assigned). Depending on the stack path the
    // first argument is the Client or a plain params object.
    onAuthenticated(device: Client | { bonded: boolean }): void;
    onPasskeyConfirm(device: Client | PasskeyInfo, params?: PasskeyInfo): void;
    onPasskeyDisplay(device: Client | PasskeyInfo, params?: PasskeyInfo): void;
    onPasskeyRequested(device: Client | { address: Bytes }, params?: { address: Bytes }): number | void;
    onBondingDeleted(params: { address: Bytes; addressType: number }): void;
  }
}
