import { test } from "node:test";
import assert from "node:assert/strict";
import { SerialConsole, type SerialPortOptions } from "../../modules/console/serial-console";
import { makeConsole, bytes } from "./helpers";

/** Behaves like the ESP32 driver: 128-byte FIFO, write() throws "output full" and writes nothing. */
class FakeUart {
  static last: FakeUart | undefined;
  static failWith: string | undefined;
  readonly options: SerialPortOptions;
  fifo = 0;
  sent: number[] = [];
  rx: number[] = [];
  writes = 0;
  closed = false;
  constructor(options: SerialPortOptions) {
    if (FakeUart.failWith) throw new RangeError(FakeUart.failWith);
    this.options = options;
    FakeUart.last = this;
  }
  read(): ArrayBuffer | undefined {
    if (!this.rx.length) return undefined;
    return new Uint8Array(this.rx.splice(0)).buffer;
  }
  write(data: Uint8Array): void {
    if (data.length > 128 - this.fifo) throw new Error("output full");
    this.writes++;
    this.fifo += data.length;
    for (const b of data) this.sent.push(b);
  }
  close(): void { this.closed = true; }
  // the "hardware"
  type(text: string): void { for (const b of bytes(text)) this.rx.push(b); this.options.onReadable?.(this.rx.length); }
  drainFifo(): void { this.fifo = 0; this.options.onWritable?.(128); }
  text(): string { return Buffer.from(this.sent).toString("utf8"); }
}

test("opens UART0 at 115200 on the classic ESP32 pins", () => {
  const t = makeConsole();
  const sc = new SerialConsole(FakeUart, t.console);
  const o = FakeUart.last!.options;
  assert.deepEqual([o.port, o.transmit, o.receive, o.baud, o.format], [0, 1, 3, 115200, "buffer"]);
  assert.ok(sc.open);
  assert.equal(sc.error, undefined);
});

test("output waits for onWritable and never writes more than the FIFO room", () => {
  const t = makeConsole({ banner: "x".repeat(300) });
  const sc = new SerialConsole(FakeUart, t.console);
  const uart = FakeUart.last!;
  t.console.start();
  assert.equal(uart.sent.length, 0); // no room reported yet
  uart.drainFifo();
  assert.equal(uart.sent.length, 128);
  uart.drainFifo();
  uart.drainFifo();
  uart.drainFifo();
  assert.equal(uart.text(), "x".repeat(300) + "\r\n> ");
  assert.equal(sc.txRefused, 0);
  assert.equal(sc.txBytes, 304);
});

test("input is read, echoed and run; output follows as room appears", () => {
  const t = makeConsole();
  t.registry.register("ping", "ping", "pong", (_, out) => out.line("pong"));
  const sc = new SerialConsole(FakeUart, t.console);
  const uart = FakeUart.last!;
  uart.drainFifo();
  t.console.start();
  uart.type("ping\r\n");
  uart.drainFifo();
  assert.equal(uart.text(), "> ping\r\npong\r\n> ");
  assert.equal(sc.rxBytes, 6);
});

test("a refused write keeps the bytes queued for the next onWritable", () => {
  const t = makeConsole();
  const sc = new SerialConsole(FakeUart, t.console);
  const uart = FakeUart.last!;
  uart.drainFifo();
  uart.fifo = 120; // someone else filled the FIFO behind our back
  t.console.print("hello world");
  assert.equal(sc.txRefused, 1);
  assert.equal(uart.sent.length, 0);
  uart.drainFifo();
  assert.equal(uart.text(), "hello world\r\n");
});

test("port in use (debug builds): the console stays closed and says why", () => {
  FakeUart.failWith = "port in use";
  try {
    const t = makeConsole();
    const sc = new SerialConsole(FakeUart, t.console);
    assert.equal(sc.open, false);
    assert.equal(sc.error, "port in use");
    t.console.start(); // output just queues (and later drops), nothing throws
  } finally {
    FakeUart.failWith = undefined;
  }
});

test("close() closes the UART and detaches", () => {
  const t = makeConsole();
  const sc = new SerialConsole(FakeUart, t.console);
  const uart = FakeUart.last!;
  sc.close();
  assert.ok(uart.closed);
  assert.ok(!sc.open);
  t.console.print("after close");
  uart.drainFifo();
  assert.equal(uart.sent.length, 0);
});
