// A factory-mode settings session (modules/link/settings-session.ts) on its own, against the
// simulator's EEPROM (test/sim/bms-eeprom.ts) answering through a scripted poller: every path that
// entered factory mode exits it, what each refusal, silence, drop and mismatch is called, and where
// `factoryMaybeOn` stands after each. Replies may be changed or withheld per request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SettingsSession, type SessionKind, type SettingsOutcome } from "../../modules/link/settings-session";
import { REGISTERS, SettingsSet } from "../../modules/protocol/registers";
import { SimulatedEeprom } from "../sim/bms-eeprom";
import { encodeReply, parseRequest } from "../sim/bms-frames";

type Fault = (reg: number, write: boolean) => Uint8Array | "silent" | undefined;

/** The `n`th request for `reg` (of that direction, when `write` is given) gets `answer` instead of the BMS's. */
function nth(reg: number, n: number, answer: Uint8Array | "silent", write?: boolean): Fault {
  let seen = 0;
  return (r, w) => r === reg && (write === undefined || w === write) && ++seen === n ? answer : undefined;
}

function world(kind: SessionKind, values?: unknown, options: { restore?: boolean; authorize?: "refuse"; fault?: Fault; maybeOn?: boolean } = {}) {
  const eeprom = new SimulatedEeprom("fw20", 4, 100);
  const sent: string[] = [];
  const queue: Uint8Array[] = [];
  let ended = 0, silent = false;
  const outcomes: { outcome: SettingsOutcome; set: SettingsSet | undefined }[] = [];
  const owner = { factoryMaybeOn: options.maybeOn ?? false, pinSetting: "bms1Pin",
    finished: (_s: SettingsSession, outcome: SettingsOutcome, set: SettingsSet | undefined) => { outcomes.push({ outcome: JSON.parse(JSON.stringify(outcome)), set }); } };
  const bms = (bytes: Uint8Array): Uint8Array | "silent" => {
    const r = parseRequest(bytes)!;
    const faulty = options.fault?.(r.reg, r.write);
    if (faulty) return faulty;
    if (r.reg === 0x00) { eeprom.enter(); return encodeReply(0x00, 0); }
    if (r.reg === 0x01) return encodeReply(0x01, eeprom.exit(r.data));
    return eeprom.execute(r.write, r.reg, r.data);
  };
  const session = new SettingsSession({
    sessionSend: (request) => { sent.push(Buffer.from(new Uint8Array(request)).toString("hex")); queue.push(new Uint8Array(request)); },
    sessionAuthorize: (done) => { if (!options.authorize) return false; done("the module refused the root password"); return true; },
    endSession: () => { ended++; },
  }, owner, kind, values, options.restore ?? false);
  /** Answer what was sent, in order, until nothing waits or a reply is withheld. */
  const run = () => {
    while (queue.length && !silent) {
      const answer = bms(queue.shift()!);
      if (answer === "silent") { silent = true; return; }
      session.reply(answer);
    }
  };
  /** The poller's failure (a timeout, a drop of the write) for what was withheld; then the BMS answers again. */
  const fail = (reason: string) => { session.failed(reason); silent = false; run(); };
  return { eeprom, sent, owner, outcomes, session, run, fail, start: () => { session.begin(); run(); }, ended: () => ended };
}

const CELL_OV = 0x24; // cellOvervoltage, mV

test("a read: exit first (whatever was left), enter, every register 0x10..0x47, exit without saving; the values come back", () => {
  const w = world("read");
  w.start();
  assert.equal(w.sent[0], "dd5a01020000fffd77", "exit without saving first");
  assert.equal(w.sent[1], "dd5a00025678ff3077", "then enter");
  assert.equal(w.sent.length, 2 + 0x38 + 1);
  assert.equal(w.sent.at(-1), "dd5a01020000fffd77", "and exit without saving");
  assert.equal(w.outcomes.length, 1);
  assert.deepEqual(w.outcomes[0].outcome, { ok: true, action: "read" });
  assert.equal(w.outcomes[0].set!.raw[CELL_OV - 0x10], 3650);
  assert.equal(w.owner.factoryMaybeOn, false);
  assert.equal(w.ended(), 1);
  assert.equal(w.eeprom.stats.saves, 0);
  assert.equal(w.eeprom.factoryMode, false);
});

