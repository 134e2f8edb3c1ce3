// The heap snapshot reader against allocations made on purpose inside xsnap: live slots and chunk
// bytes, and the kinds they are counted under, move by what was allocated and nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startXs } from "../../scripts/lib/xs";
import { heapDifference, readHeapSnapshot } from "./heap-snapshot";

test("a snapshot counts live slots and chunks: 1000 objects, 1000 strings, 64 KB of buffer", async () => {
  const xs = await startXs();
  try {
    await xs.run("globalThis.keep = [];");
    const before = readHeapSnapshot(await xs.snapshot());
    assert.equal(before.slotSize, 32);
    await xs.run("for (let i = 0; i < 1000; i++) keep.push({ a: i }); globalThis.buffer = new ArrayBuffer(65536);" +
      "globalThis.texts = []; for (let i = 0; i < 1000; i++) texts.push('s' + i + 'x'.repeat(40));");
    const after = readHeapSnapshot(await xs.snapshot());
    const d = heapDifference(before, after);
    // each {a: i}: an instance slot and its property slot
    assert.ok(d.kinds.instance >= 1000 && d.kinds.instance < 1010, `instances ${d.kinds.instance}`);
    assert.ok(d.slots >= 2000 && d.slots < 2100, `slots ${d.slots}`);
    // 64 KB buffer + 1000 strings of ~45 bytes (64 with header and rounding) + two arrays of 1000 items (32 bytes each)
    assert.ok(d.chunkBytes >= 65536 + 45_000 + 64_000 && d.chunkBytes < 65536 + 60_000 + 80_000, `chunks ${d.chunkBytes}`);
    // by owner: the buffer, the strings (held by an array's items) and the two arrays' item storage
    assert.ok(d.chunkKinds.arraybuffer >= 65536 && d.chunkKinds.arraybuffer < 65536 + 64, JSON.stringify(d.chunkKinds));
    assert.ok(d.chunkKinds["in array: string"] >= 45_000 && d.chunkKinds["in array: string"] <= 70_000, JSON.stringify(d.chunkKinds));
    assert.ok(d.chunkKinds.array >= 64_000 && d.chunkKinds.array < 80_000, JSON.stringify(d.chunkKinds));
    // on a 32-bit build: the buffer as it is (header 8), array items at 16 bytes
    assert.equal(d.chunkKindsEsp32.arraybuffer, d.chunkKinds.arraybuffer - 8);
    assert.ok(Math.abs(d.chunkKindsEsp32.array - (d.chunkKinds.array - 32) / 2 - 16) < 1, JSON.stringify(d.chunkKindsEsp32));
    await xs.run("keep.length = 0; texts.length = 0; globalThis.buffer = undefined;");
    const freed = heapDifference(before, readHeapSnapshot(await xs.snapshot()));
    assert.ok(Math.abs(freed.slots) < 50 && Math.abs(freed.chunkBytes) < 2048, `after release: ${freed.slots} slots, ${freed.chunkBytes} bytes`);
  } finally { await xs.close(); }
});

test("what is not a snapshot is refused", () => {
  assert.throws(() => readHeapSnapshot(new Uint8Array(16)), /not an XS snapshot/);
});
