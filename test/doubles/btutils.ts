// Double of the Moddable "btutils" module: Bytes (an ArrayBuffer subclass stored little-endian,
// as the stack reports UUIDs and addresses), the uuid/address tagged templates and Advertisement.

function parseHex(text: string, reverse: boolean): Uint8Array {
  if (text.length & 1 || !/^[0-9a-fA-F]*$/.test(text)) throw new Error("bad data");
  const bytes = new Uint8Array(text.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.substr(i * 2, 2), 16);
  if (reverse) bytes.reverse();
  return bytes;
}

export class Bytes extends ArrayBuffer {
  constructor(source: string | ArrayBuffer, reverse = false) {
    const bytes = typeof source === "string" ? parseHex(source, reverse) : new Uint8Array(source.slice(0));
    super(bytes.length);
    new Uint8Array(this).set(bytes);
  }
  equals(other: ArrayBuffer): boolean {
    if (!(other instanceof ArrayBuffer) || other.byteLength !== this.byteLength) return false;
    const a = new Uint8Array(this), b = new Uint8Array(other);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  override toString(): string {
    const bytes = new Uint8Array(this).slice().reverse();
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase());
    return hex.join(bytes.length === 6 ? ":" : "");
  }
}

function template(strings: TemplateStringsArray, ...values: unknown[]): string {
  let text = strings[0];
  values.forEach((value, i) => { text += String(value) + strings[i + 1]; });
  return text;
}

export function uuid(strings: TemplateStringsArray, ...values: unknown[]): Bytes {
  return new Bytes(template(strings, ...values).replace(/-/g, ""), true);
}

export function address(strings: TemplateStringsArray, ...values: unknown[]): Bytes {
  return new Bytes(template(strings, ...values).replace(/:/g, ""), true);
}

/** One received advertising or scan-response packet. Getters return undefined when absent. */
export class Advertisement {
  readonly buffer: ArrayBuffer;
  constructor(buffer: ArrayBuffer) { this.buffer = buffer; }

  findIndex(type: number, start = 0): number {
    const data = new Uint8Array(this.buffer);
    for (let i = start; i + 1 < data.length;) {
      const length = data[i];
      if (!length) break;
      if (data[i + 1] === type) return i;
      i += length + 1;
    }
    return -1;
  }
  #field(type: number): Uint8Array | undefined {
    const index = this.findIndex(type);
    if (index < 0) return undefined;
    const data = new Uint8Array(this.buffer);
    return data.slice(index + 2, index + 1 + data[index]);
  }
  #text(type: number): string | undefined {
    const field = this.#field(type);
    return field ? String.fromCharCode(...field) : undefined;
  }
  #uuids(type: number): Bytes[] | undefined {
    const field = this.#field(type);
    if (!field) return undefined;
    const list: Bytes[] = [];
    for (let i = 0; i + 1 < field.length; i += 2) list.push(new Bytes(field.slice(i, i + 2).buffer));
    return list;
  }
  get flags(): number | undefined { return this.#field(0x01)?.[0]; }
  get incompleteUUID16List(): Bytes[] | undefined { return this.#uuids(0x02); }
  get completeUUID16List(): Bytes[] | undefined { return this.#uuids(0x03); }
  get shortName(): string | undefined { return this.#text(0x08); }
  get completeName(): string | undefined { return this.#text(0x09); }
  get manufacturerSpecific(): { identifier: number; data: Uint8Array } | undefined {
    const field = this.#field(0xff);
    return field && field.length >= 2 ? { identifier: field[0] | (field[1] << 8), data: field.slice(2) } : undefined;
  }
}
