import { test } from "node:test";
import assert from "node:assert/strict";
import { makeConsole } from "./helpers";

test("banner, prompt, echo, command output, next prompt", () => {
  const t = makeConsole({ banner: "jbd-gateway 0.1" });
  t.registry.register("hello", "hello", "greets", (_, out) => out.line("hi there"));
  t.console.start();
  assert.equal(t.drain(), "jbd-gateway 0.1\r\n> ");
  assert.equal(t.type("hello\r"), "hello\r\nhi there\r\n> ");
  assert.equal(t.type("\r"), "\r\n> ");
  assert.equal(t.type("nope\r\n"), "nope\r\nunknown command 'nope' (type 'help')\r\n> ");
  assert.equal(t.console.commands, 2);
});

test("Ctrl-C gives a fresh prompt", () => {
  const t = makeConsole();
  t.console.start();
  t.drain();
  assert.equal(t.type("abc\x03"), "abc^C\r\n> ");
});

test("asynchronous output redraws the prompt and the partial input", () => {
  const t = makeConsole();
  t.console.start();
  t.drain();
  t.type("conf");
  t.console.print("I link: connected");
  assert.equal(t.drain(), "\r\x1b[KI link: connected\r\n> conf");
  assert.equal(t.type("ig x\r"), "ig x\r\nunknown command 'config' (type 'help')\r\n> ".replace("'config'", "'config'"));
});

test("an asynchronous command holds the prompt until it finishes", async () => {
  const t = makeConsole();
  let finish!: () => void;
  t.registry.register("scan", "scan", "scan", (_, out) => new Promise<void>((resolve) => { finish = () => { out.line("JBD-1 a4:c1:38:11:22:33 -70"); resolve(); }; }));
  t.console.start();
  t.drain();
  assert.equal(t.type("scan\r"), "scan\r\n");
  assert.ok(t.console.busy);
  assert.equal(t.type("status\r"), "status\r\nbusy: the previous command is still running\r\n");
  t.console.print("W something");
  assert.equal(t.drain(), "W something\r\n");
  finish();
  await new Promise((r) => setImmediate(r));
  assert.equal(t.drain(), "JBD-1 a4:c1:38:11:22:33 -70\r\n> ");
  assert.ok(!t.console.busy);
});

test("a full output queue drops and counts, never throws", () => {
  const t = makeConsole({ queueSize: 64 });
  t.registry.register("flood", "flood", "too much", (_, out) => { for (let i = 0; i < 100; i++) out.line("0123456789"); });
  t.console.start();
  t.type("flood\r");
  assert.ok(t.console.queue.droppedWrites > 0);
  assert.ok(t.console.queue.droppedBytes >= 12 * 90);
});

test("a handler exception does not escape receive()", () => {
  const t = makeConsole();
  t.registry.register("boom", "boom", "throws", () => { throw new RangeError("invalid mtu"); });
  t.console.start();
  t.drain();
  assert.equal(t.type("boom\r"), "boom\r\nerror: boom failed: RangeError: invalid mtu\r\n> ");
});
