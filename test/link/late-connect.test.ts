// A connect that completes after our timeout while another link is being scanned for: the late
// connection is taken by its link. (While it was pending NimBLE refused to scan, so no scan report
// can be in flight when its GATT discovery starts.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

const h = await startLinks([
  { address: "A4:C1:38:00:06:01", id: "slow", connectDelayMs: 6_000 }, // longer than the 4 s connect timeout
  { address: "A4:C1:38:00:06:02", name: "JBD-X", pattern: "JBD-*", configuredAddress: "", id: "missing", absent: true },
]);

test("a late connect is taken by its link while another link is being scanned for", async () => {
  await h.run(20_000);
  assert.equal(h.links[0].stats.connectTimeouts >= 1, true, "our connect timeout fired first");
  assert.equal(h.links[0].connected, true, "the late connection was used");
  await h.run(2 * POLL_MS);
  assert.ok(h.readings.some((r) => r.id === "slow"));
  assert.equal(h.device.fatalErrors, 0);
});
