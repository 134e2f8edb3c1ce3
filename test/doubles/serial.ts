// Double of ECMA-419 "embedded:io/serial" (UART0 at the USB cable). The host plays the terminal.
// As on the ESP32 (modules/io/serial/esp32/serial.c): read() returns what has arrived (ArrayBuffer)
// or undefined, write() throws "output full" when the 128-byte FIFO lacks room, and onWritable(count)
// reports room once the FIFO drains; the empty FIFO fires it once right after construction.
// Receive: there is no driver ring buffer. The ISR disables receive interrupts until JavaScript
// reads, so only the 128-byte hardware FIFO holds input while JavaScript is busy; the UART drops
// what arrives beyond it, and nothing tells JavaScript (no overrun flag reaches it). One host
// "serial.input" event is bytes arriving while JavaScript is busy: at most the FIFO's room of them
// is kept, then onReadable(count) runs. Between events JavaScript has had its turn to read.
import { fire } from "./meter-zone";
import { on, post, toHex, fromHex } from "./runtime";

export const FIFO_SIZE = 128; // ESP32 UART hardware FIFO
let open: Serial | undefined;
/** Received bytes the full FIFO dropped (host-visible for tests; the SDK exposes no such count). */
export let droppedBytes = 0;

export interface SerialOptions {
  port?: number; transmit?: number; receive?: number; baud: number; format?: "buffer" | "number";
  onReadable?: (count: number) => void; onWritable?: (count: number) => void;
}

export default class Serial {
  #received: number[] = [];
  #room = FIFO_SIZE;
  #options: SerialOptions;

  constructor(options: SerialOptions) {
    if (!options || typeof options.baud !== "number") throw new RangeError("baud required");
    if (open) throw new RangeError("in use");
    open = this;
    this.#options = options;
    post("serial.open", options.baud);
  }
  read(count?: number): ArrayBuffer | undefined {
    if (!this.#received.length) return undefined;
    if (count !== undefined && !(count > 0)) throw new Error("invalid");
    const n = count === undefined ? this.#received.length : Math.min(count, this.#received.length);
    return new Uint8Array(this.#received.splice(0, n)).buffer;
  }
  write(data: ArrayBuffer | Uint8Array): void {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    if (bytes.length > this.#room) throw new Error("output full");
    this.#room -= bytes.length;
    post("serial.write", toHex(bytes));
  }
  close(): void { if (open === this) open = undefined; }

  static {
    on("serial.input", (hex: string) => {
      if (!open) return;
      const bytes = new Uint8Array(fromHex(hex));
      let dropped = 0;
      for (const byte of bytes) {
        if (open.#received.length < FIFO_SIZE) open.#received.push(byte);
        else dropped++;
      }
      if (dropped) { droppedBytes += dropped; post("serial.dropped", dropped); }
      if (open.#received.length && open.#options.onReadable) fire(open.#options.onReadable, open.#options, open.#received.length);
    });
    on("serial.drained", (count: number) => {
      if (!open) return;
      open.#room = Math.min(FIFO_SIZE, open.#room + count);
      if (open.#options.onWritable) fire(open.#options.onWritable, open.#options, open.#room);
    });
  }
}
