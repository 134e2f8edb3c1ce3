// Receive overruns on the ESP32 UART (modules/io/serial/esp32/serial.c): with no driver buffer, only
// the 128-byte FIFO holds input while JavaScript is busy and the rest is dropped without a trace.
// The console must refuse the damaged line, say why, and go on with the next one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialConsole, type SerialPortOptions } from "../../modules/console/serial-console";
import { makeConsole, bytes } from "./helpers";

const RX_FIFO_BYTES = 128; // ESP32 UART receive FIFO

/** The UART as serial.c leaves it: a 128-byte receive FIFO, bytes beyond it lost while nobody reads. */
class BusyUart {
  static last: BusyUart;
  readonly options: SerialPortOptions;
  rx: number[] = [];
  sent: number[] = [];
  lost = 0;
  constructor(options: SerialPortOptions) { this.options = options; BusyUart.last = this; }
  read(): ArrayBuffer | undefined { return this.rx.length ? new Uint8Array(this.rx.splice(0)).buffer : undefined; }
  write(data: Uint8Array): void { for (const b of data) this.sent.push(b); }
  close(): void {}
  /** Bytes arriving while JavaScript is busy, then its onReadable turn. */
  arrive(text: string): void {
    for (const b of bytes(text)) { if (this.rx.length < RX_FIFO_BYTES) this.rx.push(b); else this.lost++; }
    if (this.rx.length) this.options.onReadable?.(this.rx.length);
  }
  /** Typed by a person: the FIFO is read between keystrokes. */
  typed(text: string): void { for (const ch of text) this.arrive(ch); }
  drain(): void { this.options.onWritable?.(1 << 20); }
  text(): string { return Buffer.from(this.sent).toString("utf8"); }
}

function setup() {
  const t = makeConsole();
  const ran: string[] = [];
  t.registry.register("set", "set <text>", "test command", (args, out) => { ran.push(args.join(" ")); out.line("ok"); });
  const sc = new SerialConsole(BusyUart, t.console);
  t.console.start();
  const uart = BusyUart.last;
  uart.drain();
  return { t, sc, uart, ran };
}

test("a pasted line longer than the FIFO is discarded with a message, not run damaged", () => {
  const { sc, uart, ran } = setup();
  uart.arrive(`set ${"x".repeat(200)}\r`);
  uart.drain();
  assert.ok(uart.lost > 0);
  assert.deepEqual(ran, [], "the damaged line never ran");
  assert.equal(sc.rxOverruns, 1);
  assert.match(uart.text(), /input lost: more than 128 bytes arrived while the gateway was busy; this line is discarded up to its end: press Enter, then type it again \(or paste at most 128 bytes at a time\)/);
  uart.typed("\r"); // its own line end was lost with the rest: Enter ends it
  uart.typed("set again\r");
  uart.drain();
  assert.deepEqual(ran, ["again"], "the next line runs");
  assert.match(uart.text(), /> $/, "prompt shown again");
});

test("the rest of a damaged line that arrives after the read is swallowed up to its end", () => {
  const { uart, ran } = setup();
  uart.arrive(`set ${"y".repeat(130)}`); // FIFO full: the tail of this burst is lost
  uart.arrive("zzz tail\rset next\r"); // read in a later turn: still the damaged line, then a good one
  uart.drain();
  assert.deepEqual(ran, ["next"]);
});

test("pastes within the FIFO, and long lines typed at human speed, run normally", () => {
  const { sc, uart, ran } = setup();
  uart.arrive("set one\rset two\r");
  const long = "w".repeat(150);
  uart.typed(`set ${long}\r`);
  uart.drain();
  assert.deepEqual(ran, ["one", "two", long]);
  assert.equal(sc.rxOverruns, 0);
  assert.doesNotMatch(uart.text(), /input lost/);
});
