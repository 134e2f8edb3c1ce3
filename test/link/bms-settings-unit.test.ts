// A pack's settings (modules/link/bms-settings.ts) on their own, with a poller that records the
// sessions it is asked to run and a test that ends them: when reads and exits are asked for, the one
// request that may wait, the refusals before any session, dry runs, and what a session's end does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BmsSettings, type SettingsHost } from "../../modules/link/bms-settings";
import type { SettingsOutcome, SettingsSession } from "../../modules/link/settings-session";
import { REGISTER_COUNT, RegisterState, SettingsSet } from "../../modules/protocol/registers";
import type { BmsPoller } from "../../modules/link/bms-poller";
import { SimulatedEeprom } from "../sim/bms-eeprom";
import { TestLog } from "../bridge/helpers";

function readSet(): SettingsSet {
  const eeprom = new SimulatedEeprom("fw20", 4, 100);
  const set = new SettingsSet();
  for (let i = 0; i < REGISTER_COUNT; i++) { set.raw[i] = eeprom.saved(0x10 + i)!; set.state[i] = RegisterState.Ok; }
  return set;
}

function world(writable = true) {
  const sessions: SettingsSession[] = [];
  let refuse: string | undefined;
  let changed = 0;
  const poller = { runSession: (s: SettingsSession) => { if (refuse) return refuse; sessions.push(s); return undefined; } } as unknown as BmsPoller;
  const host: SettingsHost & { allow: boolean; throwOnChange: boolean } = {
    id: "house", pinSetting: "bms1Pin", allow: writable, throwOnChange: false,
    writesAllowed() { return host.allow; },
    settingsChanged() { changed++; if (host.throwOnChange) throw new Error("listener bug"); },
  };
  const log = new TestLog();
  const settings = new BmsSettings(poller, host, log);
  const results: SettingsOutcome[] = [];
  const done = (o: SettingsOutcome) => { results.push(o); };
  /** End the newest session the way a session does. */
  const end = (outcome: SettingsOutcome, set?: SettingsSet) => settings.finished(sessions.at(-1)!, outcome, set);
  return { settings, sessions, host, log, results, done, end, changed: () => changed, refuse: (why: string | undefined) => { refuse = why; } };
}

test("the connection's read: asked at the first reading, once; none while busy; a left factory mode exits at the next readings until confirmed", () => {
  const w = world();
  assert.deepEqual([w.settings.busy, w.settings.values, w.settings.writable, w.settings.pinSetting], [false, undefined, true, "bms1Pin"]);
  w.settings.polled();
  assert.deepEqual(w.sessions.map((s) => s.kind), ["read"]);
  assert.equal(w.settings.busy, true);
  w.settings.polled();
  assert.equal(w.sessions.length, 1, "busy: nothing more");
  w.end({ ok: true, action: "read" }, readSet());
  assert.equal(w.settings.busy, false);
  assert.equal(w.settings.values!.raw[0x24 - 0x10], 3650, "the values kept");
  w.settings.polled();
  assert.equal(w.sessions.length, 1, "read once per connection");

  w.settings.factoryMaybeOn = true;
  w.settings.polled();
  assert.deepEqual(w.sessions.map((s) => s.kind), ["read", "exit"]);
  w.end({ ok: false, action: "exit", error: "the BMS did not answer" });
  w.settings.polled();
  assert.deepEqual(w.sessions.map((s) => s.kind), ["read", "exit", "exit"], "again at the next reading");

  // a new connection: its read is due again; with factory mode maybe on, at once (before its first reading)
  w.end({ ok: true, action: "exit" });
  w.settings.factoryMaybeOn = false;
  w.settings.linkUp();
  assert.equal(w.sessions.length, 3, "nothing at link-up when factory mode is off");
  w.settings.polled();
  assert.equal(w.sessions.at(-1)!.kind, "read");
  w.end({ ok: true, action: "read" }, readSet());
  w.settings.factoryMaybeOn = true;
  w.settings.linkUp();
  assert.equal(w.sessions.at(-1)!.kind, "read");
  assert.equal(w.sessions.length, 5);
});

test("one request may wait: a second read is the same read, anything else is refused busy (restore named as such)", () => {
  const w = world();
  w.settings.read(w.done);
  w.settings.read(); // waits
  w.settings.read(); // the same read: no answer, nothing more
  w.settings.values = readSet();
  w.settings.write({ cellOvervoltage: 3.6 }, w.done);
  w.settings.write({ cellOvervoltage: 3.6 }, w.done, true);
  w.settings.read(w.done);
  assert.deepEqual(w.results, [
    { ok: false, action: "write", error: "busy: a settings request is already waiting" },
    { ok: false, action: "restore", error: "busy: a settings request is already waiting" },
    { ok: false, action: "read", error: "busy: a settings request is already waiting" },
  ]);
  assert.equal(w.sessions.length, 1);
  w.end({ ok: true, action: "read" }, readSet());
  assert.deepEqual(w.sessions.map((s) => s.kind), ["read", "read"], "the waiting read starts when the first ends");
  assert.deepEqual(w.results.at(-1), { ok: true, action: "read" }, "the first read's requester answered");
});

