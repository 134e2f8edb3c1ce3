// What the link promises and no other test pinned down (each test here was checked to fail with a
// small plausible bug put into modules/link or modules/protocol by hand): availability after
// exactly two failed polls, the quick first retry after a drop, MOS commands that switch only the
// FET they name, on both the 0xE1 path and the 0xFB path of newer firmware.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLinks, POLL_MS } from "./harness";
import type { BmsLink } from "../../modules/link/bms-link";
import type { Fet, MosResult } from "../../modules/link/bms-view";

const E1 = "A4:C1:38:00:01:01", FB = "A4:C1:38:00:01:02", FLAKY = "A4:C1:38:00:01:03";
const h = await startLinks([
  { address: E1, id: "e1" },
  // newer firmware: answers 0xE1 with status 0x80 and takes 0xFB
  { address: FB, id: "fb", sim: { mosCommand: "fb" } },
  { address: FLAKY, id: "flaky" },
]);
const [e1Link, fbLink, flakyLink] = h.links;
const [e1Sim, fbSim, flakySim] = h.sims;

/** Run in small steps until `done` holds (virtual time), at most `ms`. */
const { runUntil } = h;

async function mos(link: BmsLink, fet: Fet, on: boolean): Promise<MosResult> {
  let result: MosResult | undefined;
  await h.device.invoke(() => link.setMos(fet, on, (r) => { result = r; }));
  await runUntil(() => result !== undefined, 10_000);
  return result!;
}

test("all three links come up", async () => {
  await h.run(30_000);
  for (const link of h.links) assert.equal(link.connected, true, link.id);
  for (const link of h.links) assert.equal(link.online, true, link.id);
});

for (const [name, link, sim, command] of [["0xE1", e1Link, e1Sim, "e1"], ["0xFB", fbLink, fbSim, "fb"]] as const) {
  test(`MOS over ${name}: from every FET state, each command switches the FET it names and leaves the other as it was`, async () => {
    const states = [[true, true], [true, false], [false, true], [false, false]];
    const commands: [Fet, boolean][] = [["charge", true], ["charge", false], ["discharge", true], ["discharge", false]];
    const expectFets = (charge: boolean, discharge: boolean, why: string) =>
      assert.deepEqual(sim.pack.read().fet, { charge, discharge }, why);
    for (const [charge, discharge] of states) {
      for (const [fet, on] of commands) {
        // reach the start state
        for (const r of [await mos(link, "charge", charge), await mos(link, "discharge", discharge)]) assert.equal(r.ok, true, JSON.stringify(r));
        expectFets(charge, discharge, `start state charge ${charge} discharge ${discharge}`);
        const r = await mos(link, fet, on);
        const want = { charge: fet === "charge" ? on : charge, discharge: fet === "discharge" ? on : discharge };
        const what = `${fet} ${on ? "on" : "off"} from charge ${charge} discharge ${discharge}`;
        assert.equal(r.ok, true, `${what}: ${JSON.stringify(r)}`);
        assert.equal(r.command, command, `${what}: sent as ${command}`);
        assert.deepEqual([r.charge, r.discharge], [want.charge, want.discharge], `${what}: the result reports the read-back state`);
        expectFets(want.charge, want.discharge, what);
      }
    }
    if (command === "fb") {
      assert.ok((sim.stats.requests[0xfb] ?? 0) > 0, "0xFB requests reached the BMS");
      assert.ok((sim.stats.requests[0xe1] ?? 0) > 0, "each command tried 0xE1 first");
    } else assert.equal(sim.stats.requests[0xfb] ?? 0, 0, "a BMS that takes 0xE1 never sees 0xFB");
    // both on again for the tests after this one
    await mos(link, "charge", true);
    await mos(link, "discharge", true);
  });
}

test("offline after exactly two failed polls while the link is still up; not after one", async () => {
  await runUntil(() => flakyLink.connected && flakyLink.online, 30_000);
  const failed = flakyLink.stats.pollsFailed, forced = flakyLink.stats.forcedDisconnects;
  const offlineEvents = () => h.availability.filter((a) => a.id === "flaky" && !a.online).length;
  const offlineBefore = offlineEvents();
  flakySim.faults.unanswered = 1;
  await runUntil(() => flakyLink.stats.pollsFailed === failed + 1, 2 * POLL_MS + 5_000);
  assert.equal(flakyLink.online, true, "one failed poll: still online");
  assert.equal(offlineEvents(), offlineBefore, "no offline after one failed poll");
  await runUntil(() => flakyLink.stats.pollsFailed === failed + 2, 2 * POLL_MS);
  assert.equal(flakyLink.connected, true, "the link itself is still up");
  assert.equal(flakyLink.stats.forcedDisconnects, forced, "not yet closed");
  assert.equal(flakyLink.online, false, "two failed polls: offline");
  assert.equal(offlineEvents(), offlineBefore + 1, "the listener was told once");
  assert.equal(h.availability.at(-1)!.id, "flaky");
  flakySim.faults.unanswered = 0;
  await runUntil(() => flakyLink.online, 60_000, 100);
  assert.equal(e1Link.online && fbLink.online, true, "the other links were never affected");
});

test("the first retry after a drop of a working link comes within 0.5 s", async () => {
  await runUntil(() => flakyLink.connected && flakyLink.online, 60_000, 100);
  const peripheral = h.device.ble.find(FLAKY)!;
  const attempts = flakyLink.stats.connectAttempts;
  h.device.ble.drop(peripheral);
  const waited = await runUntil(() => flakyLink.stats.connectAttempts > attempts, 5_000, 5);
  assert.ok(waited <= 510, `first reconnect attempt ${waited} ms after the drop (at most 500 ms)`);
  await runUntil(() => flakyLink.connected, 10_000);
  await runUntil(() => flakyLink.online, 2 * POLL_MS);

  assert.equal(h.device.fatalErrors, 0);
});