test("an exit session: only the first exit; refused in words; the factory-mode flag cleared only when the BMS said OK", () => {
  const w = world("exit", undefined, { maybeOn: true });
  w.start();
  assert.deepEqual([w.sent.length, w.outcomes[0].outcome, w.owner.factoryMaybeOn], [1, { ok: true, action: "exit" }, false]);
  const r = world("exit", undefined, { maybeOn: true, fault: (reg) => reg === 0x01 ? encodeReply(0x01, 0x80) : undefined });
  r.start();
  assert.deepEqual([r.outcomes[0].outcome, r.owner.factoryMaybeOn], [{ ok: false, action: "exit", error: "exit refused: command not supported" }, true]);
});

test("a write: each change written and read back, then exit and save; unchanged and written keys named", () => {
  const w = world("write", { cellOvervoltage: 3.6, cellUndervoltage: 2.5 });
  w.start();
  const o = w.outcomes[0].outcome;
  assert.equal(o.ok, true, JSON.stringify(o));
  assert.deepEqual(o.changes, [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }]);
  assert.deepEqual(o.unchanged, ["cellUndervoltage"]);
  assert.equal(w.eeprom.saved(CELL_OV), 3600);
  assert.equal(w.eeprom.stats.saves, 1);
  assert.equal(w.owner.factoryMaybeOn, false);
  assert.equal(w.sent.at(-1), "dd5a01022828ffad77", "exit and save (0x2828)");

  // nothing to change: exit without saving, ok
  const same = world("write", { cellOvervoltage: 3.65 });
  same.start();
  assert.deepEqual([same.outcomes[0].outcome.ok, same.outcomes[0].outcome.changes, same.eeprom.stats.saves], [true, [], 0]);
  // a refused plan: exit without saving, the reason
  const bad = world("write", { cellOvervoltage: 9 });
  bad.start();
  assert.equal(bad.outcomes[0].outcome.ok, false);
  assert.match(bad.outcomes[0].outcome.error!, /^refused: /);
  assert.equal(bad.eeprom.stats.writes, 0);
  assert.equal(bad.eeprom.factoryMode, false);
});

test("a write that does not read back as written, a refused write, a refused save: exit without saving, the key and values named", () => {
  const stuck = world("write", { cellOvervoltage: 3.6 });
  stuck.eeprom.stuck.add(CELL_OV);
  stuck.start();
  assert.deepEqual(stuck.outcomes[0].outcome.failed, { key: "cellOvervoltage", wrote: 3.6, read: 3.65 });
  assert.equal(stuck.outcomes[0].outcome.error, "cellOvervoltage: it did not read back as written; nothing was saved");
  assert.deepEqual([stuck.eeprom.stats.saves, stuck.eeprom.factoryMode, stuck.outcomes[0].set], [0, false, undefined]);

  const refused = world("write", { cellOvervoltage: 3.6 }, { fault: nth(CELL_OV, 1, encodeReply(CELL_OV, 0x81), true) });
  refused.start();
  assert.deepEqual(refused.outcomes[0].outcome.failed, { key: "cellOvervoltage", wrote: 3.6, read: null });
  assert.match(refused.outcomes[0].outcome.error!, /^cellOvervoltage: the BMS refused the write: .*; nothing was saved$/);

  const readBack = world("write", { cellOvervoltage: 3.6 }, { fault: nth(CELL_OV, 2, encodeReply(CELL_OV, 0x80), false) });
  readBack.start();
  assert.match(readBack.outcomes[0].outcome.error!, /^cellOvervoltage: the read-back failed: command not supported; nothing was saved$/);
  assert.equal(readBack.outcomes[0].outcome.failed!.read, null);

  const noSave = world("write", { cellOvervoltage: 3.6 }, { fault: nth(0x01, 2, encodeReply(0x01, 0x80)) });
  noSave.start();
  assert.equal(noSave.outcomes[0].outcome.error, "the BMS refused to save: command not supported");
  assert.equal(noSave.eeprom.factoryMode, false, "left without saving after the refused save");
});

