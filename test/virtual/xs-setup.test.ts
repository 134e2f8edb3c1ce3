// The XS extensions the virtual device supplies behave like the engine's: ArrayBuffer.fromString
// makes its result with `new this(length)` (xsDataView.c), so only a method call works.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bundleForXs, startXs } from "../../scripts/lib/xs";
import { DOUBLES } from "./transport";

test("ArrayBuffer.fromString: UTF-8 bytes; a detached call is 'new: not a constructor', as in XS", async () => {
  const xs = await startXs();
  try {
    await xs.run(await bundleForXs("test/virtual/xs-setup.ts", { aliases: DOUBLES }));
    const { value } = await xs.run<Record<string, unknown>>(`
      const attempt = (f) => { try { return f(); } catch (e) { return String(e); } };
      const detached = ArrayBuffer.fromString;
      globalThis.__result = {
        bytes: Array.from(new Uint8Array(ArrayBuffer.fromString("aé"))),
        detached: attempt(() => detached("x")),
        noArgument: attempt(() => ArrayBuffer.fromString()),
        text: String.fromArrayBuffer(ArrayBuffer.fromString("°C")),
      };`);
    assert.deepEqual(value.bytes, [0x61, 0xc3, 0xa9]);
    assert.equal(value.detached, "TypeError: new: not a constructor");
    assert.equal(value.noArgument, "TypeError: no argument");
    assert.equal(value.text, "°C");
  } finally { await xs.close(); }
});
