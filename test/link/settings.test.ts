// Factory-mode settings sessions over the link, on virtual time against the simulated BMS's EEPROM
// (test/sim/bms-eeprom.ts): the read once per connection with polls paused, both firmware layouts,
// writes (off by default, refused before anything is sent, read back, saved only when all read back,
// else not saved and named), a drop mid-write (nothing saved, factory mode left on reconnect), the FF
// AA root gate, and a backup restored after someone changed it (a BMS PIN: settings-pin.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks } from "./harness";
import type { SettingsOutcome } from "../../modules/link/bms-settings";
import { JsonWriter } from "../../modules/protocol/json";
import { REGISTERS, writeSettingsValues } from "../../modules/protocol/registers";

const h = await startLinks([
  { address: "A4:C1:38:00:13:01", id: "new", sim: { eeprom: "fw20" } },
  { address: "A4:C1:38:00:13:02", id: "old", sim: { eeprom: "fw16" } },
  { address: "A4:C1:37:00:13:03", id: "gated", sim: { auth: { kind: "ffaa", userPassword: "Xy12ab", rootGate: true } },
    secrets: { modulePassword: "Xy12ab", bmsPin: "", rootPassword: "", passkey: "" } },
]);
const [fresh, old, gated] = h.links;
const [freshSim, oldSim, gatedSim] = h.sims;
const peripheral = (address: string) => h.device.ble.find(address)!;

/** Every request the link sends, in order (capture). */
function recordTx(link: typeof fresh): number[][] {
  const sent: number[][] = [];
  link.capture = (direction, bytes) => { if (direction === "tx") sent.push(Array.from(bytes)); };
  return sent;
}
const isPoll = (frame: number[]) => frame[1] === 0xa5 && (frame[2] === 0x03 || frame[2] === 0x04);
const isEnter = (frame: number[]) => frame[1] === 0x5a && frame[2] === 0x00;
const isExit = (frame: number[]) => frame[1] === 0x5a && frame[2] === 0x01;

async function request(run: (done: (o: SettingsOutcome) => void) => void, ms = 30_000): Promise<SettingsOutcome> {
  let outcome: SettingsOutcome | undefined;
  await h.device.invoke(() => run((o) => { outcome = o; }));
  await h.runUntil(() => outcome !== undefined, ms);
  return outcome!;
}
const value = (link: typeof fresh, key: string) => {
  const w = new JsonWriter().beginObject();
  writeSettingsValues(w, link.settings.values!);
  return (JSON.parse(w.endObject().text).values as Record<string, unknown>)[key];
};
const idle = (link: typeof fresh) => h.runUntil(() => !link.settings.busy, 30_000);

test("read once per connection, after its first reading: polls wait, factory mode is left, polls go on", async () => {
  const sent = recordTx(fresh);
  await h.runUntil(() => fresh.settings.values !== undefined, 60_000);
  assert.equal(freshSim.factoryMode, false, "left factory mode");
  const enter = sent.findIndex(isEnter), exit = sent.findLastIndex(isExit);
  assert.deepEqual(sent.filter(isExit).map((f) => f[4] << 8 | f[5]), [0, 0], "an exit without saving before entering (whatever was left), one after");
  assert.equal(freshSim.eeprom.stats.saves, 0);
  assert.ok(sent.slice(0, enter).some(isPoll), "the first reading came first");
  assert.equal(sent.slice(enter, exit).filter(isPoll).length, 0, "no poll inside the session");
  assert.equal(sent.slice(enter, exit).length, 1 + REGISTERS.length, "enter and one read per register");
  assert.equal(value(fresh, "cellOvervoltage"), 3.65);
  assert.equal(value(fresh, "socVoltage100"), 3.4, "firmware 0x20 has the 10 % steps");
  assert.ok(h.settingsEvents.some((e) => e.id === "new"), "the bridge is told");
  const readings = h.readings.filter((r) => r.id === "new").length;
  await h.run(11_000);
  assert.ok(h.readings.filter((r) => r.id === "new").length >= readings + 2, "polling resumed");
  assert.equal(freshSim.eeprom.stats.reads, REGISTERS.length, "read once on this connection, not again");
  fresh.capture = undefined;
});

test("firmware 0x16: the registers it lacks (0x80) are absent, never 0", async () => {
  await h.runUntil(() => old.settings.values !== undefined, 60_000);
  const set = old.settings.values!;
  for (const key of ["socVoltage10", "socVoltage100", "gpsOffVoltageRaw"]) assert.equal(value(old, key), undefined, key);
  assert.equal(set.complete, true);
  assert.equal(value(old, "socVoltage20"), 3.2);
});

