// The assembler's second frame kind: FF AA frames of the BLE module (facts §4.7), on the same
// notifications as the JBD frames. Real frames of jbd-frames.json, mixed streams, splits, garbage, bad sums.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FrameAssembler, MAX_NOTIFICATION } from "../../modules/protocol/assembler";
import { MAX_FRAME } from "../../modules/protocol/frame";
import { moduleRequest } from "../../modules/protocol/auth";
import { FFAA_VECTORS, REQUESTS, RESPONSES, bytes, random, reply } from "./vectors";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

/** An assembler whose sink records both kinds, in arrival order ("dd..." and "ffaa..." hex). */
function recording(gapMs?: number) {
  const frames: string[] = [];
  const kinds: ("jbd" | "module")[] = [];
  const assembler = new FrameAssembler({
    onFrame(frame, length) { frames.push(hex(frame.subarray(0, length))); kinds.push("jbd"); },
    onModuleFrame(frame, length) { frames.push(hex(frame.subarray(0, length))); kinds.push("module"); },
  }, gapMs);
  return { assembler, frames, kinds };
}

function assertAccounted(assembler: FrameAssembler, frames: string[]): void {
  const s = assembler.stats;
  const delivered = frames.reduce((sum, f) => sum + f.length / 2, 0);
  assert.equal(s.bytes, delivered + s.garbageBytes + s.discardedBytes + assembler.pending);
  assert.equal(s.frames + s.moduleFrames, frames.length);
  assert.ok(assembler.pending < MAX_FRAME, `pending ${assembler.pending}`);
}

/** Random bytes with no 0xDD and no 0xFF: never a frame start. */
function cleanGarbage(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => { const b = Math.floor(next() * 254); return b >= 0xdd ? b + 1 : b; });
}