test("write: refused before any session when writes are off, nothing was read, the values are wrong; nothing to change answers at once", () => {
  const off = world(false);
  off.settings.write({ cellOvervoltage: 3.6 }, off.done);
  off.settings.write({ cellOvervoltage: 3.6 }, off.done, true);
  assert.deepEqual(off.results, [
    { ok: false, action: "write", error: "settings writes are disabled (config set settingsWrite on)" },
    { ok: false, action: "restore", error: "settings writes are disabled (config set settingsWrite on)" },
  ]);
  const w = world();
  w.settings.write({ cellOvervoltage: 3.6 }, w.done);
  assert.deepEqual(w.results.at(-1), { ok: false, action: "write", error: "settings not read yet: read them first (settings read)" });
  w.settings.values = readSet();
  w.settings.write({ cellOvervoltage: 9 }, w.done);
  assert.match(w.results.at(-1)!.error!, /^refused: /);
  w.settings.write({ cellOvervoltage: 3.65, bogus: 1 } as unknown, w.done);
  assert.match(w.results.at(-1)!.error!, /^refused: /, "an unknown key");
  w.settings.write({ cellOvervoltage: 3.65 }, w.done);
  assert.deepEqual(w.results.at(-1), { ok: true, action: "write", changes: [], unchanged: ["cellOvervoltage"], skipped: undefined });
  w.settings.write({ cellOvervoltage: 3.65 }, w.done, true);
  assert.equal(w.results.at(-1)!.unchanged, undefined, "a restore names no unchanged keys (a backup names every key)");
  assert.equal(w.sessions.length, 0);
  w.settings.write({ cellOvervoltage: 3.6 }, w.done);
  assert.deepEqual(w.sessions.map((s) => s.kind), ["write"]);
});

test("dry run: against the last values read, nothing sent", () => {
  const w = world();
  assert.deepEqual(w.settings.dryRun({ cellOvervoltage: 3.6 }), { ok: false, action: "write", dryRun: true, error: "settings not read yet: read them first (settings read)" });
  assert.equal(w.settings.dryRun({}, true).action, "restore");
  w.settings.values = readSet();
  assert.deepEqual(w.settings.dryRun({ cellOvervoltage: 3.6, cellUndervoltage: 2.5 }),
    { ok: true, action: "write", dryRun: true, changes: [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }], unchanged: ["cellUndervoltage"] });
  const bad = w.settings.dryRun({ cellOvervoltage: 9 });
  assert.equal(bad.ok, false);
  assert.match(bad.error!, /^refused: /);
  const restore = w.settings.dryRun({ cellOvervoltage: 3.6, cellUndervoltage: 2.5 }, true);
  assert.equal(restore.unchanged, undefined);
  assert.deepEqual(restore.changes, [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }]);
  assert.equal(w.sessions.length, 0);
});

test("a session's end: the values kept, the log line, a saved write read back in a session of its own, the listener told (its exception logged)", () => {
  const w = world();
  w.settings.values = readSet();
  w.settings.write({ cellOvervoltage: 3.6 }, w.done);
  const written = w.sessions[0];
  w.settings.finished({ kind: "read" } as SettingsSession, { ok: true, action: "read" }, undefined);
  assert.equal(w.results.length, 0, "another session's end is not ours");
  w.host.throwOnChange = true;
  w.end({ ok: true, action: "write", changes: [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }] });
  assert.deepEqual(w.results, [{ ok: true, action: "write", changes: [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }] }]);
  assert.ok(w.log.lines.includes("info BMS settings:house write saved: cellOvervoltage 3.6"), w.log.lines.join("\n"));
  assert.deepEqual(w.log.errors, ["settings listener:Error: listener bug"]);
  assert.equal(w.changed(), 1);
  assert.deepEqual(w.sessions.map((s) => s.kind), ["write", "read"], "the save read back");
  assert.notEqual(w.sessions[1], written);
  w.host.throwOnChange = false;
  w.end({ ok: true, action: "read" }, readSet());
  assert.ok(w.log.lines.includes("info BMS settings:house read done"));
  assert.equal(w.sessions.length, 2, "a read is not read back");

  // a failed session: a warning with the reason; no read-back; a write with nothing changed: none either
  w.settings.write({ cellOvervoltage: 3.6 }, () => { throw new Error("handler bug"); });
  w.end({ ok: false, action: "write", error: "the BMS refused factory mode: x" });
  assert.ok(w.log.lines.includes("warn BMS settings:house write: the BMS refused factory mode: x"));
  assert.deepEqual(w.log.errors.slice(1), ["settings result handler:Error: handler bug"]);
  assert.equal(w.sessions.length, 3);
  w.settings.write({ cellOvervoltage: 3.6 }, w.done);
  w.end({ ok: true, action: "write", changes: [] });
  assert.equal(w.sessions.length, 4, "nothing saved: nothing read back");
});

test("the poller refuses the session (link down, released, another session): answered with its reason, nothing kept waiting", () => {
  const w = world();
  w.refuse("not connected");
  w.settings.read(w.done);
  w.settings.values = readSet();
  w.settings.write({ cellOvervoltage: 3.6 }, w.done, true);
  assert.deepEqual(w.results, [{ ok: false, action: "read", error: "not connected" }, { ok: false, action: "restore", error: "not connected" }]);
  assert.equal(w.settings.busy, false);
  w.refuse(undefined);
  w.settings.polled();
  assert.equal(w.sessions.length, 1, "the connection's read is still due");
});
