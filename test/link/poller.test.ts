// The poller's promises that mutation testing found open (npm run mutate -- link): raw frames,
// MOS outcomes other than success (timeout, refusal, a protection that holds the FET), the 0x05
// and 0xAA schedule, retries of error replies, exactly three failed polls before the link is
// closed, and availability that changes only on a change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";
import type { MosResult } from "../../modules/link/bms-view";
import { READ_CELLS, READ_BASIC_INFO } from "../../modules/protocol/commands";

const ADDRESS = "A4:C1:38:00:04:01";
const h = await startLinks([{ address: ADDRESS, id: "shed" }]);
const link = h.links[0];
const sim = h.sims[0];

const { runUntil } = h;
async function mos(fet: "charge" | "discharge", on: boolean, maxMs = 20_000): Promise<MosResult> {
  let result: MosResult | undefined;
  await h.device.invoke(() => link.setMos(fet, on, (r) => { result = r; }));
  await runUntil(() => result !== undefined, maxMs);
  return result!;
}
async function raw(bytes: ArrayBuffer, maxMs = 20_000): Promise<{ reply?: Uint8Array; error?: string }> {
  let answer: { reply?: Uint8Array; error?: string } | undefined;
  await h.device.invoke(() => link.sendRaw(bytes, (reply, error) => { answer = { reply, error }; }));
  await runUntil(() => answer !== undefined, maxMs);
  return answer!;
}

test("before the first reading a MOS command is refused as state unknown", async () => {
  await runUntil(() => link.connected, 30_000, 5);
  assert.equal(link.infoAt, -1, "caught between link up and the first reading");
  const r = await mos("charge", false);
  assert.deepEqual(r, { fet: "charge", requested: false, ok: false, error: "state unknown: no reading yet" });
  assert.equal(sim.stats.requests[0xe1] ?? 0, 0, "nothing written");
});

test("0x05 once per connection, 0xAA with it and then every 60 poll cycles", async () => {
  await runUntil(() => link.online, 30_000);
  assert.equal(sim.stats.requests[0x05], 1);
  const polls: number[] = [];
  let seen = sim.stats.requests[0xaa] ?? 0;
  assert.equal(seen, 1, "read once with the first cycle");
  while (polls.length < 2) {
    await h.run(1_000);
    const now = sim.stats.requests[0xaa] ?? 0;
    if (now > seen) { polls.push(sim.stats.requests[0x03]); seen = now; }
    assert.ok(h.clock.now() < 1_000_000, "0xAA came");
  }
  assert.equal(polls[1] - polls[0], 60, "60 cycles between two 0xAA reads");
  assert.equal(sim.stats.requests[0x05], 1, "0x05 not asked again on the same connection");
  const connects = link.stats.connects;
  h.device.ble.drop(h.device.ble.find(ADDRESS)!);
  await runUntil(() => link.stats.connects > connects && link.online, 30_000);
  assert.equal(sim.stats.requests[0x05], 2, "asked again after a reconnect");
});

test("raw frames: the reply frame only, busy while one runs, a timeout when unanswered", async () => {
  const r = await raw(READ_CELLS.slice(0));
  assert.equal(r.error, undefined);
  assert.equal(r.reply![1], 0x04);
  assert.equal(r.reply!.length, r.reply![3] + 7, "exactly the frame");
  const answers: string[] = [];
  await h.device.invoke(() => {
    link.sendRaw(READ_BASIC_INFO.slice(0), (reply, error) => answers.push(reply ? "reply " + reply[1] : "error " + error));
    link.sendRaw(READ_BASIC_INFO.slice(0), (reply, error) => answers.push(reply ? "reply " + reply[1] : "error " + error));
  });
  await runUntil(() => answers.length === 2, 10_000);
  assert.deepEqual(answers, ["error busy", "reply 3"]);
  sim.faults.unanswered = 1;
  try {
    const lost = await raw(READ_BASIC_INFO.slice(0));
    assert.deepEqual(lost, { reply: undefined, error: "timeout" });
  } finally { sim.faults.unanswered = 0; }
  await runUntil(() => link.online, 60_000, 100);
});

