// The interactive console: line editor + command registry + a bounded output queue. Pure: the byte
// transport (UART0 through embedded:io/serial, or a test) feeds receive() and drains `queue`.
//
// Output never blocks the gateway: everything goes into a ByteQueue that the transport drains when
// the UART has room; when the queue is full, text is dropped and counted (queue.droppedBytes).

import { ByteQueue, type Output } from "./output";
import { LineEditor, type LineEditorHost } from "./line-editor";
import type { CommandRegistry } from "./registry";

export interface ConsoleOptions {
  /** Default "jbd> ". */
  prompt?: string;
  /** Longest input line in bytes (default 160). */
  maxLine?: number;
  /** Transmit queue size in bytes (default 2048: twice the longest answer, `help` at about 750 bytes; RAM is short). */
  queueSize?: number;
  /** Printed by start(), before the first prompt. */
  banner?: string;
}

/** Input lines for a command that reads text (readLines). */
export interface LineReader {
  /** One line; true when it was the last. */
  line(text: string): boolean;
  /** Ctrl-C, or input lost in an overrun: the reading ends without its last line. */
  cancel(why: string): void;
}

export class Console {
  readonly queue: ByteQueue;
  readonly registry: CommandRegistry;
  /** What handlers write to: lines end with CRLF. */
  readonly output: Output;
  /** Called after output was queued, so the transport can start draining. */
  onOutput?: () => void;
  /** Lines run since boot. */
  commands = 0;
  /** Input overruns reported by the transport. */
  overruns = 0;
  prompt: string;
  readonly #editor: LineEditor;
  readonly #banner: string;
  /** An asynchronous command is running: no prompt is shown. */
  #busy = false;
  #started = false;
  /** Takes the input lines instead of the registry (pasting a certificate), until it says done. */
  #reader: LineReader | undefined;

  constructor(registry: CommandRegistry, options: ConsoleOptions = {}) {
    this.registry = registry;
    this.prompt = options.prompt ?? "jbd> ";
    this.#banner = options.banner ?? "";
    this.queue = new ByteQueue(options.queueSize ?? 2048);
    const queue = this.queue;
    this.output = {
      write: (text: string) => { queue.pushText(text); this.kick(); },
      line: (text = "") => { queue.pushText(text + "\r\n"); this.kick(); },
    };
    const host: LineEditorHost = {
      echo: (bytes, start, end) => { queue.pushBytes(bytes, start, end); this.kick(); },
      echoText: (text) => { queue.pushText(text); this.kick(); },
      line: (text) => this.line(text),
      interrupt: () => {
        if (this.#reader) { this.endReader("cancelled (Ctrl-C)"); return; }
        if (!this.#busy) this.showPrompt();
      },
      discarded: () => { if (!this.#busy) this.showPrompt(); },
    };
    this.#editor = new LineEditor(host, options.maxLine ?? 160);
  }

  get busy(): boolean { return this.#busy; }

  /** Print the banner and the first prompt. */
  start(): void {
    this.#started = true;
    if (this.#banner) this.output.line(this.#banner);
    this.showPrompt();
  }

  /** Bytes from the terminal. Never throws. */
  receive(data: Uint8Array | ArrayBuffer): void {
    try {
      this.#editor.feed(data);
    } catch {
      // defensive: the editor and registry contain their own errors
    }
  }

  /**
   * The transport lost received bytes (a UART FIFO overrun): the line they belonged to is dropped
   * up to its end and never run, and the user is told why.
   */
  overrun(fifoBytes: number): void {
    this.overruns++;
    if (this.#reader) this.endReader(`input lost: more than ${fifoBytes} bytes arrived while the gateway was busy (paste line by line: a terminal's line delay of 30 ms is enough)`);
    this.#editor.discard();
    this.queue.pushText(`\r\n! input lost: more than ${fifoBytes} bytes arrived while the gateway was busy; ` +
      `this line is discarded up to its end: press Enter, then type it again (or paste at most ${fifoBytes} bytes at a time)\r\n`);
    this.kick();
  }

  /**
   * Asynchronous text (a log line) without garbling what the user is typing: the partial input
   * line is erased, the text printed, then prompt and input redrawn.
   */
  print(text: string): void {
    const showing = this.#started && !this.#busy;
    if (showing) this.queue.pushText("\r\x1b[K");
    this.queue.pushText(text + "\r\n");
    if (showing) {
      this.queue.pushText(this.prompt);
      const pending = this.#editor.pending();
      if (pending.length) this.queue.pushBytes(pending);
    }
    this.kick();
  }

  /** The next input lines go to `reader` (the running command's), not to the registry. */
  readLines(reader: LineReader | undefined): void { this.#reader = reader; }

  private endReader(why: string): void {
    const reader = this.#reader;
    this.#reader = undefined;
    try { reader?.cancel(why); } catch { /* the reader's own problem */ }
  }

  private line(text: string): void {
    const reader = this.#reader;
    if (reader) {
      let done = true;
      try { done = reader.line(text); } catch { /* ends the reading */ }
      if (done && this.#reader === reader) this.#reader = undefined;
      return;
    }
    if (this.#busy) {
      if (text.trim()) this.output.line("busy: the previous command is still running");
      return;
    }
    if (!text.trim()) {
      this.showPrompt();
      return;
    }
    this.commands++;
    let pending: void | Promise<void>;
    try {
      pending = this.registry.run(text, this.output);
    } catch {
      pending = undefined; // run() does not throw; belt and braces
    }
    if (pending) {
      this.#busy = true;
      pending.then(() => {
        this.#busy = false;
        this.showPrompt();
      });
      return;
    }
    this.showPrompt();
  }

  private showPrompt(): void {
    this.queue.pushText(this.prompt);
    this.kick();
  }

  private kick(): void {
    const onOutput = this.onOutput;
    if (onOutput) {
      try { onOutput(); } catch { /* transport problems are the transport's */ }
    }
  }
}
