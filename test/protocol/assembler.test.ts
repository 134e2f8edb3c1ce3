// Frame assembler: chunking, garbage, timeouts and every discard reason, on the real frames and on
// seeded random streams.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FrameAssembler, MAX_NOTIFICATION } from "../../modules/protocol/assembler";
import { MAX_FRAME } from "../../modules/protocol/frame";
import { FFAA_VECTORS, RESPONSES, bytes, random, recordingAssembler, reply } from "./vectors";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

/** Random bytes that contain no 0xDD and no 0xFF (garbage the assembler can never mistake for a frame start). */
function cleanGarbage(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => { const b = Math.floor(next() * 254); return b >= 0xdd ? b + 1 : b; });
}

/** Split `stream` into notifications of 1..maxChunk bytes. */
function split(stream: Uint8Array, next: () => number, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length;) {
    const size = 1 + Math.floor(next() * maxChunk);
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** Every byte pushed is in a delivered frame, counted as garbage or discarded, or still pending. */
function assertAccounted(assembler: FrameAssembler, frames: string[]): void {
  const s = assembler.stats;
  const delivered = frames.reduce((sum, f) => sum + f.length / 2, 0);
  assert.equal(s.bytes, delivered + s.garbageBytes + s.discardedBytes + assembler.pending);
  assert.equal(s.frames, frames.length);
  assert.ok(assembler.pending < MAX_FRAME, `pending ${assembler.pending}`);
}

describe("chunking", () => {
  test("every reply split at every boundary, in two and in three notifications, gives the same frame", () => {
    for (const v of RESPONSES) {
      const frame = bytes(v.hex);
      const { assembler, frames } = recordingAssembler();
      let expected = 0;
      for (let i = 1; i < frame.length; i++) {
        for (let j = i; j < frame.length; j++) {
          assembler.push(frame.subarray(0, i), 0);
          if (j > i) assembler.push(frame.subarray(i, j), 1);
          assembler.push(frame.subarray(j), 2);
          expected++;
        }
      }
      assert.equal(frames.length, expected, v.hex);
      assert.ok(frames.every((f) => f === v.hex));
      assert.equal(assembler.stats.garbageBytes + assembler.stats.discardedBytes + assembler.pending, 0);
    }
  });

  test("garbage without 0xDD / 0xFF and FF AA frames (no module sink: dropped as garbage) around the frames, in random notifications", () => {
    const next = random(1);
    for (let round = 0; round < 200; round++) {
      const picked = Array.from({ length: 1 + Math.floor(next() * 5) }, () => RESPONSES[Math.floor(next() * RESPONSES.length)]);
      const parts: Uint8Array[] = [];
      let garbage = 0;
      for (const v of picked) {
        const g = next() < 0.3 ? bytes(FFAA_VECTORS[Math.floor(next() * FFAA_VECTORS.length)].hex)
          : cleanGarbage(next, Math.floor(next() * 30));
        garbage += g.length;
        parts.push(g, bytes(v.hex));
      }
      const tail = cleanGarbage(next, Math.floor(next() * 30));
      garbage += tail.length;
      const { assembler, frames } = recordingAssembler();
      split(concat(...parts, tail), next, 40).forEach((chunk, i) => assembler.push(chunk, i));
      assert.deepEqual(frames, picked.map((v) => v.hex));
      assert.equal(assembler.stats.garbageBytes, garbage);
      assertAccounted(assembler, frames);
    }
  });

  test("garbage with 0xDD in it: every frame still comes out, once the false starts time out", () => {
    const next = random(2);
    for (let round = 0; round < 200; round++) {
      const picked = Array.from({ length: 1 + Math.floor(next() * 4) }, () => RESPONSES[Math.floor(next() * RESPONSES.length)]);
      const garbage = () => Uint8Array.from({ length: Math.floor(next() * 12) }, () => (next() < 0.25 ? 0xdd : Math.floor(next() * 256)));
      const stream = concat(...picked.flatMap((v) => [garbage(), bytes(v.hex)]), garbage());
      const { assembler, frames } = recordingAssembler();
      split(stream, next, 30).forEach((chunk, i) => assembler.push(chunk, i));
      assembler.push(new Uint8Array(0), 10_000); // a late notification expires what is left
      assert.deepEqual(frames, picked.map((v) => v.hex));
      assert.equal(assembler.pending, 0);
      assertAccounted(assembler, frames);
    }
  });

  test("two frames and trailing garbage in one notification", () => {
    const [a, b] = [bytes(RESPONSES[0].hex), bytes(RESPONSES[1].hex)];
    const { assembler, frames } = recordingAssembler();
    assembler.push(concat(a, b, Uint8Array.of(1, 2, 3)), 0);
    assert.deepEqual(frames, [hex(a), hex(b)]);
    assert.equal(assembler.stats.garbageBytes, 3);
  });

  test("the largest frame the length byte allows (262 bytes), whole and in 20-byte notifications", () => {
    const payload = Uint8Array.from({ length: 255 }, (_, i) => (i * 37) & 0xff);
    const frame = reply(0xfa, payload);
    assert.equal(frame.length, 262);
    const { assembler, frames } = recordingAssembler();
    assembler.push(frame, 0);
    for (let at = 0; at < frame.length; at += 20) assembler.push(frame.subarray(at, at + 20), 1);
    assert.deepEqual(frames, [hex(frame), hex(frame)]);
  });

  test("a push longer than any notification (a pasted capture) is taken in pieces", () => {
    const stream = concat(...Array.from({ length: 150 }, (_, i) => bytes(RESPONSES[i % RESPONSES.length].hex)));
    assert.ok(stream.length > 4 * MAX_NOTIFICATION);
    const { assembler, frames } = recordingAssembler();
    assembler.push(stream.slice().buffer, 0);
    assert.equal(frames.length, 150);
    assert.equal(frames.join(""), hex(stream));
  });

  test("push takes an ArrayBuffer (notifications without a typed array), whole or split, and counts its bytes", () => {
    const frame = bytes(RESPONSES[0].hex);
    const { assembler, frames } = recordingAssembler();
    assembler.push(frame.slice().buffer, 0);
    assembler.push(frame.slice(0, 7).buffer, 1);
    assembler.push(frame.slice(7).buffer, 2);
    assert.deepEqual(frames, [RESPONSES[0].hex, RESPONSES[0].hex]);
    assert.equal(assembler.stats.bytes, 2 * frame.length);
    assert.equal(assembler.stats.garbageBytes, 0);
  });
});

describe("discards, counted by reason", () => {
  const basicInfo = bytes(RESPONSES.find((v) => v.cmd === 3)!.hex);

  test("wrong checksum", () => {
    const bad = basicInfo.slice();
    bad[10] ^= 1;
    const { assembler, frames } = recordingAssembler();
    assembler.push(concat(bad, basicInfo), 0);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.badChecksum, 1);
    assert.equal(assembler.stats.discardedBytes, bad.length);
  });

  test("wrong end byte", () => {
    const bad = basicInfo.slice();
    bad[bad.length - 1] = 0x78;
    const { assembler, frames } = recordingAssembler();
    assembler.push(bad, 0);
    assembler.push(basicInfo, 1);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.badEnd, 1);
    assert.equal(assembler.stats.discardedBytes, bad.length);
  });

  test("0xDD without a JBD header is garbage at once", () => {
    const { assembler, frames } = recordingAssembler();
    assembler.push(Uint8Array.of(0xdd, 0x03, 0x42, 0xff), 0); // status 0x42: no reply, no request
    assembler.push(basicInfo, 1);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.badHeader, 1);
    assert.equal(assembler.stats.garbageBytes, 4);
  });

  test("FF AA reply whose random byte is 0xDD is one module frame (no false 0xDD start), then the next frame", () => {
    const { assembler, frames } = recordingAssembler();
    assembler.push(bytes("ffaa1701ddf5"), 0);
    assembler.push(basicInfo.subarray(0, 20), 1);
    assembler.push(basicInfo.subarray(20), 2);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.badHeader, 0);
    assert.equal(assembler.stats.moduleFrames, 1);
    assert.equal(assembler.stats.garbageBytes, 6); // no onModuleFrame: dropped
  });

  test("a false start with a long length does not hide the frame behind it", () => {
    const falseStart = Uint8Array.of(0xdd, 0x03, 0x00, 0xff); // plausible header, 262 bytes long
    const { assembler, frames } = recordingAssembler();
    assembler.push(concat(falseStart, basicInfo), 0);
    assert.deepEqual(frames, []);
    assembler.push(basicInfo, 500); // next notification too late: the false start expires
    assert.deepEqual(frames, [hex(basicInfo), hex(basicInfo)]);
    assert.equal(assembler.stats.gapTimeouts, 1);
    assert.equal(assembler.stats.discardedBytes, falseStart.length);
  });

  test("gap timeout drops a partial frame; a gap of exactly gapMs does not", () => {
    const { assembler, frames } = recordingAssembler(200);
    assembler.push(basicInfo.subarray(0, 20), 1000);
    assembler.push(basicInfo.subarray(20), 1200);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assembler.push(basicInfo.subarray(0, 20), 2000);
    assembler.push(basicInfo.subarray(20), 2201);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.gapTimeouts, 1);
    assert.equal(assembler.stats.discardedBytes, 20);
    assert.equal(assembler.stats.garbageBytes, basicInfo.length - 20); // the orphaned second half
  });

  test("a clock that goes backwards counts as a gap", () => {
    const { assembler, frames } = recordingAssembler();
    assembler.push(basicInfo.subarray(0, 20), 1000);
    assembler.push(basicInfo.subarray(20), 999);
    assert.deepEqual(frames, []);
    assert.equal(assembler.stats.gapTimeouts, 1);
  });

  test("reset() mid-frame counts a truncated frame and starts clean", () => {
    const { assembler, frames } = recordingAssembler();
    assembler.push(basicInfo.subarray(0, 20), 0);
    assembler.reset();
    assembler.reset(); // nothing held: nothing counted
    assembler.push(basicInfo.subarray(20), 1);
    assembler.push(basicInfo, 2);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.truncated, 1);
    assert.equal(assembler.stats.discardedBytes, 20);
    assertAccounted(assembler, frames);
  });

  test("error-status replies are delivered and counted", () => {
    const { assembler, frames } = recordingAssembler();
    for (const h of ["dd248100ff7f77", "dde38000ff8077", "dde10000000077"]) assembler.push(bytes(h), 0);
    assert.equal(frames.length, 3);
    assert.equal(assembler.stats.errorStatus, 2);
  });

  test("stats.clear() zeroes every counter", () => {
    const { assembler } = recordingAssembler();
    assembler.push(Uint8Array.of(1, 0xdd, 0x00, 0x42), 0);
    assembler.stats.clear();
    assert.ok(Object.values(assembler.stats).every((value) => value === 0));
  });
});

