// The console's byte-level output: UTF-8 both ways (the serial line carries bytes) and the
// bounded transmit ring. Vectors at every encoding boundary, and the ring across its wrap.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ByteQueue, CaptureOutput, TRUNCATED, decodeUtf8, utf8Prefix } from "../../modules/console/output";

const b = (...bytes: number[]) => new Uint8Array(bytes);
const R = "\ufffd";

describe("decodeUtf8", () => {
  test("every sequence length at its boundaries", () => {
    const cases: [number[], string][] = [
      [[0x41], "A"], [[0x7f], "\u007f"],
      [[0xc2, 0x80], "\u0080"], [[0xc3, 0xa9], "é"], [[0xdf, 0xbf], "\u07ff"],
      [[0xe0, 0xa0, 0x80], "\u0800"], [[0xe2, 0x82, 0xac], "€"], [[0xed, 0x9f, 0xbf], "\ud7ff"], [[0xee, 0x80, 0x80], "\ue000"], [[0xef, 0xbf, 0xbf], "\uffff"],
      [[0xf0, 0x90, 0x80, 0x80], "\u{10000}"], [[0xf0, 0x9f, 0x98, 0x80], "😀"], [[0xf4, 0x8f, 0xbf, 0xbf], "\u{10ffff}"],
    ];
    for (const [bytes, text] of cases) {
      assert.equal(decodeUtf8(b(...bytes)), text, bytes.map((x) => x.toString(16)).join(" "));
      assert.deepEqual([...new TextEncoder().encode(text)], bytes, "the vector itself is right");
    }
  });

  test("malformed input becomes U+FFFD and decoding goes on", () => {
    const cases: [number[], string][] = [
      [[0x80], R], [[0xbf], R], [[0xc0, 0x80], R + R], [[0xc1, 0xbf], R + R], [[0xf5, 0x80], R + R], [[0xff], R],
      [[0xe0, 0x80, 0x80], R], [[0xe0, 0x9f, 0xbf], R], [[0xed, 0xa0, 0x80], R], [[0xed, 0xbf, 0xbf], R],
      [[0xf0, 0x80, 0x80, 0x80], R], [[0xf0, 0x8f, 0xbf, 0xbf], R], [[0xf4, 0x90, 0x80, 0x80], R],
      [[0xe2, 0x82], R], [[0xc3], R], [[0xf0, 0x9f, 0x98], R],
      [[0xe2, 0x41], R + "A"], [[0xc3, 0x41, 0x42], R + "AB"], [[0xf0, 0x9f, 0x41], R + "A"], [[0xe2, 0x82, 0x41], R + "A"],
      [[0x41, 0xc3, 0xa9, 0x80, 0x42], "Aé" + R + "B"],
    ];
    for (const [bytes, text] of cases) assert.equal(decodeUtf8(b(...bytes)), text, bytes.map((x) => x.toString(16)).join(" "));
  });

  test("a range of the buffer: a sequence cut by the end is malformed", () => {
    const bytes = b(0x41, 0xc3, 0xa9, 0x42, 0xe2, 0x82, 0xac);
    assert.equal(decodeUtf8(bytes, 1, 3), "é");
    assert.equal(decodeUtf8(bytes, 1, 2), R);
    assert.equal(decodeUtf8(bytes, 3), "B€");
    assert.equal(decodeUtf8(bytes, 4, 6), R);
    assert.equal(decodeUtf8(bytes, 2, 2), "");
  });
});

describe("utf8Prefix", () => {
  test("the longest prefix that fits, never splitting a character", () => {
    const text = "aé€😀b"; // 1 + 2 + 3 + 4 + 1 bytes
    const expected = ["", "a", "a", "aé", "aé", "aé", "aé€", "aé€", "aé€", "aé€", "aé€😀", "aé€😀b", "aé€😀b"];
    expected.forEach((prefix, max) => assert.equal(utf8Prefix(text, max), prefix, `${max} bytes`));
    assert.equal(utf8Prefix("😀😀", 7), "😀", "a surrogate pair counts once, as 4 bytes");
    assert.equal(utf8Prefix("😀😀", 8), "😀😀");
    assert.equal(utf8Prefix("\ud800x", 3), "\ud800", "a lone surrogate is 3 bytes (U+FFFD on the wire)");
    assert.equal(utf8Prefix("\ud800x", 4), "\ud800x");
  });
});

