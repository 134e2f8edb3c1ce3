// The bridge's bookkeeping parts on their own, for what the real-broker tests leave open and mutation
// testing would find (and fast: these run in milliseconds where the broker tests take seconds):
// a discovery pass (modules/bridge/discovery-pass.ts) step by step, HA's migration order, refusals;
// the discovery memory across reboots (discovery-memory.ts) with a flash that fails or is full; the
// replay guard's marker (replay-guard.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { DiscoveryPass, MIGRATE_PAYLOAD, type PassPlan } from "../../modules/bridge/discovery-pass";
import { DiscoveryMemory, type DiscoveryStore } from "../../modules/bridge/discovery-memory";
import { ReplayGuard } from "../../modules/bridge/replay-guard";
import { JsonWriter } from "../../modules/protocol/json";

/** Two parts (the second without a payload: nothing to send), two old per-entity topics. */
function plan(payloads: (string | undefined)[] = ["{p0}", undefined, "{p2}"], old = ["old0", "old1"]): PassPlan {
  return {
    // a part past the last is never asked for (a real plan has nothing sensible to give)
    parts: payloads.length, partTopic: (i) => { assert.ok(i < payloads.length, "part " + i); return "part" + i; },
    partPayload: (_w, i) => { assert.ok(i < payloads.length, "part " + i); return payloads[i]; },
    oldTopics: old.length, oldTopic: (i) => old[i],
  };
}

/** Runs a pass to its end; what it sent, in order. `refuse`: the sends (by count) the pump refuses once. */
function run(pass: DiscoveryPass, refuse: number[] = []): string[] {
  const sent: string[] = [], w = new JsonWriter();
  let calls = 0;
  for (let guard = 0; !pass.done; guard++) {
    assert.ok(guard < 100, "the pass ends");
    const result = pass.step(w, (topic, payload) => {
      calls++;
      if (refuse.includes(calls)) return -1;
      sent.push(topic + "=" + String(payload));
      return 1;
    });
    assert.notEqual(result, 0);
  }
  return sent;
}

test("discovery pass with migration: every old topic handed over, then the parts with a payload, then the old topics cleared; then done", () => {
  const pass = new DiscoveryPass(plan(), true);
  assert.equal(pass.done, false);
  assert.deepEqual(run(pass), [
    "old0=" + MIGRATE_PAYLOAD, "old1=" + MIGRATE_PAYLOAD, "part0={p0}", "part2={p2}", "old0=", "old1=",
  ]);
  assert.equal(MIGRATE_PAYLOAD, "{\"migrate_discovery\":true}");
  // done: nothing more is sent, and a step says so
  let sends = 0;
  assert.equal(pass.step(new JsonWriter(), () => { sends++; return 1; }), 1);
  assert.equal(sends, 0);
});

test("discovery pass without migration: only the parts; an empty part payload is sent (HA removes what it had)", () => {
  assert.deepEqual(run(new DiscoveryPass(plan(["{p0}", ""]), false)), ["part0={p0}", "part1="]);
  // no part at all: done after one step that sends nothing
  const empty = new DiscoveryPass(plan([], []), false);
  assert.deepEqual(run(empty), []);
  assert.equal(empty.done, true);
});

test("discovery pass of a device that is gone: parts emptied, then the old topics cleared without a migration", () => {
  assert.deepEqual(run(new DiscoveryPass(plan(["", ""], ["old0"]), false, true)), ["part0=", "part1=", "old0="]);
});

test("discovery pass: a refused send is tried again, one message per step, nothing skipped or repeated", () => {
  // refusals in each phase (the 1st, 4th and 7th send are refused once)
  const pass = new DiscoveryPass(plan(), true);
  const w = new JsonWriter(), results: number[] = [], sent: string[] = [];
  let calls = 0;
  while (!pass.done) {
    results.push(pass.step(w, (topic, payload) => {
      calls++;
      if (calls === 1 || calls === 4 || calls === 7) return -5;
      sent.push(topic + "=" + String(payload));
      return 7;
    }));
  }
  assert.deepEqual(sent, ["old0=" + MIGRATE_PAYLOAD, "old1=" + MIGRATE_PAYLOAD, "part0={p0}", "part2={p2}", "old0=", "old1="]);
  assert.deepEqual(results, [-5, 7, 7, -5, 7, 7, -5, 7, 7, 1], "each step gives the pump's answer back as it came; the last one finds the pass done");
});

class Flash implements DiscoveryStore {
  readonly map = new Map<string, string>();
  writes = 0;
  failGet = false;
  failSet = false;
  get(key: string): string | undefined { if (this.failGet) throw new Error("nvs"); return this.map.get(key); }
  set(key: string, value: string): void { if (this.failSet) throw new Error("nvs full"); this.writes++; this.map.set(key, value); }
}

