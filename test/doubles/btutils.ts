// Double of the Moddable "btutils" module (btutils.js / btutils.c of SDK 8.2.3): Bytes (an
// ArrayBuffer subclass stored little-endian, as the stack reports UUIDs and addresses), the
// uuid/address tagged templates, Advertisement, and the bleservices value conversions.
import { nativeCall } from "./runtime";

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  throw new Error("bad data");
}

export class Bytes extends ArrayBuffer {
  constructor(bytes: string | ArrayBuffer, littleEndian?: boolean) {
    let byteLength: number;
    if (typeof bytes === "string") byteLength = bytes.length >> 1; // an odd last digit is ignored
    else if (bytes instanceof ArrayBuffer) byteLength = bytes.byteLength;
    else throw new Error("unsupported type");
    super(byteLength);
    this.set(bytes, littleEndian === true);
  }
  set(bytes: string | ArrayBuffer, reverse?: boolean): void { // native: xs_bytes_set
    nativeCall();
    const dst = new Uint8Array(this);
    if (typeof bytes === "string") {
      if (bytes.length >> 1 !== dst.length) throw new RangeError("invalid buffer size");
      for (let i = 0; i < dst.length; i++) {
        const byte = (hexDigit(bytes.charCodeAt(2 * i)) << 4) | hexDigit(bytes.charCodeAt(2 * i + 1));
        dst[reverse ? dst.length - 1 - i : i] = byte;
      }
      return;
    }
    if (!(bytes instanceof ArrayBuffer)) throw new TypeError("not an ArrayBuffer instance");
    if (bytes.byteLength !== dst.length) throw new RangeError("invalid buffer size");
    const src = new Uint8Array(bytes);
    for (let i = 0; i < src.length; i++) dst[i] = reverse ? src[src.length - 1 - i] : src[i];
  }
  equals(other: ArrayBuffer): boolean { // native: xs_bytes_equals
    nativeCall();
    if (!(other instanceof ArrayBuffer)) throw new TypeError("not an ArrayBuffer instance");
    if (other.byteLength !== this.byteLength) return false;
    const a = new Uint8Array(this), b = new Uint8Array(other);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  override toString(): string {
    const length = this.byteLength;
    if (length === 6) return reversedHex(new Uint8Array(this), ":");
    if (length === 16) {
      const b = new Uint8Array(this);
      return [b.slice(12, 16), b.slice(10, 12), b.slice(8, 10), b.slice(6, 8), b.slice(0, 6)].map((part) => reversedHex(part, "")).join("-");
    }
    return reversedHex(new Uint8Array(this), "");
  }
}
Object.freeze(Bytes.prototype);

const HEX = "0123456789ABCDEF";
function reversedHex(bytes: Uint8Array, delimiter: string): string {
  const parts: string[] = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[bytes.length - i - 1] = HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return parts.join(delimiter);
}

// Only the template's first literal counts: substitutions are ignored, as in the SDK.
export function uuid(strings: TemplateStringsArray, ..._values: unknown[]): Bytes {
  return new Bytes(strings[0].replaceAll("-", ""), true);
}

export function address(strings: TemplateStringsArray, ..._values: unknown[]): Bytes {
  return new Bytes(strings[0].replaceAll(":", ""), true);
}

/** One received advertising or scan-response packet. Getters return undefined when absent. */
export class Advertisement {
  readonly #buffer: ArrayBuffer;
  readonly #data: Uint8Array;
  constructor(buffer: ArrayBuffer) { this.#buffer = buffer; this.#data = new Uint8Array(buffer); }
  get buffer(): ArrayBuffer { return this.#buffer; }

  findIndex(type: number, index = 0): number {
    const data = this.#data;
    while (index < data.byteLength) {
      const adLength = data[index++];
      const adType = data[index++];
      if (type === adType) return index - 2;
      index += adLength - 1;
    }
    return -1;
  }
  #string(index: number): string {
    const start = index + 2, end = start + this.#data[index] - 1;
    return utf8(new Uint8Array(this.#buffer.slice(start, end)));
  }
  #uuid16List(index: number): Bytes[] {
    const count = (this.#data[index] - 1) / 2;
    const list: Bytes[] = new Array(count); // a malformed odd length throws RangeError, as in XS
    for (let i = 0, start = index + 2; i < count; i++, start += 2) list[i] = new Bytes(this.#buffer.slice(start, start + 2));
    return list;
  }
  get appearance(): number | undefined {
    const index = this.findIndex(0x19);
    if (index !== -1) return this.#data[index + 2] | (this.#data[index + 3] << 8);
    return undefined;
  }
  get flags(): number | undefined {
    const index = this.findIndex(0x01);
    return index !== -1 ? this.#data[index + 2] : undefined;
  }
  get incompleteUUID16List(): Bytes[] | undefined {
    const index = this.findIndex(0x02);
    return index !== -1 ? this.#uuid16List(index) : undefined;
  }
  get completeUUID16List(): Bytes[] | undefined {
    const index = this.findIndex(0x03);
    return index !== -1 ? this.#uuid16List(index) : undefined;
  }
  get shortName(): string | undefined {
    const index = this.findIndex(0x08);
    return index !== -1 ? this.#string(index) : undefined;
  }
  get completeName(): string | undefined {
    const index = this.findIndex(0x09);
    return index !== -1 ? this.#string(index) : undefined;
  }
  get manufacturerSpecific(): { identifier: number; data: Uint8Array } | undefined {
    const index = this.findIndex(0xff);
    if (index === -1) return undefined;
    const data = this.#data, start = index + 2, end = start + data[index] - 1;
    return { identifier: data[start] | (data[start + 1] << 8), data: data.slice(start + 2, end) };
  }
}
Object.freeze(Advertisement.prototype);

/** String.fromArrayBuffer (UTF-8), without Node or XS extensions. */
function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

// bleservices "type" conversions (btutils.js typedBufferToValue / typedValueToBuffer).
export function typedBufferToValue(type: string | undefined, buffer: ArrayBuffer): unknown {
  switch (type) {
    case "Uint8Array": case "Array": return new Uint8Array(buffer);
    case "Int8Array": return new Int8Array(buffer);
    case "Int16Array": return new Int16Array(buffer);
    case "Uint16Array": return new Uint16Array(buffer);
    case "String": return utf8(new Uint8Array(buffer));
    case "Uint8": return new Uint8Array(buffer)[0] & 0xff;
    case "Int16": return new DataView(buffer).getInt16(0, true);
    case "Uint16": return new DataView(buffer).getUint16(0, true);
    case "Uint32": return new DataView(buffer).getUint32(0, true);
    default: return buffer;
  }
}

export function typedValueToBuffer(type: string | undefined, value: unknown): unknown {
  switch (type) {
    case "Uint8Array": case "Int8Array": case "Int16Array": case "Uint16Array": return (value as Uint8Array).buffer;
    case "Array": return new Uint8Array(value as number[]).buffer;
    case "String": return new TextEncoder().encode(value as string).buffer;
    case "Uint8": return Uint8Array.of((value as number) & 0xff).buffer;
    case "Int16": case "Uint16": return Uint8Array.of((value as number) & 0xff, ((value as number) >> 8) & 0xff).buffer;
    case "Uint32": { const v = value as number; return Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff).buffer; }
    default: return value;
  }
}
