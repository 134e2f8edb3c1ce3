// The connection side of a link, edges found by mutation testing: its state names, what counts
// as a drop and what as a forced close, reconnect times (last and max), and a requested
// reconnect in each state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";

const ADDRESS = "A4:C1:38:00:05:01";
const h = await startLinks([{ address: ADDRESS, id: "barn" }]);
const link = h.links[0];
const sim = h.sims[0];
const peripheral = h.device.ble.find(ADDRESS)!;

async function runUntil(done: () => boolean, ms: number, step = 5): Promise<number> {
  const start = h.clock.now();
  while (!done()) {
    if (h.clock.now() - start > ms) throw new Error(`not within ${ms} ms of virtual time`);
    await h.run(step);
  }
  return h.clock.now() - start;
}

test("state names through a connection", async () => {
  const seen = new Set<string>([link.stateName]);
  for (let t = 0; t < 30_000 && !link.online; t += 2) { await h.run(2); seen.add(link.stateName); }
  assert.equal(link.stateName, "ready");
  for (const name of ["connecting", "discovering", "subscribing", "settling", "ready"]) assert.ok(seen.has(name), `${name} in ${[...seen].join(", ")}`);
  for (const name of seen) assert.ok(["down", "waiting", "connecting", "discovering", "subscribing", "settling", "ready", "closing"].includes(name), name);
});

test("a drop counts as a drop; its reconnect time is kept as last and max", async () => {
  const drops = link.stats.drops, connects = link.stats.connects;
  h.device.ble.drop(peripheral);
  await h.run(1);
  assert.equal(link.stats.drops, drops + 1);
  assert.notEqual(link.stateName, "ready");
  await runUntil(() => link.stats.connects > connects, 30_000);
  const first = link.stats.lastReconnectMs;
  assert.ok(first > 0 && first < 5_000, `reconnected in ${first} ms`);
  assert.equal(link.stats.maxReconnectMs, first);
  // a slower return: the device stays away for 3 s
  h.device.ble.vanish(peripheral);
  await h.run(3_000);
  h.device.ble.appear(peripheral);
  await runUntil(() => link.stats.connects > connects + 1, 60_000, 20);
  const second = link.stats.lastReconnectMs;
  assert.ok(second > first + 2_000, `the second took longer (${second} ms)`);
  assert.equal(link.stats.maxReconnectMs, second);
  // and a quick one again: max stays
  const c = link.stats.connects;
  await runUntil(() => link.online, 30_000, 20);
  h.device.ble.drop(peripheral);
  await runUntil(() => link.stats.connects > c, 30_000);
  assert.ok(link.stats.lastReconnectMs < second);
  assert.equal(link.stats.maxReconnectMs, second, "max kept");
});

test("a forced close after unanswered polls is not a drop", async () => {
  await runUntil(() => link.online, 30_000, 20);
  const drops = link.stats.drops, forced = link.stats.forcedDisconnects, connects = link.stats.connects;
  sim.faults.unanswered = 1;
  try {
    await runUntil(() => link.stats.forcedDisconnects > forced, 6 * POLL_MS, 20);
  } finally { sim.faults.unanswered = 0; }
  await runUntil(() => link.stats.connects > connects, 60_000, 20);
  assert.equal(link.stats.drops, drops, "closed by us, not dropped");
  assert.equal(link.stats.forcedDisconnects, forced + 1);
});

test("reconnect(): from ready it closes and connects again (a forced close, not a drop)", async () => {
  await runUntil(() => link.online, 60_000, 20);
  const connects = link.stats.connects, drops = link.stats.drops, forced = link.stats.forcedDisconnects;
  await h.device.invoke(() => link.reconnect());
  await runUntil(() => link.stateName !== "ready", 1_000, 1);
  await runUntil(() => link.stats.connects > connects && link.online, 30_000, 20);
  assert.equal(link.stats.drops, drops);
  assert.equal(link.stats.forcedDisconnects, forced + 1);
  // while it is away: reconnect() starts waiting for it again at once
  h.device.ble.vanish(peripheral);
  await h.run(2_000);
  await h.device.invoke(() => link.reconnect());
  h.device.ble.appear(peripheral);
  await runUntil(() => link.online, 60_000, 20);
  assert.equal(h.device.fatalErrors, 0);
});