function split(stream: Uint8Array, next: () => number, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < stream.length;) {
    const size = 1 + Math.floor(next() * maxChunk);
    chunks.push(stream.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

const basicInfo = bytes(RESPONSES.find((v) => v.cmd === 3)!.hex);

describe("FF AA frames", () => {
  test("every FF AA frame of jbd-frames.json goes to onModuleFrame, whole, with cmd and len in place", () => {
    assert.ok(FFAA_VECTORS.length >= 11);
    for (const v of FFAA_VECTORS) {
      const seen: { cmd: number; len: number; length: number; hex: string }[] = [];
      const assembler = new FrameAssembler({
        onFrame() { assert.fail("not a JBD frame"); },
        onModuleFrame(frame, length) { seen.push({ cmd: frame[2], len: frame[3], length, hex: hex(frame.subarray(0, length)) }); },
      });
      assembler.push(bytes(v.hex), 0);
      const frame = bytes(v.hex);
      assert.deepEqual(seen, [{ cmd: v.cmd, len: frame[3], length: frame.length, hex: v.hex }]);
      assert.equal(assembler.stats.moduleFrames, 1);
      assert.equal(assembler.stats.frames, 0);
      assert.equal(assembler.stats.garbageBytes + assembler.stats.discardedBytes + assembler.pending, 0);
    }
  });

  test("split at every boundary, in two and in three notifications, gives the same frame", () => {
    for (const v of FFAA_VECTORS) {
      const frame = bytes(v.hex);
      const { assembler, frames } = recording();
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
      assert.equal(assembler.stats.gapTimeouts, 0);
    }
  });

  test("a DD reply and an FF AA reply in one notification, either order, and split between them", () => {
    const module = bytes("ffaa1701c9e1"); // the V1.3 capture: a 0x04 reply and a random byte back to back
    const cells = bytes("dd0400080d870dc10dca0d59fd5977");
    for (const stream of [concat(cells, module), concat(module, cells)]) {
      for (let cut = 0; cut <= stream.length; cut++) {
        const { assembler, frames } = recording();
        assembler.push(stream.subarray(0, cut), 0);
        assembler.push(stream.subarray(cut), 1);
        assert.deepEqual(frames, stream[0] === 0xdd ? [hex(cells), hex(module)] : [hex(module), hex(cells)], `cut ${cut}`);
        assertAccounted(assembler, frames);
      }
    }
  });

  test("without onModuleFrame: counted and dropped as garbage, the DD frames unchanged", () => {
    const jbd: string[] = [];
    const assembler = new FrameAssembler({ onFrame(frame, length) { jbd.push(hex(frame.subarray(0, length))); } });
    const stream = concat(...FFAA_VECTORS.flatMap((v) => [bytes(v.hex), basicInfo]));
    assembler.push(stream, 0);
    assert.equal(jbd.length, FFAA_VECTORS.length);
    assert.ok(jbd.every((f) => f === hex(basicInfo)));
    assert.equal(assembler.stats.moduleFrames, FFAA_VECTORS.length);
    assert.equal(assembler.stats.garbageBytes, FFAA_VECTORS.reduce((sum, v) => sum + v.hex.length / 2, 0));
    assert.equal(assembler.stats.badHeader + assembler.stats.badChecksum + assembler.stats.discardedBytes, 0);
  });

  test("every FF AA length the len byte allows (5..260 bytes), whole and in 20-byte notifications", () => {
    for (const len of [0, 1, 6, 15, 16, 100, 255]) {
      const frame = moduleRequest(0x42, Uint8Array.from({ length: len }, (_, i) => (i * 91 + 0xdd) & 0xff));
      const { assembler, frames } = recording();
      assembler.push(frame, 0);
      for (let at = 0; at < frame.length; at += 20) assembler.push(frame.subarray(at, at + 20), 1);
      assert.deepEqual(frames, [hex(frame), hex(frame)], `len ${len}`);
    }
  });

  test("echoed requests pass: DD A5 / DD 5A as frames, FF AA requests as module frames", () => {
    const requests = [...REQUESTS.map((v) => v.hex), ...FFAA_VECTORS.filter((v) => v.kind === "request").map((v) => v.hex)];
    const { assembler, frames, kinds } = recording();
    for (const h of requests) assembler.push(bytes(h), 0);
    assert.deepEqual(frames, requests);
    assert.deepEqual(kinds, requests.map((h) => (h.startsWith("dd") ? "jbd" : "module")));
  });
});

describe("FF AA discards", () => {
  test("wrong sum: counted as badChecksum, its bytes discarded, the next frame delivered", () => {
    const bad = bytes("ffaa1801001a"); // ok reply with the NACK's sum
    const { assembler, frames } = recording();
    assembler.push(concat(bad, basicInfo), 0);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.badChecksum, 1);
    assert.equal(assembler.stats.discardedBytes, bad.length);
    assert.equal(assembler.stats.moduleFrames, 0);
    assertAccounted(assembler, frames);
  });

  test("any one wrong byte of an FF AA frame is refused", () => {
    for (const v of FFAA_VECTORS) {
      const frame = bytes(v.hex);
      for (let at = 4; at < frame.length; at++) { // data and sum bytes (a changed len byte changes the length)
        const bad = frame.slice();
        bad[at] ^= 0x10;
        const { assembler, frames } = recording();
        assembler.push(bad, 0);
        assembler.push(new Uint8Array(0), 1000);
        assert.deepEqual(frames, [], `${v.hex} byte ${at}`);
        assert.equal(assembler.stats.badChecksum, 1);
      }
    }
  });

  test("0xFF not followed by 0xAA is garbage at once (no badHeader: that counts 0xDD false starts)", () => {
    const { assembler, frames } = recording();
    assembler.push(Uint8Array.of(0xff, 0xab, 0x18, 0x01, 0x00, 0x19), 0);
    assembler.push(basicInfo, 1);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.garbageBytes, 6);
    assert.equal(assembler.stats.badHeader, 0);
    assert.equal(assembler.pending, 0);
  });

  test("a 0xFF that ends a notification waits for the next byte", () => {
    const module = bytes("ffaa18010019");
    const { assembler, frames } = recording();
    assembler.push(Uint8Array.of(1, 2, 0xff), 0);
    assert.equal(assembler.pending, 1);
    assert.equal(assembler.stats.garbageBytes, 2);
    assembler.push(module.subarray(1), 1); // AA ...: it was a module frame
    assert.deepEqual(frames, [hex(module)]);
    assembler.push(Uint8Array.of(0xff), 2);
    assembler.push(basicInfo, 3); // DD ...: it was garbage
    assert.deepEqual(frames, [hex(module), hex(basicInfo)]);
    assert.equal(assembler.stats.garbageBytes, 3);
    assert.equal(assembler.stats.gapTimeouts, 0);
    assertAccounted(assembler, frames);
  });

  test("a lone 0xFF dropped by a gap or by reset() is garbage, not a timed-out or truncated frame", () => {
    const { assembler, frames } = recording(200);
    assembler.push(Uint8Array.of(0xff), 0);
    assembler.push(basicInfo, 1000);
    assembler.push(Uint8Array.of(0x00, 0xff), 1001);
    assembler.reset();
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.equal(assembler.stats.garbageBytes, 3);
    assert.equal(assembler.stats.gapTimeouts + assembler.stats.truncated + assembler.stats.discardedBytes, 0);
    assert.equal(assembler.pending, 0);
  });

  test("a partial FF AA frame: dropped after the gap, counted like a partial JBD frame", () => {
    const module = bytes("ffaa1d01001e");
    const { assembler, frames } = recording(200);
    assembler.push(module.subarray(0, 3), 0);
    assembler.push(module.subarray(3), 500);
    assert.deepEqual(frames, []);
    assert.equal(assembler.stats.gapTimeouts, 1);
    assert.equal(assembler.stats.discardedBytes, 3);
    assert.equal(assembler.stats.garbageBytes, 3); // the orphaned tail
    assembler.push(module.subarray(0, 4), 600);
    assembler.reset();
    assert.equal(assembler.stats.truncated, 1);
    assertAccounted(assembler, frames);
  });

  test("a false FF AA start with a long length does not hide the frames behind it", () => {
    const falseStart = Uint8Array.of(0xff, 0xaa, 0x42, 0xff); // 260 bytes long by its len byte
    const module = bytes("ffaa15010016");
    const { assembler, frames } = recording();
    assembler.push(concat(falseStart, basicInfo, module), 0);
    assert.deepEqual(frames, []);
    assembler.push(new Uint8Array(0), 500);
    assert.deepEqual(frames, [hex(basicInfo), hex(module)]);
    assert.equal(assembler.stats.gapTimeouts, 1);
    assert.equal(assembler.stats.discardedBytes, falseStart.length);
  });

  test("an FF AA pair inside a rejected DD frame is a candidate too, and the frame after both is found", () => {
    const bad = reply(0x03, [0x01, 0xff, 0xaa, 0x01, 0x05]);
    bad[4] ^= 1; // bad checksum
    const { assembler, frames } = recording();
    assembler.push(concat(bad, basicInfo), 0);
    assembler.push(new Uint8Array(0), 500);
    assert.deepEqual(frames, [hex(basicInfo)]);
    assert.ok(assembler.stats.badChecksum >= 1);
    assertAccounted(assembler, frames);
  });
});

