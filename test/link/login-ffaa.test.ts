// The FF AA login of newer JBD BLE modules, on virtual time against the simulated module
// (test/sim/bms-auth.ts): found out from a silent first poll, the configured password or the
// field's defaults, the root login before a MOS write, and a clear outcome when it fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";
import type { MosResult } from "../../modules/link/bms-view";

const MINUTE = 60_000;
const h = await startLinks([
  // ships with the SP04S034 V1.3 default, nothing configured: the field defaults find it
  { address: "A4:C1:37:00:08:01", id: "shipped", sim: { auth: { kind: "ffaa", userPassword: "123456", rootGate: true } } },
  // its own password, configured
  { address: "A4:C1:37:00:08:02", id: "mine", sim: { auth: { kind: "ffaa", userPassword: "Xy12ab", rootGate: true } },
    secrets: { modulePassword: "Xy12ab", bmsPin: "", rootPassword: "", passkey: "" } },
  // a password nobody told the gateway
  { address: "A4:C1:37:00:08:03", id: "locked", sim: { auth: { kind: "ffaa", userPassword: "777777", rootGate: false } } },
]);
const [shipped, mine, locked] = h.links;
const [shippedSim, mineSim, lockedSim] = h.sims;

test("a module that wants the FF AA login: found out, logged in with a factory default, then polled", async () => {
  await h.runUntil(() => shipped.online, 30_000);
  assert.equal(shipped.login.kind, "module");
  assert.equal(shipped.login.ok, true);
  assert.equal(shipped.login.outcome, "FF AA login accepted with a factory default password");
  assert.equal(shippedSim.stats.auth.logins, 2, "123123 first, then 123456");
  assert.equal(shippedSim.stats.auth.loginFailures, 1);
  assert.ok(shipped.info.cellCount > 0, "readings flow after the login");
});

test("the configured password is used, and the next connect logs in at once (what the pack needs is kept)", async () => {
  await h.runUntil(() => mine.online, 30_000);
  assert.equal(mine.login.outcome, "FF AA login accepted");
  assert.equal(mineSim.stats.auth.logins, 1);
  assert.equal(mineSim.stats.auth.loginFailures, 0);
  const locked = mineSim.stats.auth.locked;
  await h.device.invoke(() => { mine.reconnect(); });
  await h.runUntil(() => !mine.online, 10_000);
  await h.runUntil(() => mine.online, 30_000);
  assert.equal(mineSim.stats.auth.logins, 2, "logged in again on the new link");
  assert.equal(mineSim.stats.auth.locked, locked, "no request went unanswered for want of a login: the login came first");
});

test("a MOS write on a module with the root gate: root login first, then the FET switches", async () => {
  // the connection's settings read logs in as root too (its factory mode): counted from after it
  await h.runUntil(() => mine.settings.values !== undefined && !mine.settings.busy, 30_000);
  const roots = mineSim.stats.auth.rootLogins;
  const results: MosResult[] = [];
  await h.device.invoke(() => mine.setMos("charge", false, (r) => results.push(r)));
  await h.runUntil(() => results.length > 0, 5_000);
  assert.equal(results[0].ok, true, JSON.stringify(results[0]));
  assert.equal(mineSim.pack.read().fet.charge, false, "the BMS switched: the write got past the root gate");
  assert.equal(mineSim.stats.auth.rootLogins, roots + 1);
  assert.equal(mineSim.stats.auth.rootFailures, 0);
  await h.device.invoke(() => mine.setMos("charge", true, (r) => results.push(r)));
  await h.runUntil(() => results.length > 1, 5_000);
  assert.equal(results[1].ok, true);
  assert.equal(mineSim.stats.auth.rootLogins, roots + 2, "a root login before every factory-mode write");
});

test("a password the gateway lacks: the outcome says what to set, the link closes and waits 5 minutes", async () => {
  await h.runUntil(() => locked.login.outcome !== "" && !locked.login.ok, 60_000);
  assert.equal(locked.login.outcome, "module password rejected: set the password of locked: config set bms3Password <six letters or digits>");
  assert.equal(lockedSim.stats.auth.logins, 2, "the two field defaults, once");
  assert.ok(h.logs.some((l) => l.startsWith("W BMS login:locked: module password rejected")));
  await h.runUntil(() => locked.stateName === "down" || locked.stateName === "waiting", 10_000);
  const attempts = locked.stats.connectAttempts;
  await h.run(3 * MINUTE);
  assert.equal(locked.stats.connectAttempts, attempts, "no new connect within the 5 minutes");
  await h.run(3 * MINUTE);
  await h.runUntil(() => locked.stats.connectAttempts > attempts && locked.login.outcome.startsWith("the module wants a password"), 2 * MINUTE);
  assert.equal(lockedSim.stats.auth.logins, 2, "the defaults are not tried again: a module may count failures");
  assert.equal(locked.login.outcome, "the module wants a password: set the password of locked: config set bms3Password <six letters or digits>");
  assert.equal(locked.online, false);
  assert.equal(h.device.fatalErrors, 0);
});
