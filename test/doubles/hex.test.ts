// The doubles' hex conversion (every BLE value, MQTT payload, serial chunk and flash blob crosses
// the host boundary as hex) must cost the firmware next to nothing inside XS. Measured in XS
// compute units (the engine's own meter), never in wall-clock time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleForXs, startXs, type XsWorker } from "../../scripts/lib/xs";
import { toHex, fromHex } from "./runtime";

const SIZE = 100_000;

async function xsWithRuntime(): Promise<XsWorker> {
  const xs = await startXs();
  await xs.run(await bundleForXs("test/doubles/runtime.ts", { globalName: "runtime" }));
  await xs.run(`globalThis.data = new Uint8Array(${SIZE}); for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 255;`);
  return xs;
}

test("hex: every byte value round-trips, lowercase out, either case in (Node)", () => {
  const all = new Uint8Array(256).map((_, i) => i);
  const hex = toHex(all);
  assert.equal(hex.length, 512);
  assert.match(hex, /^[0-9a-f]+$/);
  assert.equal(hex.slice(0, 8), "00010203");
  assert.equal(hex.slice(-4), "feff");
  assert.deepEqual(new Uint8Array(fromHex(hex)), all);
  assert.deepEqual(new Uint8Array(fromHex(hex.toUpperCase())), all);
  assert.equal(toHex(new Uint8Array(0)), "");
  assert.equal(fromHex("").byteLength, 0);
  // an ArrayBuffer or a view into part of one
  assert.equal(toHex(new Uint8Array([0xde, 0xad, 0xbe, 0xef]).buffer), "deadbeef");
  assert.equal(toHex(new Uint8Array([1, 2, 3, 4]).subarray(1, 3)), "0203");
});

test(`hex: ${SIZE / 1000} KB each way inside XS costs under 25 compute units per byte, and round-trips`, async () => {
  const xs = await xsWithRuntime();
  try {
    const out = await xs.run<number>(`globalThis.hex = runtime.toHex(data); globalThis.__result = hex.length;`);
    assert.equal(out.value, 2 * SIZE);
    const back = await xs.run<number>(`globalThis.back = new Uint8Array(runtime.fromHex(hex)); globalThis.__result = back.length;`);
    assert.equal(back.value, SIZE);
    const same = await xs.run<boolean>(`let same = back.length === data.length; for (let i = 0; i < data.length; i++) if (back[i] !== data[i]) same = false; globalThis.__result = same && /^[0-9a-f]*$/.test(hex);`);
    assert.equal(same.value, true);
    const perByte = (n: number) => (n / SIZE).toFixed(1);
    console.log(`# hex in XS, ${SIZE} bytes: toHex ${out.meter.compute} compute units (${perByte(out.meter.compute)}/byte), fromHex ${back.meter.compute} (${perByte(back.meter.compute)}/byte)`);
    // The byte-at-a-time string version cost 39 (toHex) and 40 (fromHex) units per byte, and its
    // real cost grew with the square of the size (a 100 KB payload stalled the device for seconds).
    assert.ok(out.meter.compute < 25 * SIZE, `toHex: ${out.meter.compute} compute units`);
    assert.ok(back.meter.compute < 25 * SIZE, `fromHex: ${back.meter.compute} compute units`);
  } finally {
    await xs.close();
  }
});
