// The virtual device's realm is frozen as the SDK's linker leaves a preloaded build
// (xs/tools/xsl.c fxFreezeBuiltIns), with no SES taming: the override mistake throws there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bundleForXs, startXs } from "../../scripts/lib/xs";
import { DOUBLES } from "./transport";

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

test("collections made while the preloaded modules load are read-only afterwards, as xsl petrifies them", async () => {
  const xs = await startXs();
  try {
    const { value } = await xs.run<Record<string, any>>(await bundleForXs("test/virtual/preload-probe.ts"));
    assert.equal(value.mapSet, "TypeError: this: read-only Map instance");
    assert.equal(value.mapDelete, "TypeError: this: read-only Map instance");
    assert.equal(value.mapClear, "TypeError: this: read-only Map instance");
    assert.equal(value.setAdd, "TypeError: this: read-only Set instance");
    assert.equal(value.weakSet, "TypeError: this: read-only WeakMap instance");
    assert.equal(value.mapGet, "ok", "reading a preloaded Map is fine");
    assert.equal(value.setHas, "ok");
    assert.equal(value.runtimeMap, "ok", "collections made at run time are RAM, writable");
    assert.equal(value.plainWrite, "ok", "plain objects and arrays are aliased: copied to RAM on write");
    assert.equal(value.mapIsMap, true);
  } finally {
    await xs.close();
  }
});

test("a native function called while the preloaded modules load fails, as the linker fails the build", async () => {
  const xs = await startXs();
  try {
    const image = await bundleForXs("test/virtual/preload-native-probe.ts", { aliases: DOUBLES });
    const { value } = await xs.run<string>(`try { ${image} } catch (error) { globalThis.__result = String(error); }`);
    assert.equal(value, "TypeError: link: unavailable function");
  } finally {
    await xs.close();
  }
});
