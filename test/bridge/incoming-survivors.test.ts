// Incoming payloads (modules/bridge/incoming.ts) at every edge mutation testing left open: the
// length limit itself, each UTF-8 lead-byte range at both ends, the last code point, the
// surrogate range at both ends, a continuation byte that is not one, and the quote's cut.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_CONSOLE_LINE, MAX_SWITCH_PAYLOAD, parseSwitch, payloadText, quoted } from "../../modules/bridge/incoming";

const bytes = (...b: number[]) => Uint8Array.from(b).buffer as ArrayBuffer;
const hex = (b: number[]) => b.map((x) => x.toString(16)).join(" ");

test("a payload of exactly the limit is read; one byte more is not", () => {
  assert.equal(payloadText(new TextEncoder().encode("x".repeat(MAX_SWITCH_PAYLOAD)).buffer as ArrayBuffer), "x".repeat(MAX_SWITCH_PAYLOAD));
  assert.equal(payloadText(new TextEncoder().encode("x".repeat(MAX_SWITCH_PAYLOAD + 1)).buffer as ArrayBuffer), undefined);
  const line = new TextEncoder().encode("y".repeat(MAX_CONSOLE_LINE)).buffer as ArrayBuffer;
  assert.equal(payloadText(line, MAX_CONSOLE_LINE), "y".repeat(MAX_CONSOLE_LINE));
  assert.equal(payloadText(new ArrayBuffer(MAX_CONSOLE_LINE + 1), MAX_CONSOLE_LINE), undefined);
  assert.equal(payloadText(new ArrayBuffer(0)), "", "empty is text");
});

test("UTF-8: the first and last code point of every sequence length is decoded", () => {
  const good: Array<[number[], string]> = [
    [[0x00], "\u0000"], [[0x7f], "\u007f"],
    [[0xc2, 0x80], "\u0080"], [[0xdf, 0xbf], "\u07ff"],
    [[0xe0, 0xa0, 0x80], "\u0800"], [[0xed, 0x9f, 0xbf], "\ud7ff"], [[0xee, 0x80, 0x80], "\ue000"], [[0xef, 0xbf, 0xbf], "\uffff"],
    [[0xf0, 0x90, 0x80, 0x80], "\u{10000}"], [[0xf4, 0x8f, 0xbf, 0xbf], "\u{10ffff}"],
    [[0x41, 0xc3, 0xa9, 0x42], "AéB"],
  ];
  for (const [b, text] of good) assert.equal(payloadText(bytes(...b)), text, hex(b));
});

test("UTF-8: lead bytes outside the ranges, surrogates at both ends, a bad continuation byte, past U+10FFFF: refused", () => {
  const bad = [
    [0x80], [0xbf], [0xc1, 0xbf], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x80, 0x80, 0x80], [0xff],
    [0x80, 0x80, 0x80], [0x80, 0x80, 0x80, 0x80], [0xc1, 0x80, 0x80], [0xbf, 0xbf, 0xbf, 0xbf], // a continuation byte is no lead
    [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80],
    [0xc3, 0x41], [0xc3, 0xc3], [0xe2, 0x98, 0x41], [0xf0, 0x9f, 0x94], [0x41, 0xc3],
  ];
  for (const b of bad) assert.equal(payloadText(bytes(...b)), undefined, hex(b));
});

test("switch words: exactly ON/OFF, 1/0, true/false, any case, white space around them ignored", () => {
  for (const [text, on] of [["\ton ", true], ["True", true], ["1\n", true], ["Off", false], [" 0", false], ["FALSE\r\n", false]] as const) {
    assert.equal(parseSwitch(text), on, JSON.stringify(text));
  }
  for (const text of ["o", "of", "01", "10", "tru", "falsee", "y", "no", "null"]) assert.equal(parseSwitch(text), undefined, text);
});

test("a payload quoted for an error message: whole up to 20 characters, cut after 20 with ... beyond", () => {
  assert.equal(quoted("x".repeat(20)), "'" + "x".repeat(20) + "'");
  assert.equal(quoted("y".repeat(21)), "'" + "y".repeat(20) + "...'");
  assert.equal(quoted(""), "''");
});

test("overlong UTF-8 is not UTF-8: '\\n' as E0 80 8A, '/' as E0 80 AF, U+0000 as F0 80 80 80 are refused; the shortest forms pass", () => {
  const text = (...bytes: number[]) => payloadText(new Uint8Array(bytes).buffer);
  assert.equal(text(0xe0, 0x80, 0x8a), undefined);
  assert.equal(text(0xe0, 0x80, 0xaf), undefined);
  assert.equal(text(0xf0, 0x80, 0x80, 0x80), undefined);
  assert.equal(text(0xf0, 0x8f, 0xbf, 0xbf), undefined, "U+FFFF in four bytes");
  assert.equal(text(0xe0, 0xa0, 0x80), "\u0800", "the smallest three-byte code point");
  assert.equal(text(0xf0, 0x90, 0x80, 0x80), "\u{10000}", "the smallest four-byte code point");
  assert.equal(text(0xc2, 0x80), "\u0080");
});

test("UTF-8: a four-byte sequence only from leads F0-F4; F5-FF are no lead bytes at all", () => {
  assert.equal(payloadText(new Uint8Array([0xf4, 0x8f, 0xbf, 0xbf]).buffer), "\u{10ffff}");
  assert.equal(payloadText(new Uint8Array([0xf0, 0x90, 0x80, 0x80]).buffer), "\u{10000}");
  for (const lead of [0xf5, 0xf8, 0xf9, 0xfa, 0xfc, 0xff]) assert.equal(payloadText(new Uint8Array([lead, 0x80, 0x80, 0x80]).buffer), undefined, lead.toString(16));
});
