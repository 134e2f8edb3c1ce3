// Poller edges the mutation report left open: a MOS or raw result handler that throws (every
// callback is a boundary), and a MOS command or raw frame still pending when the link drops.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";
import type { MosResult } from "../../modules/link/bms-view";
import { READ_BASIC_INFO } from "../../modules/protocol/commands";

const ADDRESS = "A4:C1:38:00:0A:01";
const h = await startLinks([{ address: ADDRESS, id: "loft" }]);
const link = h.links[0];
const sim = h.sims[0];
const peripheral = h.device.ble.find(ADDRESS)!;

const { runUntil } = h;

test("a raw reply handler that throws is logged and polling goes on", async () => {
  await runUntil(() => link.online, 30_000);
  let called = 0;
  await h.device.invoke(() => link.sendRaw(READ_BASIC_INFO.slice(0), () => { called++; throw new Error("console gone"); }));
  await runUntil(() => called > 0, 10_000);
  await h.run(10);
  assert.ok(h.logs.some((l) => l.startsWith("E raw reply handler:") && /console gone/.test(l)), h.logs.join("\n"));
  const readings = h.readings.length;
  await h.run(2 * POLL_MS);
  assert.ok(h.readings.length > readings, "still polled");
  assert.equal(link.online, true);
});

test("a MOS result handler that throws is logged and polling goes on", async () => {
  let result: MosResult | undefined;
  await h.device.invoke(() => link.setMos("charge", true, (r) => { result = r; throw new Error("mqtt gone"); }));
  await runUntil(() => result !== undefined, 20_000);
  await h.run(10);
  assert.equal(result!.ok, true, "charge was on already: confirmed");
  assert.ok(h.logs.some((l) => l.startsWith("E MOS result handler:") && /mqtt gone/.test(l)), h.logs.join("\n"));
  const readings = h.readings.length;
  await h.run(2 * POLL_MS);
  assert.ok(h.readings.length > readings, "still polled");
});

test("a MOS command and a raw frame pending when the link drops are answered with why", async () => {
  await runUntil(() => link.online, 30_000);
  let result: MosResult | undefined;
  let rawAnswer: { reply?: Uint8Array; error?: string } | undefined;
  sim.faults.unanswered = 1;
  try {
    await h.device.invoke(() => {
      link.setMos("discharge", false, (r) => { result = r; });
      link.sendRaw(READ_BASIC_INFO.slice(0), (reply, error) => { rawAnswer = { reply, error }; });
    });
    await h.run(100);
    assert.equal(result, undefined, "still waiting for the BMS");
    assert.equal(rawAnswer, undefined);
    const readings = h.readings.length;
    h.device.ble.drop(peripheral);
    await h.run(1);
    assert.equal(h.readings.length, readings, "no reading published for a link that is gone");
  } finally { sim.faults.unanswered = 0; }
  const r = result as MosResult | undefined;
  assert.ok(r, "answered at the drop");
  assert.equal(r.ok, false);
  assert.equal(r.fet, "discharge");
  assert.equal(r.requested, false);
  assert.equal(r.error, "not connected: the link dropped before the BMS confirmed");
  assert.deepEqual(rawAnswer, { reply: undefined, error: "not connected" });
  await runUntil(() => link.online, 30_000);
  assert.equal(link.info.dischargeOn, true, "the BMS never got the command");
});
