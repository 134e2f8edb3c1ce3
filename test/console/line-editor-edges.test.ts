// The line editor's edges (found by mutation testing): escape sequences with parameters, an
// invalid byte inside one, SS3 keys, a discarded line ended by CR, LF or CRLF, erasing whole
// UTF-8 characters, Up with and without a previous line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LineEditor, type LineEditorHost } from "../../modules/console/line-editor";

function editor(max = 16) {
  const lines: string[] = [];
  const events: string[] = [];
  let echo = "";
  const host: LineEditorHost = {
    echo: (b, s, e) => { echo += Buffer.from(b.subarray(s, e)).toString("utf8"); },
    echoText: (t) => { echo += t; },
    line: (t) => { lines.push(t); events.push("line:" + t); },
    interrupt: () => events.push("interrupt"),
    discarded: () => events.push("discarded"),
  };
  const ed = new LineEditor(host, max);
  const feed = (s: string | number[]) => ed.feed(typeof s === "string" ? new TextEncoder().encode(s) : new Uint8Array(s));
  return { ed, lines, events, feed, get echo() { return echo; }, clearEcho: () => { echo = ""; } };
}

test("CSI sequences with parameters are swallowed whole; only a bare ESC [ A recalls", () => {
  const t = editor();
  t.feed("ab\r");
  t.clearEcho();
  t.feed("x\x1b[1;5Ay\r"); // Ctrl-Up: parameters, so not a recall
  assert.deepEqual(t.lines, ["ab", "xy"]);
  assert.equal(t.echo, "xy\r\n");
  t.feed("\x1b[3~z\r"); // Delete key
  t.feed("\x1b[Dq\r"); // Left
  t.feed("\x1b[A\r"); // Up: the previous line
  assert.deepEqual(t.lines, ["ab", "xy", "z", "q", "q"]);
});

test("a control byte inside a CSI sequence ends it; the byte after it is typed again", () => {
  const t = editor();
  t.feed("\x1b[1\x01k\r");
  assert.deepEqual(t.lines, ["k"]);
  t.feed([0x1b, 0x5b, 0x31, 0xff]); // a byte above 0x7e
  t.feed("m\r");
  assert.deepEqual(t.lines, ["k", "m"]);
  t.feed("\x1b[\x40n\r"); // 0x40 is a final byte
  t.feed("\x1b[\x7ep\r"); // and so is 0x7e
  assert.deepEqual(t.lines, ["k", "m", "n", "p"]);
  t.feed("\x1b[ !r\r"); // intermediate bytes 0x20-0x3f are parameters
  assert.deepEqual(t.lines, ["k", "m", "n", "p", ""]);
});

test("SS3 keys (ESC O x) and two-byte escapes are swallowed", () => {
  const t = editor();
  t.feed("a\x1bOAb\x1bOPc\x1bxd\r");
  assert.deepEqual(t.lines, ["abcd"]);
  assert.equal(t.echo, "abcd\r\n");
});

test("a discarded line ends at its CR, LF or CRLF; the next line is whole", () => {
  for (const end of ["\r", "\n", "\r\n"]) {
    const t = editor();
    t.feed("par");
    t.ed.discard();
    assert.equal(t.ed.discarding, true);
    assert.equal(t.ed.length, 0);
    t.feed("tial line");
    assert.deepEqual(t.events, []);
    t.feed(end + "ok\r");
    assert.equal(t.ed.discarding, false);
    assert.deepEqual(t.events, ["discarded", "line:ok"], JSON.stringify(end));
  }
  const t = editor();
  t.feed("\x1b[");
  t.ed.discard();
  t.feed("\rA\r");
  assert.deepEqual(t.lines, ["A"], "an escape in progress is dropped too");
});

test("backspace erases a whole character; Ctrl-U erases as many characters as shown", () => {
  const t = editor(32);
  t.feed("aé€😀");
  assert.equal(t.ed.length, 10);
  t.clearEcho();
  t.feed([0x7f]);
  assert.equal(t.ed.length, 6, "the 4-byte emoji");
  t.feed([0x08]);
  assert.equal(t.ed.length, 3, "the 3-byte euro sign");
  t.feed([0x7f]);
  assert.equal(t.ed.length, 1);
  assert.equal(t.echo, "\b \b\b \b\b \b");
  t.feed("ü€x");
  t.clearEcho();
  t.feed([0x15]);
  assert.equal(t.echo, "\b \b".repeat(4), "a ü € x: four characters");
  assert.equal(t.ed.length, 0);
  t.feed("\r");
  assert.deepEqual(t.lines, [""]);
});

test("Up with no previous line does nothing; an empty line does not replace the previous one", () => {
  const t = editor();
  t.feed("\x1b[A");
  assert.equal(t.ed.length, 0);
  assert.equal(t.echo, "");
  t.feed("one\r\r");
  t.feed("\x1b[A");
  assert.equal(Buffer.from(t.ed.pending()).toString(), "one");
  t.feed("ab");
  t.ed.clear();
  assert.equal(t.ed.length, 0, "clear forgets the partial line");
  t.feed("\r");
  assert.deepEqual(t.lines, ["one", "", ""]);
});
