// One terminal shared by the device's serial console and the host's own lines (MQTT echo,
// [virtual] notes). The device's console redraws its prompt and the user's partial line after
// its own log lines; host lines must do the same, or they land in the middle of what is being
// typed. So the serial text since its last line break (prompt + echoed input, exactly as the
// device drew it) is kept, and a host line first erases it, then draws it again below itself.

export interface TerminalSink { write(text: string): void }

const MAX_TAIL = 4096;

export class SharedTerminal {
  /** Serial output since its last line break: what the device shows on the current line. */
  #tail = "";
  /** Bytes of serial output seen so far (lets a reader wait for output after a point). */
  serialLength = 0;
  /**
   * `erase`: the sink is a terminal that understands CR + erase-line; otherwise (a pipe, a file)
   * a host line just starts on a line of its own.
   */
  constructor(private readonly sink: TerminalSink, private readonly erase: boolean) {
    this.#eol = erase ? "\r\n" : "\n"; // CR LF whatever the terminal's output mode (raw or not)
  }

  readonly #eol: string;

  /** The current line as the device drew it (control bytes included). */
  get tail(): string { return this.#tail; }

  /** Text from the device's serial port, passed through unchanged. */
  serial(text: string): void {
    this.serialLength += text.length;
    const nl = text.lastIndexOf("\n");
    this.#tail = nl >= 0 ? text.slice(nl + 1) : this.#tail + text;
    if (this.#tail.length > MAX_TAIL) this.#tail = this.#tail.slice(-MAX_TAIL);
    this.sink.write(text);
  }

  /** One host line (no line break in it), kept apart from the device's current line. */
  line(text: string): void {
    if (!this.#tail) { this.sink.write(text + this.#eol); return; }
    // the bell that refused a key must not ring again on every redraw
    const redraw = this.#tail.replace(/\x07/g, "");
    this.sink.write((this.erase ? "\r\x1b[K" : "\n") + text + this.#eol + redraw);
  }

  /** The last line: the device's current line is not drawn again. */
  last(text: string): void {
    this.sink.write((this.#tail ? (this.erase ? "\r\x1b[K" : "\n") : "") + text + this.#eol);
    this.#tail = "";
  }
}
