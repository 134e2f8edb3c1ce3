// Append-only JSON text builder for MQTT payloads and the decode CLI. Builds strings: publishing
// path only, never per frame. Commas are placed automatically; numbers come out with fixed decimals
// computed from rounded integers, so 15.6 V prints as 15.60, never 15.600000000000001.

export class JsonWriter {
  #text = "";
  /** A value was written at the current level, so the next key or element needs a comma. */
  #needComma = false;

  get text(): string { return this.#text; }

  clear(): this {
    this.#text = "";
    this.#needComma = false;
    return this;
  }

  beginObject(): this { return this.#open("{"); }
  endObject(): this { return this.#close("}"); }
  beginArray(): this { return this.#open("["); }
  endArray(): this { return this.#close("]"); }

  key(name: string): this {
    if (this.#needComma) this.#text += ",";
    this.#text += JSON.stringify(name) + ":";
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
    let text = (value < 0 && scaled !== 0 ? "-" : "") + whole;
    if (decimals > 0) text += "." + String(scaled - whole * scale).padStart(decimals, "0");
    return this.#value(text);
  }

  bool(value: boolean): this { return this.#value(value ? "true" : "false"); }
  string(value: string): this { return this.#value(JSON.stringify(value)); }
  null(): this { return this.#value("null"); }

  /** Text that is already JSON (a nested encoding). */
  raw(json: string): this { return this.#value(json); }

  #value(json: string): this {
    if (this.#needComma) this.#text += ",";
    this.#text += json;
    this.#needComma = true;
    return this;
  }

  #open(bracket: string): this {
    if (this.#needComma) this.#text += ",";
    this.#text += bracket;
    this.#needComma = false;
    return this;
  }

  #close(bracket: string): this {
    this.#text += bracket;
    this.#needComma = true;
    return this;
  }
}
