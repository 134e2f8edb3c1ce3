// A maintenance session (modules/link/maintenance.ts) on its own, with a scripted poller: the root
// login's outcome, the write's refusal in words, the wait before the read-back, a read-back that does
// not come or cannot be read, what the read-back shows for each function, a drop, and a requester
// that throws. Replies are JBD frames built by the simulator's encoder from real captures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MaintenanceSession, READ_BACK_DELAY_MS, countersFacts, infoFacts, type MaintenanceResult, type SessionPort } from "../../modules/link/maintenance";
import { maintenanceFunction } from "../../modules/protocol/control";
import { BasicInfo, decodeBasicInfo } from "../../modules/protocol/basic-info";
import { ErrorCounters } from "../../modules/protocol/error-counters";
import { encodeReply } from "../sim/bms-frames";
import { SP04S034 } from "../bridge/fake-bms";
import { dispatch } from "../doubles/runtime";
import { TestLog } from "../bridge/helpers";

const basicPayload = () => new Uint8Array(Buffer.from(SP04S034.basic, "hex")).slice(4, -3);
/** The 0x03 reply of the SP04S034 capture with `protection` as its protection bits. */
function basicReply(protection: number): Uint8Array {
  const payload = basicPayload();
  payload[16] = protection >> 8; payload[17] = protection & 0xff;
  return encodeReply(0x03, 0, payload);
}
const countersReply = (first: number) => { const data = new Uint8Array(24); data[1] = first; return encodeReply(0xaa, 0, data); };
const controlReply = (status: number) => encodeReply(0x0a, status);

let now = 1_000;
/** Lets `ms` of the doubles' time pass, firing the timers the session armed (the host's side of timer.ts). */
const armed = new Map<number, number>();
function collect(ops: unknown[][]): void {
  for (const op of ops) {
    if (op[0] === "timer.set") armed.set(op[1] as number, now + (op[2] as number));
    if (op[0] === "timer.clear") armed.delete(op[1] as number);
  }
}
function advance(ms: number): void {
  collect(dispatch(now, "host.nothing", []));
  const until = now + ms;
  for (;;) {
    let next: [number, number] | undefined;
    for (const [id, at] of armed) if (at <= until && (!next || at < next[1])) next = [id, at];
    if (!next) break;
    now = next[1];
    armed.delete(next[0]);
    collect(dispatch(now, "timer", [next[0]]));
  }
  now = until;
}

function session(name: "capacity" | "protection" | "counters", gated?: "accept" | "refuse" | "later") {
  const sent: string[] = [];
  const log = new TestLog();
  const results: MaintenanceResult[] = [];
  let ended = 0;
  let authorize: ((error?: string) => void) | undefined;
  const port: SessionPort = {
    sessionSend: (request, cmd) => { sent.push(Buffer.from(new Uint8Array(request)).toString("hex") + " for 0x" + cmd.toString(16)); },
    sessionAuthorize: (done) => {
      if (!gated) return false;
      if (gated === "accept") done(); else if (gated === "refuse") done("the module refused the root password"); else authorize = done;
      return true;
    },
    endSession: () => { ended++; },
  };
  const before = { soc: 50 };
  const s = new MaintenanceSession(maintenanceFunction(name)!, port, before, (r) => results.push(r), log);
  return { s, sent, log, results, ended: () => ended, authorize: () => authorize, before };
}

test("clear protection: the write, 500 ms, the read-back; confirmed when none is left (a FET switched off by command is no protection)", () => {
  const t = session("protection");
  t.s.begin();
  assert.deepEqual(t.sent, ["dd5a0a020400fff077 for 0xa"]);
  assert.deepEqual(t.log.lines, ["info maintenance: clear protection and alarm status"]);
  t.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS - 1);
  assert.equal(t.sent.length, 1, "not before 500 ms");
  t.s.reply(basicReply(0)); // not awaited yet: ignored
  advance(1);
  assert.deepEqual(t.sent.slice(1), ["dda50300fffd77 for 0x3"]);
  t.s.reply(basicReply(1 << 12));
  const info = new BasicInfo();
  decodeBasicInfo(basicReply(1 << 12), info);
  assert.deepEqual(t.results, [{ function: "protection", ok: true, before: t.before, after: infoFacts(info) }]);
  assert.equal(t.ended(), 1);
  t.s.reply(basicReply(0));
  t.s.failed("timeout");
  assert.equal(t.results.length, 1, "one answer");
});

test("clear protection: named when what tripped it persists; capacity reset reports what it reads without judging it", () => {
  const p = session("protection");
  p.s.begin();
  p.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS);
  p.s.reply(basicReply(0b11));
  assert.equal(p.results[0].ok, false);
  assert.equal(p.results[0].error, "still set after the clear: Cell overvoltage, Cell undervoltage (what tripped it persists)");
  assert.equal(p.results[0].after!.protection, "Cell overvoltage, Cell undervoltage");

  const c = session("capacity");
  c.s.begin();
  assert.deepEqual(c.sent, ["dd5a0a020100fff377 for 0xa"]);
  c.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS);
  c.s.reply(basicReply(0b11));
  assert.equal(c.results[0].ok, true, "the capacity reset does not look at protections");
  assert.equal(c.results[0].error, undefined);
});

