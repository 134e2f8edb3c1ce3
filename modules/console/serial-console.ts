// Connects a Console to a UART through an ECMA-419 Serial class passed in by the caller
// (serial-platform.ts passes the real "embedded:io/serial"; tests pass a fake). Pure.
//
// ESP32 facts this follows: onWritable(count) reports the room in the transmit FIFO (128 bytes),
// write() throws "output full" when given more than that room and writes nothing, read() returns
// an ArrayBuffer of what arrived or undefined. In -d and -i builds UART0 belongs to xsbug / the IDF
// console and the constructor throws ("port in use"): the console then stays closed, and says why.

import type { Console } from "./console";

export interface SerialPortOptions {
  port?: number;
  transmit?: number;
  receive?: number;
  baud: number;
  format?: "buffer";
  onReadable?: (count: number) => void;
  onWritable?: (count: number) => void;
}

export interface SerialPort {
  read(): ArrayBuffer | undefined;
  write(data: Uint8Array): void;
  close(): void;
}

export type SerialConstructor = new (options: SerialPortOptions) => SerialPort;

/**
 * The ESP32 UART's receive FIFO. serial.c has no driver buffer behind it: while JavaScript is busy
 * only these bytes are kept and the rest is dropped, silently (no overrun flag reaches JavaScript).
 * A read that finds the FIFO full is the only sign that bytes may have been lost after it.
 */
export const RX_FIFO_BYTES = 128;

/** Classic ESP32 dev boards: UART0 on the USB bridge, TX GPIO1, RX GPIO3. */
export const UART0_ESP32 = Object.freeze({ port: 0, transmit: 1, receive: 3, baud: 115200 } as const);

export class SerialConsole {
  readonly console: Console;
  /** Why the UART could not be opened, if it could not. */
  readonly error: string | undefined;
  rxBytes = 0;
  /** Reads that found the receive FIFO full: input after them may have been lost. */
  rxOverruns = 0;
  txBytes = 0;
  /** write() refusals (FIFO fuller than reported); the bytes stay queued. */
  txRefused = 0;
  #serial: SerialPort | undefined;
  /** Room in the transmit FIFO as last reported by onWritable, minus what we wrote since. */
  #room = 0;
  #pumping = false;

  constructor(Serial: SerialConstructor, console: Console, options: Partial<SerialPortOptions> = UART0_ESP32) {
    this.console = console;
    let error: string | undefined;
    try {
      this.#serial = new Serial({
        ...UART0_ESP32,
        ...options,
        format: "buffer",
        onReadable: () => this.readable(),
        onWritable: (count: number) => this.writable(count),
      });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      this.#serial = undefined;
    }
    this.error = error;
    if (this.#serial) console.onOutput = () => this.pump();
  }

  get open(): boolean { return this.#serial !== undefined; }

  close(): void {
    const serial = this.#serial;
    this.#serial = undefined;
    this.console.onOutput = undefined;
    if (serial) {
      try { serial.close(); } catch { /* already closed */ }
    }
  }

  private readable(): void {
    const serial = this.#serial;
    if (!serial) return;
    try {
      for (;;) {
        const data = serial.read();
        if (!data || !data.byteLength) break;
        this.rxBytes += data.byteLength;
        this.console.receive(data);
        if (data.byteLength >= RX_FIFO_BYTES) {
          this.rxOverruns++;
          this.console.overrun(RX_FIFO_BYTES);
        }
      }
    } catch {
      // a read failure must not escape into the native callback (it would reboot the device)
    }
  }

  private writable(count: number): void {
    this.#room = count;
    this.pump();
  }

  private pump(): void {
    const serial = this.#serial;
    if (!serial || this.#pumping) return;
    this.#pumping = true;
    const queue = this.console.queue;
    try {
      while (this.#room > 0 && queue.length > 0) {
        const chunk = queue.peek(this.#room);
        try {
          serial.write(chunk);
        } catch {
          // FIFO fuller than we thought: wait for the next onWritable
          this.txRefused++;
          this.#room = 0;
          break;
        }
        queue.consume(chunk.length);
        this.#room -= chunk.length;
        this.txBytes += chunk.length;
      }
    } finally {
      this.#pumping = false;
    }
  }
}
