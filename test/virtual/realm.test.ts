// The virtual device's realm is frozen as the SDK's linker leaves a preloaded build
// (xs/tools/xsl.c fxFreezeBuiltIns), with no SES taming: the override mistake throws there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleForXs, startXs } from "../../scripts/lib/xs";

test("built-in prototypes are frozen like a device build: inherited read-only properties cannot be assigned", async () => {
  const xs = await startXs();
  try {
    const { value } = await xs.run<Record<string, any>>(await bundleForXs("test/virtual/realm-probe.ts"));
    assert.ok(value.count >= 50, `frozen intrinsics found: ${value.count}`);
    assert.deepEqual(value.frozen.filter((f: boolean) => !f), []);
    assert.match(value.errorSubclassName, /^TypeError: .*not writable/);
    assert.match(value.toStringOverride, /^TypeError: .*not writable/);
    assert.match(value.arrayPush, /^TypeError/);
    assert.match(value.mathPatch, /^TypeError/);
    assert.equal(value.definedName, "ok");
    assert.equal(value.dateNow, "ok");
    assert.equal(value.globalWrite, "ok");
    assert.equal(value.ownMessage, "ok");
  } finally {
    await xs.close();
  }
});
