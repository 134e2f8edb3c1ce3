// JSON text builder for MQTT payloads and the decode CLI: publishing path only, never per frame.
// Written for XS, where the obvious ways are costly (measured: test/xs/payload-workload.ts):
// - appending to a string copies all of it each time (XS strings are immutable UTF-8): a 1 KB
//   payload of 150 pieces left ~70 KB of chunk garbage;
// - Array.prototype.join allocates about 2 slots per piece, JSON.stringify 2 per call, and reading
//   `.length` or calling a method on a primitive string makes a wrapper object (2 slots) each time;
// - writing bytes one by one in JavaScript costs ~100 compute units per byte.
// So pieces go into one reused array (keys and literals are the caller's constants, pushed as they
// are) and are concatenated once by the engine (String.prototype.concat over the array: no slot, one
// string). `payload` is that text as UTF-8 in an ArrayBuffer of its exact length, made by the engine
// too (ArrayBuffer.fromString on XS): what the SDK's mqtt publish sends as is (a string it would
// convert the same way itself). Numbers come out with fixed decimals computed from rounded
// integers, so 15.6 V prints as 15.60, never 15.600000000000001.

const concat = String.prototype.concat;

export class JsonWriter {
  readonly #parts: string[] = [];
  /** A value was written at the current level, so the next key or element needs a comma. */
  #needComma = false;

  /** The JSON written since clear(). */
  get text(): string {
    const parts = this.#parts;
    const text = concat.apply("", parts) as string;
    parts.length = 0; // only the joined text is kept
    parts.push(text);
    return text;
  }

  /** The JSON as UTF-8 bytes in an ArrayBuffer of exactly their length. */
  get payload(): ArrayBuffer { return utf8Bytes(this.text); }

  clear(): this {
    this.#parts.length = 0;
    this.#needComma = false;
    return this;
  }

  beginObject(): this { return this.#open("{"); }
  endObject(): this { return this.#close("}"); }
  beginArray(): this { return this.#open("["); }
  endArray(): this { return this.#close("]"); }

  /** `name` is an identifier-like constant of the caller (letters, digits, _): written unescaped. */
  key(name: string): this {
    this.#parts.push(this.#needComma ? ",\"" : "\"", name, "\":");
    this.#needComma = false;
    return this;
  }

  /** A number as JavaScript prints it (integers, mostly); null when not finite. */
  number(value: number): this {
    return this.#value(Number.isFinite(value) ? String(value) : "null");
  }

  /** A number rounded to `decimals` places and always printed with them. */
  fixed(value: number, decimals: number): this {
    if (!Number.isFinite(value)) return this.#value("null");
    const scale = 10 ** decimals;
    const scaled = Math.round(Math.abs(value) * scale);
    const whole = Math.floor(scaled / scale);
    const parts = this.#parts;
    if (this.#needComma) parts.push(",");
    if (value < 0 && scaled !== 0) parts.push("-");
    parts.push(String(whole));
    if (decimals > 0) {
      const fraction = scaled - whole * scale;
      parts.push(".");
      // leading zeros of the fraction, then its digits (no padStart: no string is made for it)
      for (let zeros = decimals - 1, bound = 10; zeros > 0 && fraction < scale / bound; zeros--, bound *= 10) parts.push("0");
      parts.push(String(fraction));
    }
    this.#needComma = true;
    return this;
  }

  /**
   * An integer count of thousandths as a decimal with 3 places (3909 mV -> 3.909): fixed(v / 1000, 3)
   * for values that are integers already, in about half the compute (cells are much of a state payload).
   */
  thousandths(value: number): this {
    if (!Number.isInteger(value)) return this.fixed(value / 1000, 3);
    const parts = this.#parts;
    if (this.#needComma) parts.push(",");
    if (value < 0) { parts.push("-"); value = -value; }
    const whole = Math.floor(value / 1000);
    const fraction = value - whole * 1000;
    parts.push(String(whole), fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".", String(fraction));
    this.#needComma = true;
    return this;
  }

  bool(value: boolean): this { return this.#value(value ? "true" : "false"); }
  string(value: string): this { return this.#value(JSON.stringify(value)); }
  null(): this { return this.#value("null"); }

  /** Text that is already JSON (a nested encoding, kept by the caller). */
  raw(json: string): this { return this.#value(json); }

  #value(json: string): this {
    if (this.#needComma) this.#parts.push(",", json);
    else this.#parts.push(json);
    this.#needComma = true;
    return this;
  }

  #open(bracket: string): this {
    if (this.#needComma) this.#parts.push(",", bracket);
    else this.#parts.push(bracket);
    this.#needComma = false;
    return this;
  }

  #close(bracket: string): this {
    this.#parts.push(bracket);
    this.#needComma = true;
    return this;
  }
}

type FromString = (text: string) => ArrayBuffer;
/** XS's own conversion where it exists (a device build; our XS setup supplies it), else TextEncoder. */
const fromString = (ArrayBuffer as unknown as { fromString?: FromString }).fromString;
const encoder = fromString ? undefined : new (globalThis as unknown as { TextEncoder: new () => { encode(t: string): Uint8Array } }).TextEncoder();

/** `text` as UTF-8 in an ArrayBuffer of exactly its length. */
export function utf8Bytes(text: string): ArrayBuffer {
  if (fromString) return fromString(text);
  const bytes = encoder!.encode(text);
  return bytes.buffer.byteLength === bytes.length ? bytes.buffer as ArrayBuffer : bytes.slice().buffer as ArrayBuffer;
}
