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
/** Fragments kept per table (JsonWriter.keep): the last few values of each. */
const FRAGMENTS_PER_TABLE = 4;
interface Fragments { keys: number[]; texts: string[]; next: number }

export class JsonWriter {
  readonly #parts: string[] = [];
  /** A value was written at the current level, so the next key or element needs a comma. */
  #needComma = false;
  // Made on first use, at run time: a Map made while a preloaded module loads is read-only on a device.
  #fragments: Map<object, Fragments> | undefined;
  #scratch: JsonWriter | undefined;

  /**
   * The JSON written since clear(), once: reading it ends the payload and lets go of the pieces (the
   * writer keeps nothing between payloads).
   */
  get text(): string {
    const text = concat.apply("", this.#parts) as string;
    this.clear();
    return text;
  }

  /** The JSON as UTF-8 bytes in an ArrayBuffer of exactly their length. */
  get payload(): ArrayBuffer { return utf8Bytes(this.text); }

  clear(): this {
    this.#parts.length = 0;
    this.#needComma = false;
    return this;
  }

  beginObject(): this { return this.open("{"); }
  endObject(): this { return this.close("}"); }
  beginArray(): this { return this.open("["); }
  endArray(): this { return this.close("]"); }

  /** `name` is an identifier-like constant of the caller (letters, digits, _): written unescaped. */
  key(name: string): this {
    this.#parts.push(this.#needComma ? ",\"" : "\"", name, "\":");
    this.#needComma = false;
    return this;
  }

  /** A number as JavaScript prints it (integers, mostly); null when not finite. */
  number(value: number): this {
    return this.value(Number.isFinite(value) ? String(value) : "null"); // JSON has no NaN or Infinity
  }

  /** A number rounded to `decimals` places and always printed with them. */
  fixed(value: number, decimals: number): this { return this.value(fixedText(value, decimals)); }

  /**
   * An integer count of units of 10^-decimals (1 to 3 places) as that decimal: 1560 with 2 places
   * prints 15.60, as fixed(1560 / 100, 2) does, in about half the compute (readings arrive as such
   * integers: 10 mV, 10 mA, 0.1 °C, mV).
   */
  scaled(value: number, decimals: 1 | 2 | 3): this { return this.value(decimalText(value, decimals)); }

  /** scaled(value, 3): millivolts as volts. */
  thousandths(value: number): this { return this.value(thousandthsText(value)); }

  /**
   * Members of the open object as one text (`"a":1,"b":2`, no leading comma), made by the caller
   * with one String.prototype.concat call: for payloads built every poll cycle, where a key() and
   * a value call per member cost XS several times the text's own making.
   */
  members(text: string): this {
    // a comparison, not .length: reading a property of a primitive string makes XS a wrapper object
    return text === "" ? this : this.value(text);
  }

  bool(value: boolean): this { return this.value(value ? "true" : "false"); }
  string(value: string): this { return this.value(JSON.stringify(value)); }
  null(): this { return this.value("null"); }

  /**
   * Fragments: JSON text that changes rarely, kept by the writer under (table, key) for the last
   * few keys of each table. cached() gives the kept text, if any; else the caller builds it in
   * fragment() and keeps it (keep returns the text).
   */
  cached(table: object, key: number): string | undefined {
    const kept = this.#fragments?.get(table);
    const at = kept ? kept.keys.indexOf(key) : -1;
    return at < 0 ? undefined : kept!.texts[at];
  }

  /** A second writer, cleared, for building a fragment while this one is mid-payload. */
  fragment(): JsonWriter { return (this.#scratch ??= new JsonWriter()).clear(); }

  keep(table: object, key: number, text: string): string {
    const fragments = this.#fragments ??= new Map();
    let kept = fragments.get(table);
    if (!kept) fragments.set(table, kept = { keys: [], texts: [], next: 0 });
    kept.keys[kept.next] = key;
    kept.texts[kept.next] = text;
    kept.next = (kept.next + 1) % FRAGMENTS_PER_TABLE;
    this.#scratch?.clear();
    return text;
  }

  /** Text that is already JSON (a nested encoding, kept by the caller). */
  raw(json: string): this { return this.value(json); }

  private value(json: string): this {
    if (this.#needComma) this.#parts.push(",", json);
    else this.#parts.push(json);
    this.#needComma = true;
    return this;
  }

  private open(bracket: string): this {
    if (this.#needComma) this.#parts.push(",", bracket);
    else this.#parts.push(bracket);
    this.#needComma = false;
    return this;
  }

  private close(bracket: string): this {
    this.#parts.push(bracket);
    this.#needComma = true;
    return this;
  }
}

/**
 * String.prototype.concat called on "" with numbers and strings: one string made by the engine, each
 * number as String() prints it (XS converts each argument once and allocates the result once).
 */
export const joinText = concat as unknown as { call(self: string, ...pieces: (string | number)[]): string };

/**
 * `[...]` of the first `count` values, each as decimalText(value, decimals) prints it. Integer arrays
 * only (readings: mV, 0.1 °C), so each is printed by toFixed without the int32 test, inline (a call
 * per element costs XS about as much as the text), eight or four elements to a joinText piece where
 * there are as many (the loop's own work per element is most of the rest).
 */
export function decimalArrayText(values: Int16Array | Uint16Array | Int32Array, count: number, decimals: 1 | 2 | 3): string {
  const scale = decimals === 1 ? 10 : decimals === 2 ? 100 : 1000;
  // each piece after the first begins with the comma before its first element
  let text = "[", i = 0;
  for (; i + 8 <= count; i += 8) {
    text = joinText.call(text, i === 0 ? "" : ",", toFixed.call(values[i] / scale, decimals), ",", toFixed.call(values[i + 1] / scale, decimals),
      ",", toFixed.call(values[i + 2] / scale, decimals), ",", toFixed.call(values[i + 3] / scale, decimals),
      ",", toFixed.call(values[i + 4] / scale, decimals), ",", toFixed.call(values[i + 5] / scale, decimals),
      ",", toFixed.call(values[i + 6] / scale, decimals), ",", toFixed.call(values[i + 7] / scale, decimals));
  }
  if (i + 4 <= count) {
    text = joinText.call(text, i === 0 ? "" : ",", toFixed.call(values[i] / scale, decimals), ",", toFixed.call(values[i + 1] / scale, decimals),
      ",", toFixed.call(values[i + 2] / scale, decimals), ",", toFixed.call(values[i + 3] / scale, decimals));
    i += 4;
  }
  for (; i < count; i++) text = joinText.call(text, i === 0 ? "" : ",", toFixed.call(values[i] / scale, decimals));
  return joinText.call(text, "]");
}

// An integer m below 2^52 divided by 10^k is within m * 2^-53 units of 10^-k of m / 10^k, far less
// than the half unit where toFixed(k) would round otherwise: the engine prints m's exact decimal
// (its own C code, about a third of the compute of building the text in JavaScript; checked
// against the digit arithmetic for every m within ±200,000 on XS: test/xs/core-on-xs.test.ts).
// Called on the function, not on the number: `x.toFixed()` makes XS a Number wrapper (2 slots).
// Exported for the per-cycle payloads, whose decoded fields are integers: `toFixed.call(m / 100, 2)`
// prints what hundredthsText(m) does, without the call (as much compute as the text, in XS).
export const toFixed = Number.prototype.toFixed as unknown as { call(value: number, digits: number): string };
const EXACT_LIMIT = 2 ** 52;

/** `value` rounded to `decimals` places, printed with them ("null" when not finite). */
export function fixedText(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return "null";
  const scale = 10 ** decimals;
  const scaled = Math.round(Math.abs(value) * scale);
  // the rounded integer's decimal, printed by the engine (see toFixed); no sign when it rounds to 0
  if (scaled < EXACT_LIMIT) return toFixed.call((value < 0 ? -scaled : scaled) / scale, decimals);
  const whole = Math.floor(scaled / scale);
  let text = value < 0 ? "-" + whole : String(whole);
  if (decimals > 0) {
    const fraction = scaled - whole * scale;
    text += ".";
    // leading zeros of the fraction, then its digits
    for (let zeros = decimals - 1, bound = 10; zeros > 0 && fraction < scale / bound; zeros--, bound *= 10) text += "0";
    text += fraction;
  }
  return text;
}

/**
 * An integer count of units of 10^-decimals as that decimal (1560, 2 → "15.60"; -5, 2 → "-0.05"),
 * as fixedText(value / 10^decimals, decimals) prints it.
 */
export function decimalText(value: number, decimals: 1 | 2 | 3): string {
  return decimals === 1 ? tenthsText(value) : decimals === 2 ? hundredthsText(value) : thousandthsText(value);
}

// One function per number of places. Anything but an int32 goes to fixedText.
export function tenthsText(value: number): string {
  return (value | 0) === value ? toFixed.call(value / 10, 1) : fixedText(value / 10, 1);
}

export function hundredthsText(value: number): string {
  return (value | 0) === value ? toFixed.call(value / 100, 2) : fixedText(value / 100, 2);
}

export function thousandthsText(value: number): string {
  return (value | 0) === value ? toFixed.call(value / 1000, 3) : fixedText(value / 1000, 3);
}

type FromString = (text: string) => ArrayBuffer;
type ArrayBufferOfXs = { fromString?: FromString };
type Encoder = { encode(text: string): Uint8Array };
// XS's own conversion where it exists (a device build; our XS setup supplies it), else TextEncoder.
// Called as a method: XS makes the result with `new this(length)`, so a detached call throws
// "new: not a constructor" (xsDataView.c fx_ArrayBuffer_fromString; it did, on the real build).
const XsArrayBuffer = ArrayBuffer as unknown as ArrayBufferOfXs;
// made on first use (elsewhere than XS): nothing is made at load time; a property, since a preloaded
// module's bindings are constants on the device
const made: { encoder?: Encoder } = {};

/** `text` as UTF-8 in an ArrayBuffer of exactly its length. */
export function utf8Bytes(text: string): ArrayBuffer {
  if (XsArrayBuffer.fromString) return XsArrayBuffer.fromString(text);
  made.encoder ??= new (globalThis as unknown as { TextEncoder: new () => Encoder }).TextEncoder();
  const bytes = made.encoder.encode(text);
  return bytes.buffer.byteLength === bytes.length ? bytes.buffer as ArrayBuffer : bytes.slice().buffer as ArrayBuffer;
}
