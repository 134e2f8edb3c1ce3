// Newer JBD modules use a random address: a connect must carry the address type the scan reported
// (a connect with type 0 never reaches them). The name is only in the scan response.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

const h = await startLinks([
  { address: "D4:C1:38:00:04:01", id: "random", addressType: 1 },                  // configured by MAC
  { address: "D4:C1:38:00:04:02", name: "SP17S005", pattern: "SP17*", configuredAddress: "", id: "named", addressType: 1 },
]);

test("a BMS with a random address configured by MAC is connected with the scan's address type", async () => {
  await h.run(3 * POLL_MS);
  assert.equal(h.links[0].connected, true);
  assert.ok(h.readings.some((r) => r.id === "random"));
});

test("a BMS whose name is only in the scan response is found by its pattern", () => {
  assert.equal(h.links[1].connected, true);
  assert.equal(h.links[1].address, "D4:C1:38:00:04:02");
  assert.equal(h.device.fatalErrors, 0);
});
