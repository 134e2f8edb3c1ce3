// Line input for a serial terminal, fed with received bytes. Pure: runs on XS and Node.
//
// Echo, backspace (BS or DEL) erases the last character (a whole UTF-8 sequence), CR, LF or CRLF
// end a line, Ctrl-C drops the line, Ctrl-U erases it, TAB counts as a space, ANSI escape sequences
// (arrows, function keys) are swallowed, except Up, which recalls the previous line. Bytes beyond
// the maximum line length are refused with a bell.

import { decodeUtf8 } from "./output";

export interface LineEditorHost {
  /** Echo these bytes to the terminal. */
  echo(bytes: Uint8Array, start: number, end: number): void;
  /** Echo control text (erasing, new line). */
  echoText(text: string): void;
  /** A complete line (without its ending). */
  line(text: string): void;
  /** The user pressed Ctrl-C; the editor already dropped the line. */
  interrupt(): void;
  /** A line dropped by discard() ended (its bytes were swallowed, nothing was run). */
  discarded?(): void;
}

const BEL = 0x07, BS = 0x08, TAB = 0x09, LF = 0x0a, CR = 0x0d, ESC = 0x1b, DEL = 0x7f;
const CTRL_C = 0x03, CTRL_U = 0x15;

// escape-sequence states
const ESC_NONE = 0, ESC_START = 1, ESC_CSI = 2, ESC_SS3 = 3;

export class LineEditor {
  readonly maxLength: number;
  readonly #host: LineEditorHost;
  readonly #buffer: Uint8Array;
  readonly #previous: Uint8Array;
  #length = 0;
  #previousLength = 0;
  #esc: number = ESC_NONE;
  #csiParam = false;
  #afterCR = false;
  /** Swallowing the rest of a damaged line, up to its end. */
  #discarding = false;
  readonly #one: Uint8Array;

  constructor(host: LineEditorHost, maxLength = 160) {
    this.#host = host;
    this.maxLength = maxLength;
    this.#buffer = new Uint8Array(maxLength);
    this.#previous = new Uint8Array(maxLength);
    this.#one = new Uint8Array(1);
  }

  /** Bytes typed so far on the current line. */
  get length(): number { return this.#length; }

  /** The current partial line, for redrawing it after asynchronous output. */
  pending(): Uint8Array { return this.#buffer.subarray(0, this.#length); }

  /** Forget the partial line (no echo). */
  clear(): void { this.#length = 0; }

  /** Drop the partial line and everything up to the next line end (input was lost in it). */
  discard(): void {
    this.#length = 0;
    this.#esc = ESC_NONE;
    this.#discarding = true;
  }

  get discarding(): boolean { return this.#discarding; }

  feed(data: Uint8Array | ArrayBuffer): void {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]);
  }

  private byte(b: number): void {
    const afterCR = this.#afterCR;
    this.#afterCR = false;

    if (this.#discarding) {
      if (b !== CR && b !== LF) return;
      this.#discarding = false;
      this.#afterCR = b === CR;
      this.#host.discarded?.();
      return;
    }
    if (this.#esc !== ESC_NONE) {
      this.escape(b);
      return;
    }
    if (b === CR || b === LF) {
      if (b === LF && afterCR) return; // CRLF: the CR already ended the line
      this.#afterCR = b === CR;
      this.end();
      return;
    }
    if (b === BS || b === DEL) { this.erase(); return; }
    if (b === ESC) { this.#esc = ESC_START; return; }
    if (b === CTRL_C) {
      this.#length = 0;
      this.#host.echoText("^C\r\n");
      this.#host.interrupt();
      return;
    }
    if (b === CTRL_U) { this.eraseAll(); return; }
    if (b === TAB) b = 0x20;
    if (b < 0x20) return; // other control characters
    if (this.#length >= this.maxLength) {
      this.bell();
      return;
    }
    this.#buffer[this.#length++] = b;
    this.#host.echo(this.#buffer, this.#length - 1, this.#length);
  }

  private escape(b: number): void {
    switch (this.#esc) {
      case ESC_START:
        if (b === 0x5b) { this.#esc = ESC_CSI; this.#csiParam = false; } // ESC [
        else if (b === 0x4f) this.#esc = ESC_SS3; // ESC O
        else this.#esc = ESC_NONE; // ESC x: two-byte sequence, swallowed
        return;
      case ESC_SS3:
        this.#esc = ESC_NONE;
        return;
      case ESC_CSI:
        if (b >= 0x40 && b <= 0x7e) { // final byte
          this.#esc = ESC_NONE;
          if (b === 0x41 && !this.#csiParam) this.recall(); // ESC [ A: Up
        } else if (b < 0x20 || b > 0x7e) {
          this.#esc = ESC_NONE; // not a valid sequence: give up on it
        } else {
          this.#csiParam = true;
        }
        return;
    }
  }

  private end(): void {
    const n = this.#length;
    this.#length = 0;
    this.#host.echoText("\r\n");
    if (n) {
      this.#previous.set(this.#buffer.subarray(0, n));
      this.#previousLength = n;
    }
    this.#host.line(decodeUtf8(this.#buffer, 0, n));
  }

  private erase(): void {
    if (!this.#length) {
      this.bell();
      return;
    }
    // drop continuation bytes, then the lead byte: one character on screen
    let n = this.#length - 1;
    while (n > 0 && (this.#buffer[n] & 0xc0) === 0x80) n--;
    this.#length = n;
    this.#host.echoText("\b \b");
  }

  private eraseAll(): void {
    let chars = 0;
    for (let i = 0; i < this.#length; i++) if ((this.#buffer[i] & 0xc0) !== 0x80) chars++;
    this.#length = 0;
    for (let i = 0; i < chars; i++) this.#host.echoText("\b \b");
  }

  private recall(): void {
    if (!this.#previousLength) return;
    this.eraseAll();
    this.#buffer.set(this.#previous.subarray(0, this.#previousLength));
    this.#length = this.#previousLength;
    this.#host.echo(this.#buffer, 0, this.#length);
  }

  private bell(): void {
    this.#one[0] = BEL;
    this.#host.echo(this.#one, 0, 1);
  }
}
