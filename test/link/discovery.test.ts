// Finding BMS without a configured address, the FFF0 variant, and several links on one gateway.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";

const h = await startLinks([
  // found by scanning for a name pattern (no address configured)
  { address: "A4:C1:38:00:00:0A", name: "JBD-SP04S034-L4S-200A-B-U", pattern: "JBD-SP04*", configuredAddress: "", id: "by-name" },
  // the DH04SC02 variant: service FFF0, notify FFF1, write FFF2, connected by address
  { address: "A4:C1:38:00:00:0B", name: "JBD-DH04SC02", variant: "fff0", id: "variant" },
  // found by scanning for the FF00 service, any name
  { address: "A4:C1:38:00:00:0C", name: "xiaoxiang BMS", configuredAddress: "", id: "by-service" },
]);

test("a pattern finds its BMS by scanning and remembers the address", async () => {
  await h.run(60_000);
  const link = h.links[0];
  assert.equal(link.address, "A4:C1:38:00:00:0A");
  assert.equal(link.connected, true);
  assert.equal(link.cells.count, 4);
});

test("the FFF0/FFF1/FFF2 variant is detected and polled", () => {
  assert.equal(h.links[1].connected, true);
  assert.ok(h.links[1].stats.pollsOk > 5);
});

test("a service scan takes a BMS no other link claimed", () => {
  assert.equal(h.links[2].address, "A4:C1:38:00:00:0C");
  assert.equal(h.links[2].connected, true);
});

test("three links are held at once, each polled every interval", async () => {
  const before = h.links.map((l) => l.stats.pollsOk);
  await h.run(60_000);
  h.links.forEach((l, i) => assert.ok(l.stats.pollsOk - before[i] >= 11, `${l.id}: ${l.stats.pollsOk - before[i]} polls in a minute`));
  assert.equal(h.device.ble.connectedCount, 3);
  assert.equal(h.device.fatalErrors, 0);
});

test("after a drop the remembered address is used: no new scan needed", async () => {
  const p = h.device.ble.find("A4:C1:38:00:00:0A")!;
  h.device.ble.drop(p);
  await h.run(10_000);
  assert.equal(h.links[0].connected, true);
  assert.equal(h.central.scanning, false);
});