test("writes are off by default: refused with the setting to change, nothing sent", async () => {
  await idle(fresh);
  const writes = freshSim.eeprom.stats.writes, enters = freshSim.stats.requests[0] ?? 0;
  const outcome = await request((done) => fresh.settings.write({ cellOvervoltage: 3.6 }, done));
  assert.deepEqual(outcome, { ok: false, action: "write", error: "settings writes are disabled (config set settingsWrite on)" });
  assert.equal(freshSim.eeprom.stats.writes, writes);
  assert.equal(freshSim.stats.requests[0] ?? 0, enters, "not even factory mode");
});

test("a change the checks refuse is refused before anything is sent", async () => {
  h.settingsWrite = true;
  const enters = freshSim.stats.requests[0] ?? 0;
  const outcome = await request((done) => fresh.settings.write({ cellOvervoltageRelease: 3.7 }, done));
  assert.equal(outcome.ok, false);
  assert.match(outcome.error!, /^refused: a release must be below its trip: cellOvervoltageRelease 3.7 V must be below cellOvervoltage 3.65 V/);
  assert.equal(freshSim.stats.requests[0] ?? 0, enters);
});

test("a write: one session, each value read back, saved, then read again from the EEPROM", async () => {
  const events = h.settingsEvents.length;
  const outcome = await request((done) => fresh.settings.write({ cellOvervoltage: 3.6, balanceMode: "charging", cellUndervoltage: 2.5 }, done));
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  assert.deepEqual(outcome.changes, [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }, { key: "balanceMode", from: "off", to: "charging" }]);
  assert.deepEqual(outcome.unchanged, ["cellUndervoltage"]);
  assert.equal(freshSim.eeprom.saved(0x24), 3600);
  assert.equal(freshSim.eeprom.saved(0x2d)! & 0x0c, 0x0c);
  assert.equal(freshSim.factoryMode, false);
  await idle(fresh);
  assert.ok(h.settingsEvents.length >= events + 2, "published after the write and after the verifying read");
  assert.equal(value(fresh, "cellOvervoltage"), 3.6);
  assert.equal(value(fresh, "balanceMode"), "charging");
});

test("a value that does not read back as written: nothing saved, the BMS left without saving, the value named", async () => {
  const saves = freshSim.eeprom.stats.saves, discards = freshSim.eeprom.stats.discards;
  freshSim.eeprom.stuck.add(0x26);
  try {
    const outcome = await request((done) => fresh.settings.write({ cellOvervoltage: 3.55, cellOvervoltageRelease: 3.45, cellUndervoltage: 2.6, cellUndervoltageRelease: 2.8 }, done));
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.failed, { key: "cellUndervoltage", wrote: 2.6, read: 2.5 });
    assert.match(outcome.error!, /cellUndervoltage: it did not read back as written; nothing was saved/);
  } finally { freshSim.eeprom.stuck.clear(); }
  assert.equal(freshSim.eeprom.stats.saves, saves);
  assert.equal(freshSim.eeprom.stats.discards, discards + 1, "left without saving");
  assert.equal(freshSim.eeprom.saved(0x24), 3600, "the values before it, read back fine, were not saved either");
  assert.equal(freshSim.factoryMode, false);
  assert.equal(value(fresh, "cellOvervoltage"), 3.6, "what the gateway shows is what the EEPROM holds");
});

test("the link drops mid-write: nothing saved, and factory mode is left on reconnect before anything else is read", async () => {
  await idle(fresh);
  const discards = freshSim.eeprom.stats.discards, saves = freshSim.eeprom.stats.saves;
  let outcome: SettingsOutcome | undefined;
  const writes = freshSim.eeprom.stats.writes;
  await h.device.invoke(() => fresh.settings.write({ chargeOvertemp: 60, chargeOvertempRelease: 50, dischargeOvertemp: 65 }, (o) => { outcome = o; }));
  await h.runUntil(() => freshSim.eeprom.stats.writes > writes, 30_000, 1);
  h.device.ble.drop(peripheral("A4:C1:38:00:13:01"));
  await h.runUntil(() => outcome !== undefined, 5_000);
  assert.equal(outcome!.ok, false);
  assert.match(outcome!.error!, /the link stopped during the session; nothing was saved/);
  assert.equal(freshSim.factoryMode, true, "the BMS never heard of the drop");
  assert.equal(freshSim.eeprom.working(0x18), 60 * 10 + 2731, "the first write sits in the working copy");
  assert.equal(fresh.settings.factoryMaybeOn, true);
  const sent = recordTx(fresh);
  await h.runUntil(() => fresh.connected && !freshSim.factoryMode, 30_000);
  await idle(fresh);
  fresh.capture = undefined;
  assert.equal(freshSim.eeprom.stats.saves, saves, "nothing saved");
  assert.ok(freshSim.eeprom.stats.discards > discards);
  assert.equal(freshSim.eeprom.saved(0x18), 75 * 10 + 2731);
  const firstWrite = sent.findIndex((f) => f[1] === 0x5a);
  assert.ok(firstWrite >= 0 && isExit(sent[firstWrite]), "the first write of the new connection is the exit");
  assert.deepEqual(sent.slice(0, firstWrite).filter((f) => f[1] !== 0xa5 || (f[2] >= 0x10 && f[2] <= 0x47)), [], "nothing but the first poll cycle's reads before it");
  assert.equal(value(fresh, "chargeOvertemp"), 75, "the read after the exit shows the saved value, not the lost write");
  assert.equal(fresh.settings.factoryMaybeOn, false);
});

