// The MOS queue on its own (modules/link/mos-queue.ts): one slot per FET, the order commands came in,
// supersession, clearing, the pace between writes, and the renumbering of the order (after about a
// billion commands; here after a few).
// Time is the doubles' clock, set by hand (dispatch).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MOS_INTERVAL_MS, MosQueue, SUPERSEDED, answerMos } from "../../modules/link/mos-queue";
import type { MosResult } from "../../modules/link/bms-view";
import { dispatch } from "../doubles/runtime";
import { TestLog } from "../bridge/helpers";

function answers(): { done: (label: string) => (r: MosResult) => void; got: string[] } {
  const got: string[] = [];
  return { got, done: (label) => (r) => got.push(`${label}: ${r.fet} ${r.requested ? "on" : "off"} ${r.ok ? "ok" : r.error}`) };
}

test("MOS queue: empty takes nothing; one command per FET, taken in the order they came, each as an e1 write not yet authorized", () => {
  const q = new MosQueue(new TestLog());
  assert.equal(q.pending, false);
  assert.equal(q.take(), undefined);
  const a = answers();
  q.put("discharge", true, a.done("d"));
  assert.equal(q.pending, true);
  q.put("charge", false, a.done("c"));
  const first = q.take()!;
  assert.deepEqual({ ...first, done: undefined }, { fet: "discharge", on: true, done: undefined, command: "e1", authorized: false });
  assert.equal(q.pending, true);
  const second = q.take()!;
  assert.deepEqual({ ...second, done: undefined }, { fet: "charge", on: false, done: undefined, command: "e1", authorized: false });
  assert.equal(q.pending, false);
  assert.equal(q.take(), undefined);
  first.done({ fet: "discharge", requested: true, ok: true });
  second.done({ fet: "charge", requested: false, ok: true });
  assert.deepEqual(a.got, ["d: discharge on ok", "c: charge off ok"], "the callbacks given are the ones taken");

  // charge first this time; and a charge command alone
  q.put("charge", true, a.done("c2"));
  q.put("discharge", false, a.done("d2"));
  assert.equal(q.take()!.fet, "charge");
  assert.equal(q.take()!.fet, "discharge");
  q.put("charge", true, a.done("c3"));
  assert.deepEqual({ ...q.take()!, done: undefined }, { fet: "charge", on: true, done: undefined, command: "e1", authorized: false });
});

test("MOS queue: a later command for the same FET supersedes the waiting one (answered at once, with what it asked), and keeps its place in the order", () => {
  const log = new TestLog();
  const q = new MosQueue(log);
  const a = answers();
  q.put("charge", false, a.done("c1"));
  q.put("discharge", false, a.done("d1"));
  q.put("charge", true, a.done("c2"));
  assert.deepEqual(a.got, [`c1: charge off ${SUPERSEDED}`]);
  assert.equal(SUPERSEDED, "superseded by a later command");
  const first = q.take()!;
  assert.equal(first.fet, "discharge", "the discharge command came before the charge command that replaced c1");
  assert.equal(q.take()!.on, true, "the latest wanted state");
  q.put("discharge", true, a.done("d2"));
  q.put("discharge", false, a.done("d3"));
  assert.deepEqual(a.got.slice(1), [`d2: discharge on ${SUPERSEDED}`]);
  assert.deepEqual(log.lines, [], "nothing logged");
});

test("MOS queue: clear answers every waiting command with the reason, in the order they came; a requester that throws is logged", () => {
  const log = new TestLog();
  const q = new MosQueue(log);
  const a = answers();
  q.put("discharge", true, a.done("d"));
  q.put("charge", false, () => { throw new Error("handler bug"); });
  q.put("charge", true, a.done("c")); // the throwing one is superseded: logged, not passed on
  assert.deepEqual(log.errors, ["MOS result handler:Error: handler bug"]);
  q.clear("link released");
  assert.deepEqual(a.got, ["d: discharge on link released", "c: charge on link released"]);
  assert.equal(q.pending, false);
  q.clear("nothing waits");
  assert.equal(a.got.length, 2);

  const done: MosResult[] = [];
  answerMos((r) => done.push(r), { fet: "charge", requested: true, ok: true }, log);
  assert.deepEqual(done, [{ fet: "charge", requested: true, ok: true }]);
});

test("MOS queue: writes are paced MOS_INTERVAL_MS apart from the last one; none yet means now", () => {
  dispatch(100_000, "host.nothing", []);
  const q = new MosQueue(new TestLog());
  assert.equal(q.waitMs, 0, "no write yet");
  q.wrote();
  assert.equal(MOS_INTERVAL_MS, 2_000);
  assert.equal(q.waitMs, 2_000);
  dispatch(100_001, "host.nothing", []);
  assert.equal(q.waitMs, 1_999);
  dispatch(101_999, "host.nothing", []);
  assert.equal(q.waitMs, 1);
  dispatch(102_000, "host.nothing", []);
  assert.equal(q.waitMs, 0);
  dispatch(150_000, "host.nothing", []);
  assert.equal(q.waitMs, 0);
  dispatch(99_000, "host.nothing", []); // a clock that went back (the tick counter's wrap): never a wait
  assert.equal(q.waitMs, 0);
});

test("MOS queue: the order numbers start again at the limit and the waiting commands keep their order, either FET first or alone", () => {
  for (const [first, second] of [["charge", "discharge"], ["discharge", "charge"]] as const) {
    for (let fill = 0; fill < 6; fill++) {
      const q = new MosQueue(new TestLog(), 4);
      const a = answers();
      for (let i = 0; i < fill; i++) { q.put(first, true, a.done("x")); q.take(); } // count up
      q.put(first, true, a.done("1"));
      q.put(second, false, a.done("2"));
      q.put(second, true, a.done("3")); // supersedes 2, and may renumber
      q.put(first, false, a.done("4")); // supersedes 1: now after 3
      assert.deepEqual([q.take()!.fet, q.take()!.fet, q.take()], [second, first, undefined], `${first} first, ${fill} before`);
    }
  }
  const alone = new MosQueue(new TestLog(), 2);
  const a = answers();
  for (let i = 0; i < 5; i++) alone.put("discharge", i % 2 === 0, a.done("d" + i));
  assert.deepEqual({ ...alone.take()!, done: undefined }, { fet: "discharge", on: true, done: undefined, command: "e1", authorized: false });
  assert.equal(alone.take(), undefined);
  alone.put("charge", true, a.done("c"));
  alone.put("discharge", false, a.done("d"));
  assert.deepEqual([alone.take()!.fet, alone.take()!.fet], ["charge", "discharge"]);
});