test("MOS: a BMS that does not answer, one that refuses, one that keeps the FET", async () => {
  await runUntil(() => link.online && link.connected, 60_000, 100);
  sim.faults.unanswered = 1;
  let r: MosResult;
  try { r = await mos("discharge", false); } finally { sim.faults.unanswered = 0; }
  assert.equal(r.ok, false);
  assert.match(r.error ?? "", /^timeout: the BMS did not answer/);
  assert.equal(sim.pack.read().fet.discharge, true);
  await runUntil(() => link.online && link.connected, 60_000, 100);

  // status 0x81 (not 0x80, which means "try 0xFB"): refused with the reason
  const original = sim.onNotify!;
  sim.onNotify = (chunk) => {
    if (chunk[0] === 0xdd && chunk[1] === 0xe1) {
      const refused = new Uint8Array([0xdd, 0xe1, 0x81, 0x00, 0xff, 0x7f, 0x77]);
      original(refused);
      return;
    }
    original(chunk);
  };
  try { r = await mos("discharge", false); } finally { sim.onNotify = original; }
  assert.equal(r.ok, false);
  assert.match(r.error ?? "", /^BMS refused: invalid operation/);
  assert.equal(r.command, undefined);

  // a BMS that acknowledges but keeps the FET: why, as far as the reading tells
  const pack = sim.pack;
  const { setSoftOff, read } = pack;
  pack.setSoftOff = () => {};
  try {
    r = await mos("charge", false);
    assert.equal(r.ok, false);
    assert.equal(r.error, "state did not change: the BMS ignored the command (load current too high, or it needs authentication)");
    assert.deepEqual([r.charge, r.discharge, r.command], [true, sim.pack.read().fet.discharge, "e1"], "the state read back");
    pack.read = () => { const reading = read.call(pack); return { ...reading, protection: reading.protection | 1 | (1 << 12) }; };
    r = await mos("charge", false);
    assert.equal(r.error, "state did not change: protection active (cellOvervoltage)", "the software lock bit is no reason");
  } finally { pack.setSoftOff = setSoftOff; pack.read = read; }
});

test("a read answered with an error status is retried like an unanswered one", async () => {
  await runUntil(() => link.online, 120_000, 100);
  await runUntil(() => link.connected, 120_000, 100);
  const s = { ...link.stats };
  sim.faults.errorStatus = 1;
  const failed = link.stats.pollsFailed;
  try {
    await runUntil(() => link.stats.pollsFailed > failed, 3 * POLL_MS);
  } finally { sim.faults.errorStatus = 0; }
  assert.ok(link.stats.errorReplies - s.errorReplies >= 3, "three attempts, each answered with an error");
  assert.ok(link.stats.retries - s.retries >= 2);
  assert.equal(link.stats.timeouts, s.timeouts, "not counted as timeouts");
});

test("exactly three failed polls close the link; availability events only on a change", async () => {
  await runUntil(() => link.online, 60_000, 100);
  const ok = link.stats.pollsOk;
  await runUntil(() => link.stats.pollsOk > ok, 3 * POLL_MS); // a good poll: no failure counted from before
  const forced = link.stats.forcedDisconnects, failed = link.stats.pollsFailed;
  sim.faults.unanswered = 1;
  try {
    await runUntil(() => link.stats.pollsFailed === failed + 2, 3 * POLL_MS);
    assert.equal(link.stats.forcedDisconnects, forced, "two failed polls: still held");
    await runUntil(() => link.stats.pollsFailed === failed + 3, 2 * POLL_MS);
    await h.run(50);
    assert.ok(link.stats.forcedDisconnects > forced || !link.connected, "the third closes it");
  } finally { sim.faults.unanswered = 0; }
  await runUntil(() => link.online, 60_000, 100);
  const mine = h.availability.filter((a) => a.id === "shed").map((a) => a.online);
  for (let i = 1; i < mine.length; i++) assert.notEqual(mine[i], mine[i - 1], `event ${i} repeats ${mine[i]}`);
  assert.equal(mine[0], true);
  assert.equal(h.device.fatalErrors, 0);
});
