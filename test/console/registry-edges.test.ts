// The command registry's edges (found by mutation testing): replacing and removing commands,
// help's sorting and alignment, handler results that are neither false nor a promise, and the
// UsageError's own name on a realm whose Error.prototype is frozen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandRegistry, UsageError, errorText } from "../../modules/console/registry";
import { CaptureOutput } from "../../modules/console/output";

function run(registry: CommandRegistry, line: string): string {
  const out = new CaptureOutput(10000);
  assert.equal(registry.run(line, out), undefined);
  return out.text();
}

test("register replaces a command of the same name (the first one too); unregister and has ignore case", () => {
  const r = new CommandRegistry();
  r.register("help", "help", "my help", (_, out) => out.line("mine"));
  assert.equal(run(r, "help"), "mine\n", "the built-in help, at index 0, was replaced");
  r.register("b", "b", "first b", (_, out) => out.line("b1"));
  r.register("B", "b", "second b", (_, out) => out.line("b2"));
  assert.deepEqual(r.list().map((c) => c.name), ["help", "b"]);
  assert.equal(run(r, "b"), "b2\n");
  assert.equal(r.has("B"), true);
  assert.equal(r.has("c"), false);
  r.unregister("nothing");
  assert.deepEqual(r.list().map((c) => c.name), ["help", "b"]);
  r.unregister("HELP");
  assert.deepEqual(r.list().map((c) => c.name), ["b"], "the first one can be removed");
  assert.equal(r.has("help"), false);
  r.unregister("b");
  assert.deepEqual(r.list(), []);
});

test("help: sorted by name, summaries aligned two spaces after the longest name", () => {
  const r = new CommandRegistry();
  r.register("zeta", "zeta", "last", () => {});
  r.register("alpha", "alpha", "first", () => {});
  r.register("mid", "mid", "middle", () => {});
  assert.equal(run(r, "help"), [
    "  alpha  first", "  help   list commands, or show how to use one", "  mid    middle", "  zeta   last",
    "'help <command>' shows its arguments", "",
  ].join("\n"));
  assert.equal(run(r, "help a b"), "usage: help [command]\n");
  assert.equal(run(r, "help nope"), "no command 'nope'\nusage: help [command]\n");
});

test("a handler that returns true or a value that is not a promise: done, nothing printed", () => {
  const r = new CommandRegistry();
  r.register("yes", "yes", "returns true", () => true);
  r.register("obj", "obj", "returns an object", () => ({}) as unknown as void);
  assert.equal(run(r, "yes"), "");
  assert.equal(run(r, "obj"), "");
  assert.equal(r.failures, 0);
});

test("UsageError is an Error named UsageError; errorText names the error", () => {
  const e = new UsageError("why");
  assert.ok(e instanceof Error);
  assert.equal(e.name, "UsageError");
  assert.equal(e.message, "why");
  assert.deepEqual(Object.getOwnPropertyDescriptor(e, "name"), { value: "UsageError", writable: true, enumerable: false, configurable: true });
  assert.equal(errorText(new RangeError("too big")), "RangeError: too big");
  assert.equal(errorText(new TypeError("")), "TypeError");
  assert.equal(errorText("plain"), "plain");
  assert.equal(errorText(42), "42");
});
