// Our own declarations for the ECMA-419 serial class of the Moddable SDK 8.2.3 ("embedded:io/serial"),
// written from observed runtime behaviour (/work/shared/moddable-platform.md §e and the ESP32 driver).
// Needs $(MODDABLE)/modules/io/manifest.json plus the serial manifest in the build.

declare module "embedded:io/serial" {
  export interface SerialOptions {
    /** UART number (ESP32: 0..2). In -d/-i builds port 0 is taken: RangeError "port in use". */
    port?: number;
    /** TX pin (classic ESP32 USB bridge: 1) */
    transmit?: number;
    /** RX pin (classic ESP32 USB bridge: 3) */
    receive?: number;
    /** required */
    baud: number;
    /** ESP32 default "buffer" */
    format?: "buffer" | "number";
    /** `count` bytes are waiting in the receive FIFO. */
    onReadable?: (this: Serial, count: number) => void;
    /** `count` bytes of room in the transmit FIFO (first call right after construction). */
    onWritable?: (this: Serial, count: number) => void;
    target?: unknown;
  }

  export default class Serial {
    constructor(options: SerialOptions);
    /** Everything available as an ArrayBuffer ("buffer" format), or undefined when nothing is. */
    read(): ArrayBuffer | undefined;
    /** Into `buffer`; returns the number of bytes read (undefined when nothing is available). */
    read(buffer: ArrayBuffer | ArrayBufferView): number | undefined;
    /**
     * Queues all bytes in the transmit FIFO (128 bytes on ESP32) or throws "output full" without
     * writing anything: never write more than the last onWritable count allows.
     */
    write(data: ArrayBuffer | ArrayBufferView): void;
    close(): void;
    format: "buffer" | "number";
  }
}
