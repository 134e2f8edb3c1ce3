// Standard input that is not a terminal (`printf 'status\n' | npm start`, a file, a script):
// its lines are typed at the device's console one at a time, as a person at a serial terminal
// would: the first once the boot has settled (the prompt shown and no output for `settleMs`, or
// `maxSettleMs` after the first prompt at most),
// each next one once the console shows its prompt again (so an asynchronous command such as
// `scan` finishes before the next line, and nothing is refused as "busy"). When the input has
// ended and its last line has been answered, `onDone` runs after a short linger for output that
// comes later (the MQTT echo of a result).

export interface PipedConsoleOptions {
  /** The console's prompt, exactly as the device prints it. */
  prompt: string;
  /** The device's current line (serial output since its last line break). */
  tail(): string;
  /** Type text at the device's console. */
  type(text: string): void;
  onDone(): void;
  /** After the last answer, wait this long (ms) before onDone. */
  lingerMs: number;
  /** A line whose answer never ends (no prompt) is given up after this long (ms). */
  maxWaitMs: number;
  /** Before the first line: this long (ms) without serial output, the prompt showing... */
  settleMs: number;
  /** ...or at most this long (ms) after the prompt first showed (a console that never goes quiet). */
  maxSettleMs: number;
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Below the console's line limit (160 bytes) and the 128-byte serial FIFO. */
const MAX_EXACT_ECHO = 120;

export class PipedConsole {
  readonly #o: PipedConsoleOptions;
  readonly #lines: string[] = [];
  #partial = "";
  #ended = false;
  /** A line was typed and its answer is not finished yet. */
  #answering = false;
  /** The device has echoed the line being answered (so what follows is its answer). */
  #lineEnded = false;
  /** What the echo of that line looks like, and the serial text since it was typed. */
  #echo = "";
  #since = "";
  #giveUp: unknown;
  #linger: unknown;
  #done = false;
  #settled = false;
  #lastOutputAt: number;
  #settleTimer: unknown;
  #firstPromptAt: number | undefined;
  /** Lines typed so far. */
  typed = 0;

  constructor(options: PipedConsoleOptions) {
    this.#o = options;
    this.#lastOutputAt = options.now();
  }

  /** Text read from standard input. */
  push(text: string): void {
    if (this.#ended) return;
    const parts = (this.#partial + text).split(/\r?\n/);
    this.#partial = parts.pop()!;
    this.#lines.push(...parts);
    this.#next();
  }

  /** Standard input ended (a last line without a line break still counts). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#partial) this.#lines.push(this.#partial);
    this.#partial = "";
    this.#next();
  }

  /** Call after each piece of serial output. */
  serial(text: string): void {
    this.#lastOutputAt = this.#o.now();
    if (this.#answering && !this.#lineEnded) {
      // output queued before the line was typed may still come first (a log line redrawing the
      // prompt): the answer starts only after the line's own echo
      this.#since += text;
      if (this.#since.includes(this.#echo)) { this.#lineEnded = true; this.#since = ""; }
      else if (this.#since.length > 8192) this.#since = this.#since.slice(-this.#echo.length);
    }
    this.#next();
  }

  #idle(): boolean {
    if (this.#answering && !this.#lineEnded) return false;
    return this.#o.tail() === this.#o.prompt;
  }

  #next(force = false): void {
    if (this.#done) return;
    if (this.#answering && !force) {
      if (!this.#idle()) return;
      this.#answered();
    }
    if (!force && !this.#idle()) return; // booting, or output still arriving
    if (!this.#settled) {
      const now = this.#o.now();
      this.#firstPromptAt ??= now;
      const quiet = now - this.#lastOutputAt, waited = now - this.#firstPromptAt;
      if (quiet < this.#o.settleMs && waited < this.#o.maxSettleMs) {
        if (this.#settleTimer !== undefined) this.#o.clearTimer(this.#settleTimer);
        this.#settleTimer = this.#o.setTimer(() => { this.#settleTimer = undefined; this.#next(); },
          Math.min(this.#o.settleMs - quiet, this.#o.maxSettleMs - waited));
        return;
      }
      this.#settled = true;
    }
    const line = this.#lines.shift();
    if (line !== undefined) {
      this.#clearLinger();
      this.#answering = true;
      this.#lineEnded = false;
      this.#since = "";
      // the line editor echoes printable text (TAB as a space) and ends the line with CR LF
      const echo = line.replace(/\t/g, " ").replace(/[\x00-\x1f\x7f]/g, "");
      // a line longer than the editor takes is echoed only in part: then any line break will do
      this.#echo = new TextEncoder().encode(echo).length <= MAX_EXACT_ECHO ? echo + "\r\n" : "\n";
      this.typed++;
      this.#giveUp = this.#o.setTimer(() => { this.#answered(); this.#next(true); }, this.#o.maxWaitMs);
      this.#o.type(line + "\r");
      return;
    }
    if (this.#ended && this.#linger === undefined) {
      this.#linger = this.#o.setTimer(() => { this.#done = true; this.#o.onDone(); }, this.#o.lingerMs);
    }
  }

  #answered(): void {
    this.#answering = false;
    if (this.#giveUp !== undefined) this.#o.clearTimer(this.#giveUp);
    this.#giveUp = undefined;
  }

  #clearLinger(): void {
    if (this.#linger !== undefined) this.#o.clearTimer(this.#linger);
    this.#linger = undefined;
  }
}
