// Double of ECMA-419 "embedded:io/serial" (UART0 at the USB cable). The host plays the terminal.
// As on the ESP32 (modules/io/serial/esp32): read() returns what has arrived (ArrayBuffer) or
// undefined, write() throws "output full" when the 128-byte FIFO lacks room, and onWritable(count)
// reports room once the FIFO drains; the empty FIFO fires it once right after construction.
import { on, post, toHex, fromHex } from "./runtime";

export const FIFO_SIZE = 128; // ESP32 UART hardware FIFO
let open: Serial | undefined;

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
  read(): ArrayBuffer | undefined {
    if (!this.#received.length) return undefined;
    return new Uint8Array(this.#received.splice(0, this.#received.length)).buffer;
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
      for (const byte of bytes) open.#received.push(byte);
      open.#options.onReadable?.(open.#received.length);
    });
    on("serial.drained", (count: number) => {
      if (!open) return;
      open.#room = Math.min(FIFO_SIZE, open.#room + count);
      open.#options.onWritable?.(open.#room);
    });
  }
}
