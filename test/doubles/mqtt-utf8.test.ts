// The MQTT double counts a topic's UTF-8 bytes inside the firmware's publish call (the send buffer's
// accounting): it must leave no garbage there, or the RAM bench charges the double's slots to the
// firmware (reading .length or calling a method on a primitive string makes XS a wrapper object).
import assert from "node:assert/strict";
import { test } from "node:test";
import { bundleForXs, startXs } from "../../scripts/lib/xs";

test("the MQTT double's UTF-8 count: right for every width, and no heap slot per call inside XS", async () => {
  const xs = await startXs();
  try {
    await xs.run(await bundleForXs("test/doubles/mqtt.ts", { globalName: "M" }));
    const counts = (await xs.run<number[]>(`globalThis.__result = ["", "jbd/house/state", "é", "€", "😀", "a😀b"].map(M.utf8Bytes);`)).value;
    assert.deepEqual(counts, [0, 15, 2, 3, 4, 6]);
    const heapAfter = async (calls: number) => {
      await xs.run(`globalThis.__calls = ${calls};`);
      const { meter } = await xs.run(`gc(); for (let i = 0; i < globalThis.__calls; i++) M.utf8Bytes("jbd/house/state");`);
      return meter.currentHeapCount;
    };
    await heapAfter(10);
    const none = await heapAfter(0), many = await heapAfter(1000), again = await heapAfter(0);
    const perCall = (many - (none + again) / 2) / 1000;
    assert.ok(perCall < 0.1, `slots per call: ${perCall}`);
  } finally { await xs.close(); }
});