test("factory mode refused: the PIN hint for the statuses a PIN causes, none for others; the flag cleared", () => {
  for (const [status, hint] of [[0x81, true], [0x82, true], [0x83, true], [0x80, false]] as const) {
    const w = world("read", undefined, { fault: nth(0x00, 1, encodeReply(0x00, status)) });
    w.start();
    const error = w.outcomes[0].outcome.error!;
    assert.match(error, /^the BMS refused factory mode: /);
    assert.equal(error.endsWith(" (a BMS with a PIN: config set bms1Pin <six digits>)"), hint, `0x${status.toString(16)}: ${error}`);
    assert.equal(w.owner.factoryMaybeOn, false);
    assert.equal(w.sent.length, 2, "nothing after a refused enter");
  }
});

test("silence and drops: in each phase the words say what was under way; factory mode maybe on is kept for the next session", () => {
  // no answer to the enter: exit without saving, then report
  const enter = world("read", undefined, { fault: (reg) => reg === 0x00 ? "silent" : undefined });
  enter.start();
  assert.equal(enter.owner.factoryMaybeOn, true, "an enter was asked: it may have been taken");
  enter.fail("timeout");
  assert.equal(enter.outcomes[0].outcome.error, "the BMS did not answer (entering factory mode)");
  assert.equal(enter.owner.factoryMaybeOn, false, "the exit after it was answered");

  const read = world("read", undefined, { fault: (reg) => reg === 0x20 ? "silent" : undefined });
  read.start();
  read.fail("timeout");
  assert.match(read.outcomes[0].outcome.error!, /^the BMS did not answer \(reading \w+\)$/, "names the register being read");
  assert.equal(read.eeprom.factoryMode, false, "left without saving");

  const write = world("write", { cellOvervoltage: 3.6 }, { fault: (reg, w) => w && reg === CELL_OV ? "silent" : undefined });
  write.start();
  write.fail("not connected");
  assert.equal(write.outcomes[0].outcome.error, "not connected (writing cellOvervoltage)");

  const exit = world("read", undefined, { fault: nth(0x01, 2, "silent") });
  exit.start();
  exit.session.failed("timeout");
  assert.equal(exit.outcomes[0].outcome.error, "the BMS did not answer (leaving factory mode); tried again at the next session or connection");
  assert.equal(exit.owner.factoryMaybeOn, true);
  assert.ok(exit.outcomes[0].set, "a read that could not exit still read the pack");

  const dropped = world("write", { cellOvervoltage: 3.6 });
  dropped.session.begin();
  dropped.session.stopped("link lost");
  assert.deepEqual(dropped.outcomes[0].outcome, { ok: false, action: "write", error: "link lost: the link stopped during the session; nothing was saved (factory mode is left at the next connection)" });
  dropped.run();
  assert.equal(dropped.outcomes.length, 1, "nothing after the drop");
});