describe("ByteQueue", () => {
  const drain = (q: ByteQueue) => {
    const out: number[] = [];
    for (let part = q.peek(1 << 20); part.length; part = q.peek(1 << 20)) { out.push(...part); q.consume(part.length); }
    return out;
  };

  test("text goes in as UTF-8, lone surrogates as U+FFFD", () => {
    const q = new ByteQueue(64);
    for (const text of ["A", "é", "\u07ff", "\u0800", "€", "\uffff", "😀", "\u{10ffff}", "a😀b"]) {
      assert.equal(q.pushText(text), true);
      assert.deepEqual(drain(q), [...new TextEncoder().encode(text)], text);
    }
    q.pushText("\ud800x\udc00");
    assert.deepEqual(drain(q), [0xef, 0xbf, 0xbd, 0x78, 0xef, 0xbf, 0xbd]);
    q.pushText("\ud83dz");
    assert.deepEqual(drain(q), [0xef, 0xbf, 0xbd, 0x7a], "a high surrogate without its low half");
  });

  test("a write that does not fit is dropped whole and counted; one that fits exactly is taken", () => {
    const q = new ByteQueue(8);
    assert.deepEqual([q.capacity, q.length, q.free], [8, 0, 8]);
    assert.equal(q.pushText("abcé"), true); // 5 bytes
    assert.deepEqual([q.length, q.free], [5, 3]);
    assert.equal(q.pushText("€x"), false, "4 bytes into 3");
    assert.deepEqual([q.droppedBytes, q.droppedWrites, q.length], [4, 1, 5]);
    assert.equal(q.pushBytes(b(1, 2, 3, 4), 1), true, "3 bytes fill it exactly");
    assert.deepEqual([q.length, q.free], [8, 0]);
    assert.equal(q.pushByte(9), false);
    assert.equal(q.pushBytes(b(1), 0, 1), false);
    assert.deepEqual([q.droppedBytes, q.droppedWrites], [6, 3]);
    assert.deepEqual(drain(q), [0x61, 0x62, 0x63, 0xc3, 0xa9, 2, 3, 4]);
    assert.equal(q.pushBytes(b(1, 2, 3), 1, 1), true, "nothing to add always fits");
    assert.equal(q.length, 0);
  });

  test("across the wrap: peek gives the contiguous part, consume never goes past the end", () => {
    const q = new ByteQueue(4);
    q.pushBytes(b(1, 2, 3));
    q.consume(2);
    assert.equal(q.pushBytes(b(4, 5, 6)), true);
    assert.deepEqual([...q.peek(10)], [3, 4], "up to the end of the ring");
    assert.deepEqual([...q.peek(1)], [3], "at most max");
    q.consume(2);
    assert.deepEqual([...q.peek(10)], [5, 6]);
    q.consume(10);
    assert.deepEqual([q.length, q.peek(10).length], [0, 0]);
    for (let i = 0; i < 4; i++) assert.equal(q.pushByte(10 + i), true);
    assert.equal(q.pushByte(99), false);
    assert.deepEqual(drain(q), [10, 11, 12, 13]);
    q.pushBytes(b(7, 8));
    q.clear();
    assert.deepEqual([q.length, q.free], [0, 4]);
    q.pushBytes(b(1, 2, 3, 4));
    assert.deepEqual([...q.peek(4)], [1, 2, 3, 4], "clear starts the ring at its beginning");
  });
});

describe("CaptureOutput", () => {
  test("line adds \\n; nothing more is kept once cut; an empty write changes nothing", () => {
    const c = new CaptureOutput(6);
    c.write("");
    c.line();
    c.line("ab");
    assert.equal(c.text(), "\nab\n");
    c.write("éé");
    assert.equal(c.truncated, true);
    assert.equal(c.text(), "\nab\né" + TRUNCATED, "cut on a character boundary (6 bytes)");
    c.write("x");
    assert.equal(c.text(), "\nab\né" + TRUNCATED);
    const d = new CaptureOutput(3);
    d.write("ab");
    d.write("€");
    assert.equal(d.text(), "ab" + TRUNCATED, "a character that does not fit is left out whole");
  });
});