describe("mixed streams", () => {
  const all = [...RESPONSES.map((v) => v.hex), ...FFAA_VECTORS.map((v) => v.hex)];

  test("DD and FF AA frames with clean garbage between them, in random notifications: all delivered, in order", () => {
    const next = random(21);
    for (let round = 0; round < 300; round++) {
      const picked = Array.from({ length: 1 + Math.floor(next() * 8) }, () => all[Math.floor(next() * all.length)]);
      let garbage = 0;
      const parts: Uint8Array[] = [];
      for (const h of picked) {
        const g = next() < 0.5 ? cleanGarbage(next, Math.floor(next() * 10)) : new Uint8Array(0);
        garbage += g.length;
        parts.push(g, bytes(h));
      }
      const { assembler, frames, kinds } = recording();
      split(concat(...parts), next, 24).forEach((chunk, i) => assembler.push(chunk, i));
      assert.deepEqual(frames, picked);
      assert.deepEqual(kinds, picked.map((h) => (h.startsWith("dd") ? "jbd" : "module")));
      assert.equal(assembler.stats.garbageBytes, garbage);
      assertAccounted(assembler, frames);
    }
  });

  test("with 0xDD, 0xFF and 0xAA in the garbage: every frame still comes out once false starts time out", () => {
    const next = random(22);
    const noisy = [0xdd, 0xff, 0xaa];
    for (let round = 0; round < 300; round++) {
      const picked = Array.from({ length: 1 + Math.floor(next() * 5) }, () => all[Math.floor(next() * all.length)]);
      const garbage = () => Uint8Array.from({ length: Math.floor(next() * 10) }, () => (next() < 0.4 ? noisy[Math.floor(next() * 3)] : Math.floor(next() * 256)));
      const stream = concat(...picked.flatMap((h) => [garbage(), bytes(h)]), garbage());
      const { assembler, frames } = recording();
      split(stream, next, 30).forEach((chunk, i) => assembler.push(chunk, i));
      assembler.push(new Uint8Array(0), 10_000);
      // a false start may, rarely, hold a real frame's bytes past the expiry and so be cut by it: every
      // picked frame must be there, and anything more must be a valid frame found inside the garbage
      let at = 0;
      for (const f of frames) if (f === picked[at]) at++;
      assert.equal(at, picked.length, `round ${round}: ${frames.join(" ")}`);
      assert.equal(assembler.pending, 0);
      assertAccounted(assembler, frames);
    }
  });

  test("random bytes rich in DD / FF / AA: never throw, never hold more than a frame, account for every byte", () => {
    const next = random(23);
    const noisy = [0xdd, 0xff, 0xaa, 0x00];
    for (let round = 0; round < 300; round++) {
      const { assembler, frames } = recording(next() < 0.5 ? 200 : 20);
      let now = 0;
      for (let push = 0; push < 60; push++) {
        let chunk: Uint8Array;
        const kind = next();
        if (kind < 0.3) chunk = bytes(all[Math.floor(next() * all.length)]);
        else if (kind < 0.35) chunk = Uint8Array.from({ length: MAX_NOTIFICATION + 1 + Math.floor(next() * 600) }, () => Math.floor(next() * 256));
        else chunk = Uint8Array.from({ length: Math.floor(next() * 25) }, () => (next() < 0.3 ? noisy[Math.floor(next() * 4)] : Math.floor(next() * 256)));
        if (next() < 0.2 && chunk.length > 2) chunk = chunk.subarray(Math.floor(next() * chunk.length));
        now += next() < 0.1 ? 500 : Math.floor(next() * 30);
        assembler.push(chunk, now);
        if (next() < 0.02) assembler.reset();
        assertAccounted(assembler, frames);
      }
    }
  });

  test("stats.clear() zeroes moduleFrames too", () => {
    const { assembler } = recording();
    assembler.push(bytes("ffaa15010016"), 0);
    assert.equal(assembler.stats.moduleFrames, 1);
    assembler.stats.clear();
    assert.ok(Object.values(assembler.stats).every((value) => value === 0));
  });
});