test("clear counters: read back from 0xAA; confirmed at 0, else how many are left; an unreadable read-back in words", () => {
  const ok = session("counters");
  ok.s.begin();
  ok.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS);
  assert.equal(ok.sent[1], "dda5aa00ff5677 for 0xaa");
  ok.s.reply(countersReply(0));
  assert.deepEqual(ok.results, [{ function: "counters", ok: true, before: ok.before, after: { errorCounters: 0 } }]);

  const left = session("counters");
  left.s.begin();
  left.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS);
  left.s.reply(countersReply(7));
  assert.deepEqual([left.results[0].ok, left.results[0].error, left.results[0].after], [false, "the counters still read 7 after the clear", { errorCounters: 7 }]);

  const bad = session("counters");
  bad.s.begin();
  bad.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS);
  bad.s.reply(encodeReply(0xaa, 0x80));
  assert.equal(bad.results[0].error, "the BMS took the command, but its state could not be read back: command not supported");
  const badInfo = session("protection");
  badInfo.s.begin();
  badInfo.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS);
  badInfo.s.reply(encodeReply(0x03, 0x81));
  assert.match(badInfo.results[0].error!, /^the BMS took the command, but its state could not be read back: /);
});

test("the write refused: a firmware without the functions, any other status; nothing read back", () => {
  const old = session("capacity");
  old.s.begin();
  old.s.reply(controlReply(0x80));
  assert.deepEqual(old.results, [{ function: "capacity", ok: false, before: old.before,
    error: "this BMS does not have the function (it answered 'command not supported': control functions came with V11 firmware)" }]);
  const other = session("capacity");
  other.s.begin();
  other.s.reply(controlReply(0x81));
  assert.match(other.results[0].error!, /^BMS refused: /);
  advance(READ_BACK_DELAY_MS * 2);
  assert.equal(other.sent.length, 1, "no read-back after a refusal");
});

test("no answer: to the write, to the read-back, another reason; a drop; the root login first where the module has one", () => {
  const w = session("capacity");
  w.s.begin();
  w.s.failed("timeout");
  assert.equal(w.results[0].error, "timeout: the BMS did not answer");
  const other = session("capacity");
  other.s.begin();
  other.s.failed("not connected");
  assert.equal(other.results[0].error, "not connected");
  const rb = session("counters");
  rb.s.begin();
  rb.s.reply(controlReply(0));
  advance(READ_BACK_DELAY_MS);
  rb.s.failed("timeout");
  assert.equal(rb.results[0].error, "the BMS took the command, but did not answer the read-back (timeout)");

  const drop = session("protection");
  drop.s.begin();
  drop.s.reply(controlReply(0));
  drop.s.stopped("link lost");
  assert.deepEqual(drop.results, [{ function: "protection", ok: false, error: "link lost: the link dropped before the BMS confirmed", before: drop.before }]);
  assert.equal(drop.ended(), 0, "the poller ended the session itself");
  advance(READ_BACK_DELAY_MS);
  assert.equal(drop.sent.length, 1, "no read-back after a drop");

  const gated = session("capacity", "accept");
  gated.s.begin();
  assert.equal(gated.sent.length, 1, "written after the root login");
  const refused = session("capacity", "refuse");
  refused.s.begin();
  assert.deepEqual([refused.sent, refused.results[0].error], [[], "root login failed: the module refused the root password"]);
  const later = session("capacity", "later");
  later.s.begin();
  assert.equal(later.sent.length, 0, "waits for the login");
  later.s.failed("timeout");
  later.authorize()!(); // a login that ends after the session did: nothing is written
  assert.equal(later.sent.length, 0);
});

test("a requester that throws is logged; the facts of a reading and of the counters", () => {
  const log = new TestLog();
  const s = new MaintenanceSession(maintenanceFunction("capacity")!, { sessionSend() {}, sessionAuthorize: () => false, endSession() {} }, {}, () => { throw new Error("handler bug"); }, log);
  s.begin();
  s.failed("timeout");
  assert.deepEqual(log.errors, ["maintenance result:Error: handler bug"]);

  const counters = new ErrorCounters();
  assert.deepEqual(countersFacts(counters), {}, "no counters read: no fact");
  counters.count = 3; counters.values[0] = 2; counters.values[1] = 0; counters.values[2] = 5;
  assert.deepEqual(countersFacts(counters), { errorCounters: 7 });
  const info = new BasicInfo();
  decodeBasicInfo(basicReply(0), info);
  assert.deepEqual(infoFacts(info), { soc: info.soc, remainingAh: info.remainingAh, protection: "none" });
});