test("FF AA module with the root gate: the root login comes first, and the read works", async () => {
  await h.runUntil(() => gated.settings.values !== undefined, 60_000);
  assert.ok(gatedSim.stats.auth.rootLogins >= 1);
  assert.equal(gatedSim.stats.auth.rootGated, 0, "no write was dropped for want of the root login");
  assert.equal(gatedSim.factoryMode, false);
  assert.equal(value(gated, "cellCount"), 4);
});

test("backup and restore: a dry run lists what would change and sends nothing; the restore puts every value back", async () => {
  await idle(old);
  const w = new JsonWriter().beginObject();
  writeSettingsValues(w, old.settings.values!);
  const backup = JSON.parse(w.endObject().text);
  const savedBefore = Array.from({ length: 0x48 - 0x10 }, (_, i) => oldSim.eeprom.saved(0x10 + i));
  // someone changes the pack with the phone app; the gateway reads it again
  oldSim.eeprom.store(0x24, 3550);
  oldSim.eeprom.store(0x25, 3450);
  oldSim.eeprom.store(0x2b, 50);
  const read = await request((done) => old.settings.read(done));
  assert.equal(read.ok, true);
  assert.equal(value(old, "balanceWindow"), 0.05);
  const requests = oldSim.stats.writes;
  const dry = old.settings.dryRun(backup.values, true);
  assert.equal(dry.ok, true, JSON.stringify(dry));
  assert.deepEqual(dry.changes, [
    { key: "cellOvervoltage", from: 3.55, to: 3.65 }, { key: "cellOvervoltageRelease", from: 3.45, to: 3.55 }, { key: "balanceWindow", from: 0.05, to: 0.03 },
  ]);
  assert.equal(dry.skipped, undefined, "the backup of this pack names only what it has");
  assert.equal(oldSim.stats.writes, requests, "the dry run sent nothing");
  const restored = await request((done) => old.settings.write(backup.values, done, true));
  assert.equal(restored.ok, true, JSON.stringify(restored));
  assert.equal(restored.action, "restore");
  await idle(old);
  const savedAfter = Array.from({ length: 0x48 - 0x10 }, (_, i) => oldSim.eeprom.saved(0x10 + i));
  assert.deepEqual(savedAfter, savedBefore, "the EEPROM holds the backup again, word for word");
  assert.equal(oldSim.factoryMode, false);
  assert.equal(h.device.fatalErrors, 0);
});

test("the BMS stops answering mid-write: nothing saved, the session says so, and factory mode is left once it answers again", async () => {
  h.settingsWrite = true;
  await idle(fresh);
  const saves = freshSim.eeprom.stats.saves, writes = freshSim.eeprom.stats.writes;
  let outcome: SettingsOutcome | undefined;
  await h.device.invoke(() => fresh.settings.write({ chargeOvertemp: 62, chargeOvertempRelease: 52 }, (o) => { outcome = o; }));
  await h.runUntil(() => freshSim.eeprom.stats.writes > writes, 30_000, 1);
  freshSim.faults.unanswered = 1; // the UART goes quiet: every request from here on is lost
  await h.runUntil(() => outcome !== undefined, 30_000);
  assert.equal(outcome!.ok, false);
  assert.match(outcome!.error!, /the BMS did not answer/);
  assert.equal(freshSim.eeprom.stats.saves, saves, "nothing saved");
  assert.equal(freshSim.factoryMode, true, "the exit could not reach it");
  freshSim.faults.unanswered = 0;
  // once it answers again, the next reading brings an exit of its own (it failed before: factory mode stayed on while the link was up)
  await h.runUntil(() => !freshSim.factoryMode, 30_000);
  assert.equal(freshSim.eeprom.stats.saves, saves, "still nothing saved: the exit was without saving");
  await h.runUntil(() => fresh.online, 60_000);
  assert.equal(h.device.fatalErrors, 0);
});
