// The JSON writer against the engine's own JSON.stringify: same text for every kind of string value
// (escapes, non-ASCII, astral, lone surrogates), integers and fixed decimals, commas, and reuse.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonWriter } from "../../modules/protocol/json-writer";

test("strings: the same text as JSON.stringify", () => {
  const samples = ["", "plain", 'q"uote', "back\\slash", "tab\there", "nl\nand\rcr", "\b\f", "\u0000\u0001\u001f",
    "°C", "Zürich", "日本語", "emoji 🔋⚡", "lone \ud800 high", "lone \udc00 low", "\u2028\u2029", "/slash"];
  for (const s of samples) {
    assert.equal(new JsonWriter().string(s).text, JSON.stringify(s), JSON.stringify(s));
    assert.deepEqual(new Uint8Array(new JsonWriter().string(s).payload), new TextEncoder().encode(JSON.stringify(s)), "payload of " + JSON.stringify(s));
  }
});

test("numbers: integers as JavaScript prints them, fixed decimals rounded and zero-padded, null when not finite", () => {
  const w = new JsonWriter().beginArray();
  const ints = [0, -0, 7, -7, 10, 99, 100, 65535, -32768, 1234567890123];
  for (const n of ints) w.number(n);
  w.number(0.5).number(1e21).number(NaN).number(Infinity);
  w.fixed(15.6, 2).fixed(-0.004, 2).fixed(-0.006, 2).fixed(3.9995, 3).fixed(2.5, 0).fixed(0.05, 1).fixed(-12.345, 1)
    .fixed(3.005, 3).fixed(3.05, 3).fixed(3, 3).fixed(0.001, 3).fixed(NaN, 2);
  w.endArray();
  assert.equal(w.text, "[" + [...ints.map((n) => JSON.stringify(n)), "0.5", "1e+21", "null", "null",
    "15.60", "0.00", "-0.01", "4.000", "3", "0.1", "-12.3", "3.005", "3.050", "3.000", "0.001", "null"].join(",") + "]");
});

test("scaled: integers of 10^-d units as fixed(v / 10^d, d) prints them", () => {
  for (const d of [1, 2, 3] as const) {
    for (const v of [0, 1, 5, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 1560, 3909, 4005, 32767, -1, -5, -10, -99, -100, -1560, -32768, 12.5, -0.5]) {
      assert.equal(new JsonWriter().scaled(v, d).text, new JsonWriter().fixed(v / 10 ** d, d).text, `${v} with ${d}`);
    }
  }
});

test("thousandths: integers of thousandths as fixed(v / 1000, 3) prints them", () => {
  for (const v of [0, 1, 9, 10, 99, 100, 999, 1000, 3909, 4005, 65535, -1, -4005, 12.5]) {
    assert.equal(new JsonWriter().thousandths(v).text, new JsonWriter().fixed(v / 1000, 3).text, String(v));
  }
  assert.equal(new JsonWriter().beginArray().thousandths(3909).thousandths(3).endArray().text, "[3.909,0.003]");
});

test("objects, arrays, literals and raw fragments: commas where JSON needs them", () => {
  const w = new JsonWriter().beginObject().key("a").bool(true).key("b").null().key("c").beginArray().number(1).beginObject().endObject()
    .beginArray().endArray().endArray().key("d").raw('{"x":1}').endObject();
  assert.equal(w.text, JSON.stringify({ a: true, b: null, c: [1, {}, []], d: { x: 1 } }));
});

test("reused: clear() starts again; reading the text ends the payload", () => {
  const w = new JsonWriter();
  w.beginObject().key("long").string("x".repeat(1000)).endObject();
  assert.equal(w.text.length, 1011);
  assert.equal(w.text, "", "the writer keeps nothing once the text is read");
  w.beginArray().endArray();
  assert.equal(w.text, "[]");
  w.number(1).clear().number(2);
  assert.equal(w.text, "2", "no comma left over from before clear()");
});