test("discovery memory: the announced BMS survive a reboot, written only when the set changed", () => {
  const flash = new Flash();
  let memory = new DiscoveryMemory(flash);
  assert.deepEqual(memory.announced(), [], "a first boot");
  memory.setAnnounced(["house", "garage"]);
  assert.equal(flash.map.get("announced"), "house,garage");
  assert.equal(flash.writes, 1);
  memory = new DiscoveryMemory(flash); // the next boot
  assert.deepEqual(memory.announced(), ["house", "garage"]);
  memory.setAnnounced(["garage", "house"]);
  assert.equal(flash.writes, 1, "the same set in another order: not written");
  memory.setAnnounced(["house"]);
  assert.equal(flash.map.get("announced"), "house");
  memory.setAnnounced(["house", "garage"]);
  memory.setAnnounced(["house", "shed"]);
  assert.equal(flash.map.get("announced"), "house,shed", "same count, one member another: written");
  memory.setAnnounced([]);
  assert.equal(flash.map.get("announced"), "");
  assert.deepEqual(memory.announced(), []);
  flash.map.set("announced", ",house,,garage,");
  assert.deepEqual(memory.announced(), ["house", "garage"], "empty items are no ids");
});

test("discovery memory: a device migrated once stays migrated; without a store every device counts as migrated", () => {
  const flash = new Flash();
  const memory = new DiscoveryMemory(flash);
  assert.equal(memory.migrated("jbd_house"), false);
  memory.markMigrated("jbd_house");
  memory.markMigrated("jbd_gateway_gw1");
  assert.equal(flash.map.get("migrated"), "jbd_house,jbd_gateway_gw1");
  const writes = flash.writes;
  memory.markMigrated("jbd_house");
  assert.equal(flash.writes, writes, "already there: not written again");
  assert.equal(new DiscoveryMemory(flash).migrated("jbd_house"), true);
  assert.equal(new DiscoveryMemory(flash).migrated("jbd_garage"), false);
  assert.equal(new DiscoveryMemory(flash).migrated("jbd"), false, "a whole id, not a part of one");
  const none = new DiscoveryMemory(undefined);
  assert.equal(none.migrated("jbd_house"), true);
  assert.deepEqual(none.announced(), []);
  none.setAnnounced(["house"]);
  none.markMigrated("jbd_house");
  assert.deepEqual(none.announced(), []);
});

test("discovery memory: a failing flash reads as empty and a failing or too long write is dropped (the next boot repeats the work)", () => {
  const flash = new Flash();
  const memory = new DiscoveryMemory(flash);
  memory.setAnnounced(["house"]);
  flash.failGet = true;
  assert.deepEqual(memory.announced(), []);
  assert.equal(memory.migrated("jbd_house"), false);
  flash.failGet = false;
  flash.failSet = true;
  assert.doesNotThrow(() => memory.setAnnounced(["garage"]));
  assert.doesNotThrow(() => memory.markMigrated("jbd_garage"));
  assert.deepEqual(memory.announced(), ["house"]);
  flash.failSet = false;
  // NVS strings stay under 4000 bytes: a list of 3000 characters is written, a longer one is not
  const id = (n: number, length: number) => String(n).padStart(length, "x");
  const fits = Array.from({ length: 30 }, (_, i) => id(i, 99)); // 30 x 99 + 29 commas = 2999
  memory.setAnnounced([...fits, ""]);
  assert.equal(flash.map.get("announced")!.length, 3000);
  memory.setAnnounced([...fits, "yy"]);
  assert.equal(flash.map.get("announced")!.length, 3000, "3001 characters: not written");
});

test("replay guard: live only after our current marker came back and the settle time passed", () => {
  const guard = new ReplayGuard("jbd/gw1/sync");
  assert.equal(guard.live, false);
  assert.equal(guard.markerBack, false);
  guard.settled();
  assert.equal(guard.live, false, "never live before a subscription and its marker");
  const first = guard.restart();
  assert.equal(first, "sync 1");
  assert.equal(guard.marker(), first, "the same marker to send again");
  guard.settled();
  assert.equal(guard.live, false, "not before the marker");
  const bytes = (text: string) => new TextEncoder().encode(text).buffer;
  guard.markerArrived(bytes("sync 0"));
  guard.markerArrived(bytes("sync 10"));
  guard.markerArrived(bytes("sync "));
  guard.markerArrived(bytes("SYNC 1"));
  assert.equal(guard.markerBack, false, "another token, another length, another text");
  guard.markerArrived(bytes("sync 1"));
  assert.equal(guard.markerBack, true);
  assert.equal(guard.live, false, "settle time first");
  guard.settled();
  assert.equal(guard.live, true);
  // subscribed again: replays may come; the old marker does not count
  const second = guard.restart();
  assert.equal(second, "sync 2");
  assert.equal(guard.live, false);
  assert.equal(guard.markerBack, false);
  guard.markerArrived(bytes(first));
  guard.settled();
  assert.equal(guard.live, false);
  guard.markerArrived(bytes(second));
  guard.settled();
  assert.equal(guard.live, true);
});
