// The protocol core compiled as mcconfig would (TypeScript to modern JS, no Node APIs) and run inside
// Moddable's XS engine through xsnap: same vectors, same results as on Node, and no allocation per
// notification or per decoded frame in steady state.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { XsWorker } from "../../scripts/lib/xs";
import { FFAA_VECTORS, RESPONSES } from "../protocol/vectors";
import { allocatingCalls, counts, prepare, slotsAllocated, startWorkload } from "./measure";
import { replay } from "./workload";

// One poll cycle of every kind of traffic a link sees, as the BLE notifications arrive.
const STREAM = [
  "dd03001d0534000068c96d6000002c7c00000000", "000080600304030b6d0b6d0b69fab677", // 0x03, 20 + 16
  "dd0400080d030d010d030d02ffbb77", // 0x04, one notification
  "ddaa001800000000000000000001000000000000", "0000000000000001ffe677", // 0xAA, 20 + 11
  "dd0500194a42442d53503034533033342d4c3453", "2d323030412d422d55fa0877", // 0x05, 20 + 12
  "dde10000000077", "dde38000ff8077", // MOS ack, error status 0x80
  "ffaa1701374f", // the BLE module's own protocol: garbage here
];
const DECODED_PER_CYCLE = 4;
const FRAMES_PER_CYCLE = 6;
const CYCLES = 10_000;

let xs: XsWorker;
before(async () => {
  xs = await startWorkload();
  await prepare(xs, STREAM, [STREAM[0] + STREAM[1], STREAM[2], STREAM[3] + STREAM[4], STREAM[5] + STREAM[6]]);
});
after(async () => { await xs?.close(); });

describe("core on XS", () => {
  test("every captured frame comes out of the assembler and decodes as on Node", async () => {
    const vectors = [
      ...RESPONSES.map((v) => ({ chunks: v.chunks ?? [v.hex] })),
      ...FFAA_VECTORS.map((v) => ({ chunks: [v.hex, RESPONSES[0].hex] })),
    ];
    const { value: onXs } = await xs.run<ReturnType<typeof replay>>(`globalThis.__result = W.replay(${JSON.stringify(vectors)});`);
    assert.deepEqual(onXs, replay(vectors));
    assert.ok(onXs.every((r) => r.frames.length === 1), "one frame per vector");
    assert.equal(JSON.parse(onXs[0].frames[0]).voltage, 58.88);
  });

  test("0 heap slots per notification and per decoded frame", async () => {
    const slots = await slotsAllocated(xs, "core", CYCLES);
    const seen = await counts(xs);
    const cycles = seen.frames / FRAMES_PER_CYCLE; // the measured ones and a few warm-up cycles
    assert.ok(Number.isInteger(cycles) && cycles >= CYCLES, `${seen.frames} frames`);
    assert.equal(seen.decoded, cycles * DECODED_PER_CYCLE);
    assert.equal(seen.errorStatus, cycles);
    assert.equal(seen.garbageBytes, cycles * 6); // the FF AA notification, nothing else
    assert.equal(seen.discardedBytes + seen.pending, 0);
    assert.ok(Math.abs(slots) <= 2, `${slots} slots over ${CYCLES} cycles (${CYCLES * STREAM.length} notifications, ` +
      `${CYCLES * FRAMES_PER_CYCLE} frames)`);
  });

  test("0 heap slots in the decoders alone", async () => {
    const slots = await slotsAllocated(xs, "decoders", CYCLES);
    assert.ok(Math.abs(slots) <= 2, `${slots} slots over ${CYCLES * DECODED_PER_CYCLE} decoded frames`);
  });

  test("the slot measurement sees allocation: one object per cycle, and the seed-style reference", async () => {
    const control = await slotsAllocated(xs, "control", CYCLES);
    assert.ok(control >= CYCLES && control <= 3 * CYCLES, `${control}`);
    assert.ok(await slotsAllocated(xs, "reference", 1_000) >= 1_000);
  });

  test("no built-in that makes strings, arrays, buffers or views is called on the hot path", async () => {
    assert.deepEqual(await allocatingCalls(xs, "core", 1_000), { total: 0, calls: {} });
    assert.deepEqual(await allocatingCalls(xs, "decoders", 1_000), { total: 0, calls: {} });
  });

  test("decimals printed by the engine (toFixed on m / 10^k) are m's exact digits, for every m within ±200,000", async () => {
    const { value: bad } = await xs.run<string[]>("globalThis.__result = W.decimalMismatches(-200000, 200000);");
    assert.deepEqual(bad, []);
  });

  test("the call counter sees allocating calls (the reference's copies and views)", async () => {
    const { total, calls } = await allocatingCalls(xs, "reference", 10);
    assert.ok(total > 0);
    assert.ok(calls["TypedArray.prototype.slice"] > 0 && calls.DataView > 0 && calls.Uint8Array > 0, JSON.stringify(calls));
  });
});
