// Memory figures for `status` and the gateway diag: read right after a collection where the build
// collects them (an instrumented build), nothing and no collection in a release build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryFigures } from "../../modules/platform/memory";
import { instrumentedBuild } from "../doubles/instrumentation";
import { debugCalls } from "../doubles/debug";
import { JsonWriter } from "../../modules/protocol/json";
import { gatewayDiagJson } from "../../modules/bridge/payloads";
import { MqttStats } from "../../modules/bridge/mqtt-connection";

test("a release build collects nothing: no figures, and no collection for nothing", () => {
  instrumentedBuild(undefined);
  const before = debugCalls.collections;
  assert.equal(memoryFigures(), undefined);
  assert.equal(debugCalls.collections, before);
});

test("an instrumented build: the figures are read after a collection, so two readings compare", () => {
  let live = 1000;
  const seenAt: number[] = [];
  instrumentedBuild({
    "System Free Memory": () => 123_456,
    "XS Slot Heap Used": () => { seenAt.push(debugCalls.collections); return live * 16; },
    "XS Chunk Heap Used": () => 20_480,
    "XS Stack Used": () => 4096,
  });
  try {
    const before = debugCalls.collections;
    assert.deepEqual(memoryFigures(), { freeBytes: 123_456, slotHeapBytes: 16_000, chunkHeapBytes: 20_480, stackBytes: 4096 });
    assert.deepEqual(seenAt, [before + 1], "read after the collection it asked for");
    live = 1100;
    assert.equal(memoryFigures()!.slotHeapBytes, 17_600);
    assert.equal(debugCalls.collections, before + 2, "one collection per reading");
  } finally { instrumentedBuild(undefined); }
});

test("the gateway diag carries them when there are any", () => {
  const w = new JsonWriter();
  const text = (payload: ArrayBuffer) => JSON.parse(new TextDecoder().decode(payload));
  assert.equal(text(gatewayDiagJson(w, 5, 1, new MqttStats())).memory, undefined);
  assert.deepEqual(text(gatewayDiagJson(w, 5, 1, new MqttStats(), "", { freeBytes: 0, slotHeapBytes: 16_000, chunkHeapBytes: 20_480, stackBytes: undefined })).memory,
    { freeBytes: 0, slotHeapBytes: 16_000, chunkHeapBytes: 20_480 });
});
