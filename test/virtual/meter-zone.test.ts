// The zone meter of the measuring image: compute units spent in firmware callbacks are charged to
// the firmware, those spent inside a double (even one called from a firmware callback) are not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bundleForXs, startXs } from "../../scripts/lib/xs";

test("work in a fired callback counts as firmware; a zoned double called from it does not", async () => {
  const xs = await startXs();
  try {
    await xs.run(await bundleForXs("test/doubles/meter-zone.ts", { globalName: "Z" }));
    const code = (work: string) => `
      Z.startZones();
      const busy = (n) => { let x = 0; for (let i = 0; i < n; i++) x += i; return x; };
      const double = Z.zoned({ heavy() { return busy(20000); } });
      Z.eventStarts();
      const before = Z.zoneTotals().firmwareUnits;
      Z.fire(() => { ${work} }, undefined);
      Z.eventEnds();
      globalThis.__result = Z.zoneTotals().firmwareUnits - before;`;
    const light = (await xs.run<number>(code("busy(1000);"))).value;
    const withDouble = (await xs.run<number>(code("busy(1000); double.heavy();"))).value;
    const heavyFirmware = (await xs.run<number>(code("busy(21000);"))).value;
    assert.ok(light > 1000, `light ${light}`);
    assert.ok(withDouble < light * 1.5, `a double's work is not the firmware's: ${withDouble} vs ${light}`);
    assert.ok(heavyFirmware > light * 10, `the firmware's own work is: ${heavyFirmware} vs ${light}`);
  } finally { await xs.close(); }
});

test("the measuring image charges xs-setup's stand-ins for XS's native ArrayBuffer.fromString and String.fromArrayBuffer to the doubles", async () => {
  const xs = await startXs();
  try {
    await xs.run(await bundleForXs("test/virtual/zones-probe.ts", { globalName: "Z" }));
    const code = (work: string) => `
      const text = "x".repeat(4000);
      Z.eventStarts();
      const before = Z.zoneTotals().firmwareUnits;
      Z.fire(() => { let x = 0; for (let i = 0; i < 100; i++) x += i; ${work} }, undefined);
      Z.eventEnds();
      globalThis.__result = Z.zoneTotals().firmwareUnits - before;`;
    const alone = (await xs.run<number>(code(""))).value;
    const converting = (await xs.run<number>(code("for (let i = 0; i < 20; i++) String.fromArrayBuffer(ArrayBuffer.fromString(text));"))).value;
    assert.ok(alone > 100, `alone ${alone}`);
    // 20 calls each way from the firmware: the zone switches' bookkeeping (about 100 units a call), not the conversions
    assert.ok(converting - alone < 40 * 200, `the conversions are not the firmware's: ${converting} vs ${alone}`);
  } finally { await xs.close(); }
});
