// JSON text builder for MQTT payloads and the decode CLI: publishing path only, never per frame.
// Pieces are collected in one reused array and joined once: XS strings are immutable UTF-8, so
// appending to a string copies all of it each time (a 1 KB payload made of 150 pieces left ~70 KB
// of chunk garbage), while per-byte writing in JavaScript costs ~100 XS compute units per byte.
// Keys and literals are the caller's string constants, pushed as they are (no copy); string values
// go through the engine's JSON.stringify. Numbers come out with fixed decimals computed from
// rounded integers, so 15.6 V prints as 15.60, never 15.600000000000001.

export class JsonWriter {
  readonly #parts: string[] = [];
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
    const parts = this.#parts;
    parts.push(this.#needComma ? ",\"" : "\"", name, "\":");
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
      for (let digits = decimals - 1, bound = 10; digits > 0 && fraction < scale / bound; digits--, bound *= 10) parts.push("0");
      parts.push(String(fraction));
    }
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
