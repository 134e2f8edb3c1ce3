// Passkey pairing with the newest JBD modules (they echo every request until the link is paired),
// on virtual time: the BLE double's security path as the SDK has it (test/doubles/bleclient.ts:
// securityParameters, onPasskeyRequested, onAuthenticated, no callback on failure) against the BLE
// world's NimBLE bond store and a passkey peripheral.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";

const PIN = 246810;
const h = await startLinks([
  { address: "A4:C1:38:00:0A:01", id: "paired", sim: { auth: { kind: "pairing" } }, passkey: PIN,
    secrets: { modulePassword: "", bmsPin: "", rootPassword: "", passkey: String(PIN) } },
  { address: "A4:C1:38:00:0A:02", id: "wrong", sim: { auth: { kind: "pairing" } }, passkey: 111111,
    secrets: { modulePassword: "", bmsPin: "", rootPassword: "", passkey: "222222" } },
  { address: "A4:C1:38:00:0A:03", id: "plain" },
]);
const [paired, wrong, plain] = h.links;
const [pairedSim] = h.sims;
const world = h.device.ble;
const pairedPeripheral = world.find("A4:C1:38:00:0A:01")!;

test("a module that pairs with its PIN: paired, bonded, then polled like any other", async () => {
  await h.runUntil(() => paired.online, 60_000);
  assert.equal(paired.login.kind, "pairing");
  assert.equal(paired.login.outcome, "paired with its PIN (bonded)");
  assert.ok(pairedSim.authState.paired, "the module saw an authenticated pairing");
  assert.deepEqual(world.bonds.map((b) => b.wire), ["010a0038c1a4"], "one bond kept, for the paired module only");
  assert.ok(paired.info.cellCount > 0);
});

test("the next connect encrypts with the bond: no passkey asked again", async () => {
  const logins = h.logs.filter((l) => l.startsWith("I BMS paired:paired")).length;
  await h.device.invoke(() => { paired.reconnect(); });
  await h.runUntil(() => !paired.online, 10_000);
  await h.runUntil(() => paired.online, 60_000);
  assert.equal(h.logs.filter((l) => l.startsWith("I BMS paired:paired")).length, logins + 1);
  assert.equal(world.bonds.length, 1, "still one bond");
});

test("the module lost its keys (reset): the stale bond is deleted and the pairing done again", async () => {
  world.forgetBond(pairedPeripheral);
  await h.device.invoke(() => { paired.reconnect(); });
  await h.runUntil(() => !paired.online, 10_000);
  await h.runUntil(() => paired.online, 90_000);
  assert.ok(h.logs.some((l) => l.includes("pairing: no answer; bond deleted, pairing again")), "the first try failed silently, as the SDK does");
  assert.ok(h.logs.some((l) => l.startsWith("I BLE bond deleted:")), "onBondingDeleted came");
  assert.equal(paired.login.outcome, "paired with its PIN (bonded)");
  assert.equal(world.bonds.length, 1);
});

test("a wrong PIN: no callback ever comes; after one retry the outcome says to set the PIN, and the link waits", async () => {
  await h.runUntil(() => wrong.login.problem, 120_000);
  assert.equal(wrong.login.outcome, "pairing failed (a wrong PIN?): set the PIN of wrong: config set bms2Passkey <six digits>");
  assert.equal(wrong.online, false);
  const attempts = wrong.stats.connectAttempts;
  await h.run(4 * 60_000);
  assert.equal(wrong.stats.connectAttempts, attempts, "not retried within the 5 minutes");
});

test("a module without pairing is connected without security and polled", async () => {
  await h.runUntil(() => plain.online, 30_000);
  assert.equal(plain.login.kind, "none");
  assert.ok(!world.bonds.some((b) => b.wire === "030a0038c1a4"), "no bond for a module that does not pair");
  assert.equal(h.device.fatalErrors, 0);
});