test("a BMS that leaves factory mode during the read; the root login refused; a restore is called one; an exception in a step is an internal error", () => {
  const left = world("read", undefined, { fault: (reg) => reg === 0x30 ? encodeReply(0x30, 0x81) : undefined });
  left.start();
  assert.equal(left.outcomes[0].outcome.error, "the BMS left factory mode during the read (status 0x81)");

  const root = world("read", undefined, { authorize: "refuse" });
  root.session.begin();
  assert.deepEqual([root.sent, root.outcomes[0].outcome.error, root.ended()], [[], "root login failed: the module refused the root password", 1]);

  const restore = world("write", { cellOvervoltage: 3.6 }, { restore: true });
  restore.start();
  assert.equal(restore.outcomes[0].outcome.action, "restore");
  assert.equal(restore.outcomes[0].outcome.unchanged, undefined, "a backup names every key: no unchanged list");

  const crashing = world("read");
  crashing.owner.finished = () => { throw new Error("owner bug"); };
  crashing.session.begin();
  // the owner's exception comes back through the guard: reported as an internal error only once
  assert.doesNotThrow(() => crashing.run());
});

test("registers: one the firmware lacks (0x80) is absent, one it fails is named unreadable; a read whose exit is refused still reads", () => {
  const exitRefused = nth(0x01, 2, encodeReply(0x01, 0x80));
  const w = world("read", undefined, { fault: (reg, write) => reg === 0x44 ? encodeReply(0x44, 0x80) : reg === 0x45 ? encodeReply(0x45, 0x82) : exitRefused(reg, write) });
  w.start();
  const { outcome, set } = w.outcomes[0];
  assert.deepEqual(outcome.unreadable, [REGISTERS[0x45 - 0x10].key], "the failed register, not the absent one");
  assert.equal(outcome.error, "leaving factory mode refused: command not supported");
  assert.equal(outcome.ok, false);
  assert.ok(set, "what was read stands");
  assert.equal(w.owner.factoryMaybeOn, true, "the exit was refused");
  const absent = world("read", undefined, { fault: (reg) => reg === 0x44 ? encodeReply(0x44, 0x80) : undefined });
  absent.start();
  assert.equal(absent.outcomes[0].outcome.unreadable, undefined);
  assert.ok(absent.outcomes[0].set, "absent registers still make a complete set");
  assert.equal(absent.outcomes[0].set!.raw[0x44 - 0x10], 0);
});

test("two changes written in turn; silence while saving; a drop while saving; an exception inside a step", () => {
  const two = world("write", { cellOvervoltage: 3.6, cellUndervoltage: 2.6 });
  two.start();
  assert.deepEqual(two.outcomes[0].outcome.changes!.map((c) => c.key), ["cellOvervoltage", "cellUndervoltage"]);
  assert.deepEqual([two.eeprom.saved(0x24), two.eeprom.saved(0x26)], [3600, 2600]);
  assert.deepEqual(two.sent.filter((hex) => hex.startsWith("dd5a2")).map((hex) => hex.slice(4, 6)), ["24", "26"], "each register written by its number");

  const quiet = world("write", { cellOvervoltage: 3.6 }, { fault: nth(0x01, 2, "silent") });
  quiet.start();
  quiet.fail("timeout");
  assert.equal(quiet.outcomes[0].outcome.error, "the BMS did not answer (saving)");

  const drop = world("write", { cellOvervoltage: 3.6 }, { fault: nth(0x01, 2, "silent") });
  drop.start();
  drop.session.stopped("link lost");
  assert.equal(drop.outcomes[0].outcome.error, "link lost: the link stopped during the session; the save was not confirmed (factory mode is left at the next connection)");

  const crash = world("read");
  let sends = 0;
  const original = crash.session as unknown as { poller: { sessionSend: (r: ArrayBuffer, c: number) => void } };
  const send = original.poller.sessionSend;
  original.poller.sessionSend = (r, c) => { if (++sends === 3) throw new Error("no buffer"); send(r, c); };
  crash.start();
  assert.deepEqual(crash.outcomes.map((x) => x.outcome), [{ ok: false, action: "read", error: "internal error: Error: no buffer" }]);
  assert.equal(crash.ended(), 1, "the poller's session ended");
  crash.session.reply(encodeReply(0x10, 0));
  assert.equal(crash.outcomes.length, 1, "nothing after it");
});
