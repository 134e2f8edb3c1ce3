import { test } from "node:test";
import assert from "node:assert/strict";
import { LineEditor, type LineEditorHost } from "../../modules/console/line-editor";
import { bytes } from "./helpers";

function editor(max = 16) {
  const lines: string[] = [];
  let echo = "";
  let interrupts = 0;
  const host: LineEditorHost = {
    echo: (b, s, e) => { echo += Buffer.from(b.subarray(s, e)).toString("latin1"); },
    echoText: (t) => { echo += t; },
    line: (t) => lines.push(t),
    interrupt: () => { interrupts++; },
  };
  const ed = new LineEditor(host, max);
  return { ed, lines, get echo() { return echo; }, get interrupts() { return interrupts; }, feed: (s: string | Uint8Array) => ed.feed(typeof s === "string" ? bytes(s) : s) };
}

test("CR, LF and CRLF each end exactly one line", () => {
  const t = editor();
  t.feed("a\rb\nc\r\nd\n\re\r");
  assert.deepEqual(t.lines, ["a", "b", "c", "d", "", "e"]);
});

test("CRLF split across two reads still ends one line", () => {
  const t = editor();
  t.feed("status\r");
  t.feed("\n");
  t.feed("x\n");
  assert.deepEqual(t.lines, ["status", "x"]);
});

test("echo and backspace / DEL", () => {
  const t = editor();
  t.feed("abc\x08\x7fd\r");
  assert.deepEqual(t.lines, ["ad"]);
  assert.equal(t.echo, "abc\b \b\b \bd\r\n");
});

test("backspace on an empty line rings the bell", () => {
  const t = editor();
  t.feed("\x7f");
  assert.equal(t.echo, "\x07");
});

test("backspace removes a whole UTF-8 character", () => {
  const t = editor();
  t.feed("aä€\x7f\x7fb\r");
  assert.deepEqual(t.lines, ["ab"]);
});

test("ANSI escape sequences are ignored, Up recalls the previous line", () => {
  const t = editor();
  t.feed("status\r");
  t.feed("x\x1b[D\x1b[1;5C\x1bOP\x1b[3~y\r");
  assert.deepEqual(t.lines, ["status", "xy"]);
  t.feed("\x1b[A\r");
  assert.deepEqual(t.lines, ["status", "xy", "xy"]);
});

test("maximum line length: the rest is refused with a bell", () => {
  const t = editor(4);
  t.feed("abcdef\r");
  assert.deepEqual(t.lines, ["abcd"]);
  assert.equal(t.echo, "abcd\x07\x07\r\n");
});

test("Ctrl-C drops the line, Ctrl-U erases it, other control bytes are ignored, TAB is a space", () => {
  const t = editor();
  t.feed("abc\x03");
  assert.equal(t.interrupts, 1);
  t.feed("xy\x15z\x01\x02\tq\r");
  assert.deepEqual(t.lines, ["z q"]);
});

test("invalid UTF-8 becomes U+FFFD, never throws", () => {
  const t = editor();
  t.feed(new Uint8Array([0x61, 0xff, 0xc3, 0x0d]));
  assert.deepEqual(t.lines, ["a\ufffd\ufffd"]);
});