describe("checksum fast path", () => {
  test("accepts every right checksum and rejects any one wrong byte, for every payload length", () => {
    const next = random(3);
    for (let length = 0; length <= 255; length++) {
      for (const fill of ["random", "0xff"] as const) {
        const payload = Uint8Array.from({ length }, () => (fill === "0xff" ? 0xff : Math.floor(next() * 256)));
        const frame = reply(0x42, payload);
        const corrupted = frame.slice();
        const at = 4 + Math.floor(next() * length); // a payload byte
        if (length > 0) corrupted[at] = (corrupted[at] + 1 + Math.floor(next() * 255)) & 0xff;
        const { assembler, frames } = recordingAssembler();
        assembler.push(frame, 0);
        assembler.push(corrupted, 1);
        assembler.push(new Uint8Array(0), 1000); // expire any false start found inside the bad frame
        assert.deepEqual(frames, length > 0 ? [hex(frame)] : [hex(frame), hex(frame)], `length ${length}`);
        // A payload 0xDD can start a false candidate after the rejection; it is rejected too.
        if (length > 0) assert.ok(assembler.stats.badChecksum >= 1, `length ${length}, byte ${at}`);
      }
    }
  });
});

describe("random streams", () => {
  test("never throw, never hold more than one partial frame, and account for every byte", () => {
    const next = random(4);
    for (let round = 0; round < 300; round++) {
      const { assembler, frames } = recordingAssembler(next() < 0.5 ? 200 : 20);
      let now = 0;
      for (let push = 0; push < 60; push++) {
        let chunk: Uint8Array;
        const kind = next();
        if (kind < 0.3) chunk = bytes(RESPONSES[Math.floor(next() * RESPONSES.length)].hex);
        else if (kind < 0.35) chunk = Uint8Array.from({ length: 513 + Math.floor(next() * 600) }, () => Math.floor(next() * 256));
        else chunk = Uint8Array.from({ length: Math.floor(next() * 25) }, () => (next() < 0.1 ? 0xdd : Math.floor(next() * 256)));
        if (next() < 0.2 && chunk.length > 2) chunk = chunk.subarray(Math.floor(next() * chunk.length)); // a torn frame
        now += next() < 0.1 ? 500 : Math.floor(next() * 30);
        assembler.push(chunk, now);
        if (next() < 0.02) assembler.reset();
        assertAccounted(assembler, frames);
      }
    }
  });
});
