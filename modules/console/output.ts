// Where command handlers and the logger write. Pure: runs unchanged on XS and Node.
//
// - Output: the tiny interface handlers get.
// - ByteQueue: the bounded transmit queue of the serial console. Writing never blocks and never
//   throws: text that does not fit is dropped whole and counted.
// - CaptureOutput: collects a command's answer as text with a size limit (MQTT console topic).
//
// Nothing here allocates at module level (preloaded modules freeze typed arrays made at load time).
import { utf8Length } from "../config/schema";

export { utf8Length };

/** What a command handler writes to. */
export interface Output {
  /** Text as is (no line ending added). */
  write(text: string): void;
  /** Text followed by the line ending of this output ("\r\n" on the serial console, "\n" captured). */
  line(text?: string): void;
}


/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`. */
export function utf8Prefix(text: string, maxBytes: number): string {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n + size > maxBytes) return text.slice(0, i);
    n += size;
    if (size === 4) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return text;
}

/** UTF-8 bytes to a string; malformed sequences become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = "";
  let i = start;
  while (i < end) {
    const b = bytes[i++];
    let cp = 0xfffd;
    let need = 0;
    if (b < 0x80) cp = b;
    else if (b >= 0xc2 && b < 0xe0) { cp = b & 0x1f; need = 1; }
    else if (b >= 0xe0 && b < 0xf0) { cp = b & 0x0f; need = 2; }
    else if (b >= 0xf0 && b < 0xf5) { cp = b & 0x07; need = 3; }
    let ok = true;
    for (let k = 0; k < need; k++) {
      if (i >= end || (bytes[i] & 0xc0) !== 0x80) { ok = false; break; }
      cp = (cp << 6) | (bytes[i++] & 0x3f);
    }
    if (!ok || (need === 2 && cp < 0x800) || (need === 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** Bounded FIFO of bytes (a ring). */
export class ByteQueue {
  readonly capacity: number;
  readonly #ring: Uint8Array;
  #head = 0; // next byte to read
  #size = 0;
  /** Bytes dropped because the queue was full. */
  droppedBytes = 0;
  /** Writes dropped (whole) because the queue was full. */
  droppedWrites = 0;

  constructor(capacity = 2048) {
    this.capacity = capacity;
    this.#ring = new Uint8Array(capacity);
  }

  get length(): number { return this.#size; }
  get free(): number { return this.capacity - this.#size; }

  /** Queue the UTF-8 bytes of `text`; false (and counted) when it does not fit. */
  pushText(text: string): boolean {
    const n = utf8Length(text);
    if (n > this.capacity - this.#size) {
      this.droppedBytes += n;
      this.droppedWrites++;
      return false;
    }
    for (let i = 0; i < text.length; i++) {
      let cp = text.codePointAt(i)!;
      if (cp < 0x80) this.put(cp);
      else if (cp < 0x800) { this.put(0xc0 | (cp >> 6)); this.put(0x80 | (cp & 0x3f)); }
      else if (cp < 0x10000) {
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate
        this.put(0xe0 | (cp >> 12)); this.put(0x80 | ((cp >> 6) & 0x3f)); this.put(0x80 | (cp & 0x3f));
      } else {
        this.put(0xf0 | (cp >> 18)); this.put(0x80 | ((cp >> 12) & 0x3f)); this.put(0x80 | ((cp >> 6) & 0x3f)); this.put(0x80 | (cp & 0x3f));
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
    }
    return true;
  }

  /** Queue raw bytes; false (and counted) when they do not fit. */
  pushBytes(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    const n = end - start;
    if (n > this.capacity - this.#size) {
      this.droppedBytes += n;
      this.droppedWrites++;
      return false;
    }
    for (let i = start; i < end; i++) this.put(bytes[i]);
    return true;
  }

  pushByte(byte: number): boolean {
    if (this.#size >= this.capacity) {
      this.droppedBytes++;
      this.droppedWrites++;
      return false;
    }
    this.put(byte);
    return true;
  }

  /** A view of up to `max` queued bytes that are contiguous in the ring (call consume() after use). */
  peek(max: number): Uint8Array {
    let n = this.#size;
    if (n > max) n = max;
    const toEnd = this.capacity - this.#head;
    if (n > toEnd) n = toEnd;
    return this.#ring.subarray(this.#head, this.#head + n);
  }

  consume(n: number): void {
    if (n > this.#size) n = this.#size;
    this.#head = (this.#head + n) % this.capacity;
    this.#size -= n;
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }

  private put(byte: number): void {
    this.#ring[(this.#head + this.#size) % this.capacity] = byte;
    this.#size++;
  }
}

export const TRUNCATED = "…(truncated)";

/**
 * Collects output as text, up to `limit` UTF-8 bytes; the rest is cut and text() ends with
 * "…(truncated)". For answering console commands over MQTT.
 */
export class CaptureOutput implements Output {
  readonly limit: number;
  #text = "";
  #bytes = 0;
  truncated = false;

  constructor(limit = 2048) {
    this.limit = limit;
  }

  write(text: string): void {
    if (this.truncated || !text) return;
    const n = utf8Length(text);
    if (this.#bytes + n <= this.limit) {
      this.#text += text;
      this.#bytes += n;
      return;
    }
    const part = utf8Prefix(text, this.limit - this.#bytes);
    this.#text += part;
    this.#bytes += utf8Length(part);
    this.truncated = true;
  }

  line(text = ""): void {
    this.write(text + "\n");
  }

  /** Everything written so far (ends with "…(truncated)" when the limit was hit). */
  text(): string {
    return this.truncated ? this.#text + TRUNCATED : this.#text;
  }
}
