// JSON text builder for MQTT payloads and the decode CLI: publishing path only, never per frame.
// Pieces are collected in one reused array and joined once: XS strings are immutable UTF-8, so
// appending to a string copies all of it each time (a 1 KB payload made of 150 pieces left ~70 KB
// of chunk garbage), while per-byte writing in JavaScript costs ~100 XS compute units per byte.
// Keys and literals are the caller's string constants, pushed as they are (no copy); string values
// go through the engine's JSON.stringify. Numbers come out with fixed decimals computed from
// rounded integers, so 15.6 V prints as 15.60, never 15.600000000000001.

export class JsonWriter {
  readonly #parts: string[] = [];
  /** UTF-8 bytes written since clear(): what the MQTT packet needs, without scanning the text again. */
  #bytes = 0;
  /** A value was written at the current level, so the next key or element needs a comma. */
  #needComma = false;

  /** The JSON written since clear(). The pieces are let go (only the joined text is kept). */
  get text(): string {
    const parts = this.#parts;
    const text = parts.length === 1 ? parts[0] : parts.join("");
    parts.length = 1;
    parts[0] = text;
    return text;
  }

  /** UTF-8 length of `text`. */
  get byteLength(): number { return this.#bytes; }

  clear(): this {
    this.#parts.length = 0;
    this.#bytes = 0;
    this.#needComma = false;
    return this;
  }

  beginObject(): this { return this.#open("{"); }
  endObject(): this { return this.#close("}"); }
  beginArray(): this { return this.#open("["); }
  endArray(): this { return this.#close("]"); }

  /** `name` is an identifier-like constant of the caller (letters, digits, _): written unescaped. */
  key(name: string): this {
    const parts = this.#parts;
    parts.push(this.#needComma ? ",\"" : "\"", name, "\":");
    this.#bytes += name.length + (this.#needComma ? 4 : 3);
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
    const digits = String(whole);
    parts.push(digits);
    this.#bytes += (this.#needComma ? 1 : 0) + (value < 0 && scaled !== 0 ? 1 : 0) + digits.length;
    if (decimals > 0) {
      const fraction = scaled - whole * scale;
      parts.push(".");
      // leading zeros of the fraction, then its digits (no padStart: no string is made for it)
      for (let zeros = decimals - 1, bound = 10; zeros > 0 && fraction < scale / bound; zeros--, bound *= 10) parts.push("0");
      parts.push(String(fraction));
      this.#bytes += 1 + decimals;
    }
    this.#needComma = true;
    return this;
  }

  bool(value: boolean): this { return this.#value(value ? "true" : "false"); }
  string(value: string): this { return this.#value(JSON.stringify(value), true); }
  null(): this { return this.#value("null"); }

  /** Text that is already JSON (a nested encoding, kept by the caller). */
  raw(json: string): this { return this.#value(json, true); }

  /** `mayBeWide`: may hold non-ASCII (string values, raw JSON); literals and digits are ASCII. */
  #value(json: string, mayBeWide = false): this {
    if (this.#needComma) this.#parts.push(",", json);
    else this.#parts.push(json);
    this.#bytes += (this.#needComma ? 1 : 0) + (mayBeWide ? utf8Length(json) : json.length);
    this.#needComma = true;
    return this;
  }

  #open(bracket: string): this {
    if (this.#needComma) this.#parts.push(",", bracket);
    else this.#parts.push(bracket);
    this.#bytes += this.#needComma ? 2 : 1;
    this.#needComma = false;
    return this;
  }

  #close(bracket: string): this {
    this.#parts.push(bracket);
    this.#bytes++;
    this.#needComma = true;
    return this;
  }
}

/** Bytes of the UTF-8 encoding (XS strings index by code point, Node by UTF-16 unit: works on both). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp < 0x80) n += 1;
    else if (cp < 0x800) n += 2;
    else if (cp < 0x10000) n += 3;
    else {
      n += 4;
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++; // UTF-16 engines: skip the low surrogate
    }
  }
  return n;
}
