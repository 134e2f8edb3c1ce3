import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandRegistry, UsageError } from "../../modules/console/registry";
import { CaptureOutput } from "../../modules/console/output";
import { runCaptured } from "../../modules/console/capture";

function run(registry: CommandRegistry, line: string): string {
  const out = new CaptureOutput(10000);
  const r = registry.run(line, out);
  assert.equal(r, undefined);
  return out.text();
}

test("dispatch with arguments, case-insensitive names", () => {
  const r = new CommandRegistry();
  const seen: string[][] = [];
  r.register("Echo", "echo <text...>", "print the arguments", (args, out) => { seen.push(args); out.line(args.join("|")); });
  assert.equal(run(r, "ECHO a 'b c'"), "a|b c\n");
  assert.deepEqual(seen, [["a", "b c"]]);
});

test("unknown commands and quoting errors get a short line", () => {
  const r = new CommandRegistry();
  assert.equal(run(r, "frobnicate now"), "unknown command 'frobnicate' (type 'help')\n");
  assert.equal(run(r, "help 'x"), "error: unterminated single quote\n");
  assert.equal(run(r, "   "), "");
});

test("bad arguments: false or UsageError print the usage line", () => {
  const r = new CommandRegistry();
  r.register("mos", "mos <charge|discharge> <on|off>", "switch a MOSFET", (args) => {
    if (args.length !== 2) return false;
    if (args[1] !== "on" && args[1] !== "off") throw new UsageError(`state must be on or off, got '${args[1]}'`);
  });
  assert.equal(run(r, "mos"), "usage: mos <charge|discharge> <on|off>\n");
  assert.equal(run(r, "mos charge maybe"), "state must be on or off, got 'maybe'\nusage: mos <charge|discharge> <on|off>\n");
  assert.equal(r.failures, 0);
});

test("a handler exception is caught, reported and counted", () => {
  const r = new CommandRegistry();
  r.register("boom", "boom", "fails", () => { throw new TypeError("not an ArrayBuffer instance"); });
  r.register("weird", "weird", "throws a string", () => { throw "oops"; });
  assert.equal(run(r, "boom"), "error: boom failed: TypeError: not an ArrayBuffer instance\n");
  assert.equal(run(r, "weird"), "error: weird failed: oops\n");
  assert.equal(r.failures, 2);
});

test("help lists commands sorted, help <cmd> shows usage", () => {
  const r = new CommandRegistry();
  r.register("status", "status", "show the gateway state", () => {});
  r.register("config", "config [get|set|reset]", "settings", () => {});
  const text = run(r, "help");
  assert.match(text, /^ {2}config {2}settings\n {2}help {4}list commands/);
  assert.match(text, /status {2}show the gateway state/);
  assert.equal(run(r, "help status"), "usage: status\n  show the gateway state\n");
  assert.equal(run(r, "help nope"), "no command 'nope'\nusage: help [command]\n");
  assert.equal(run(r, "help a b"), "usage: help [command]\n");
});

test("register replaces a command of the same name", () => {
  const r = new CommandRegistry();
  r.register("x", "x", "one", (_, out) => out.line("1"));
  r.register("X", "x", "two", (_, out) => out.line("2"));
  assert.equal(run(r, "x"), "2\n");
  assert.equal(r.list().filter((c) => c.name === "x").length, 1);
  r.unregister("x");
  assert.ok(!r.has("x"));
});

test("asynchronous commands: resolved, false, rejected — the promise never rejects", async () => {
  const r = new CommandRegistry();
  r.register("scan", "scan [seconds]", "scan", async (args, out) => { await null; out.line("found 1"); if (args[0] === "bad") return false; });
  r.register("late", "late", "fails later", async () => { await null; throw new Error("timeout"); });
  assert.equal(await runCaptured(r, "scan"), "found 1\n");
  assert.equal(await runCaptured(r, "scan bad"), "found 1\nusage: scan [seconds]\n");
  assert.equal(await runCaptured(r, "late"), "error: late failed: Error: timeout\n");
  assert.equal(r.failures, 1);
});

test("captured output is limited and marked", () => {
  const r = new CommandRegistry();
  r.register("big", "big", "lots", (_, out) => { for (let i = 0; i < 100; i++) out.line("line " + i + " ääää"); });
  const text = runCaptured(r, "big", 100) as string;
  assert.ok(text.endsWith("…(truncated)"));
  assert.ok(Buffer.byteLength(text) <= 100 + Buffer.byteLength("…(truncated)"));
  assert.ok(text.startsWith("line 0 ääää\nline 1"));
});
