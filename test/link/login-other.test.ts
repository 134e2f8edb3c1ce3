// The other login generations, on virtual time against the simulated BMS (test/sim/bms-auth.ts): a
// module that echoes until paired, the BMS password register (PIN), and a plain pack, which must
// never see a login frame.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";

const pinSecrets = { modulePassword: "", bmsPin: "765828", rootPassword: "", passkey: "" };
const h = await startLinks([
  { address: "A4:C1:38:00:09:01", id: "paired", sim: { auth: { kind: "pairing" } } },
  { address: "A4:C1:38:00:09:02", id: "pin", sim: { auth: { kind: "bms-password", password: "765828" } },
    secrets: pinSecrets },
  { address: "A4:C1:38:00:09:03", id: "plain" },
]);
const [paired, pin, plain] = h.links;
const [pairedSim, pinSim, plainSim] = h.sims;

test("a plain pack is polled at once and never sees a login frame", async () => {
  await h.runUntil(() => plain.online, 30_000);
  assert.equal(plain.login.kind, "none");
  assert.equal(plain.login.outcome, "not needed");
  const auth = plainSim.stats.auth;
  assert.deepEqual([auth.logins, auth.appKeys, auth.randoms, auth.rootLogins], [0, 0, 0, 0]);
  assert.equal(plain.frameStats.moduleFrames, 0);
});

test("the BMS PIN is sent on connect and accepted; a wrong one is named with the setting to fix it, readings go on", async () => {
  await h.runUntil(() => pin.online, 30_000);
  assert.equal(pin.login.outcome, "BMS PIN accepted");
  assert.equal(pinSim.stats.auth.logins, 1);
  assert.equal(pinSim.stats.auth.loginFailures, 0);
  pinSecrets.bmsPin = "111111"; // as after `config set bms2Pin 111111`: counts from the next connect
  await h.device.invoke(() => { pin.reconnect(); });
  await h.runUntil(() => pin.login.problem, 30_000);
  assert.equal(pin.login.outcome, "BMS PIN rejected (readings go on; MOS and settings writes will fail): set the PIN of pin: config set bms2Pin <six digits>");
  assert.equal(pinSim.stats.auth.loginFailures, 1);
  await h.runUntil(() => pin.online, 30_000); // the PIN gates factory mode only (bms-auth.ts): reads are answered
});

test("a module that echoes every request until paired: said so, closed, tried again after 5 minutes", async () => {
  await h.runUntil(() => paired.login.kind === "pairing", 30_000);
  assert.equal(paired.login.ok, false);
  assert.match(paired.login.outcome, /^pairing needed: this module echoes every request until the link is paired/);
  assert.equal(pairedSim.stats.auth.appKeys, 0, "no FF AA login tried on an echoing module");
  await h.runUntil(() => !paired.connected && paired.stateName !== "closing", 10_000);
  const attempts = paired.stats.connectAttempts;
  await h.run(4 * 60_000);
  assert.equal(paired.stats.connectAttempts, attempts, "not hammered while it cannot work");
  assert.equal(paired.online, false);
  assert.equal(h.device.fatalErrors, 0);
});
