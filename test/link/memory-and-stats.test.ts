// The small pieces of modules/link on their own: what ble-memory keeps in flash (through the
// preference double, so NVS's limits apply), the restart record's edge cases, and the link
// statistics (counters, latency min / median / max from the histogram).
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, type HostOp } from "../doubles/runtime";
import { bleStore, foundAddress, rememberAddress } from "../../modules/link/ble-memory";
import { Recovery, RESTART_MIN_UPTIME_MS, type RecoveryPorts, type RestartStore } from "../../modules/link/ble-recovery";
import { LatencyStats, LinkStats } from "../../modules/link/link-stats";

// the host's flash: "domain/key" -> value, as the virtual device keeps it
const flash = new Map<string, unknown>();
let flashFails = false;
attachHost((op: HostOp) => {
  if (flashFails) throw new Error("flash gone");
  const key = `${op[1]}/${op[2]}`;
  switch (op[0]) {
    case "pref.set": flash.set(key, op[3]); return null;
    case "pref.get": return flash.get(key) ?? null;
    case "pref.delete": flash.delete(key); return null;
    case "pref.keys": return [...flash.keys()].filter((k) => k.startsWith(`${op[1]}/`)).map((k) => k.slice(String(op[1]).length + 1));
    default: throw new Error(`unexpected host op ${op[0]}`);
  }
});

test("ble-memory: a found address is kept per entry (found1, found2 ...) with the query it answered", () => {
  flash.clear();
  rememberAddress(0, "*", "a4c138112233");
  rememberAddress(1, "JBD-", "a4c138445566");
  assert.equal(flash.get("jbdble/found1"), "a4c138112233 *");
  assert.equal(flash.get("jbdble/found2"), "a4c138445566 JBD-");
  assert.equal(foundAddress(0, "*"), "a4c138112233");
  assert.equal(foundAddress(1, "JBD-"), "a4c138445566");
  assert.equal(foundAddress(2, "*"), undefined, "nothing kept for the third entry");
});

test("ble-memory: an entry that now asks for something else, or a damaged record, finds nothing", () => {
  flash.clear();
  rememberAddress(0, "JBD-", "a4c138112233");
  assert.equal(foundAddress(0, "JBD-A"), undefined, "another pattern");
  assert.equal(foundAddress(0, "*"), undefined, "any device instead of a pattern");
  assert.equal(foundAddress(0, "JBD"), undefined, "a prefix of the query is not the query");
  flash.set("jbdble/found1", "a4c13811223 JBD-"); // 11 characters before the space
  assert.equal(foundAddress(0, "JBD-"), undefined);
  flash.set("jbdble/found1", "a4c1381122334 JBD-"); // 13
  assert.equal(foundAddress(0, "JBD-"), undefined);
  flash.set("jbdble/found1", "a4c138112233");  // no query at all
  assert.equal(foundAddress(0, ""), undefined);
  flash.set("jbdble/found1", 42);
  assert.equal(foundAddress(0, "42"), undefined, "a number is no address");
  flash.set("jbdble/found1", "a4c138112233 ");
  assert.equal(foundAddress(0, ""), "a4c138112233", "an empty query is still a query");
});

test("ble-memory: the restart store keeps strings and numbers only, and never throws on reads or deletes", () => {
  flash.clear();
  bleStore.set("rstReason", "stuck");
  bleStore.set("rstCount", 3);
  assert.equal(flash.get("jbdble/rstReason"), "stuck");
  assert.equal(bleStore.get("rstReason"), "stuck");
  assert.equal(bleStore.get("rstCount"), 3);
  assert.equal(bleStore.get("missing"), undefined);
  flash.set("jbdble/flag", true);
  assert.equal(bleStore.get("flag"), undefined, "a boolean is not ours");
  flash.set("jbdble/blob", { hex: "0102" });
  assert.equal(bleStore.get("blob"), undefined, "a blob (ArrayBuffer) is not ours");
  // NVS refuses keys of more than 15 bytes: get throws "nvs get fail", delete "nvs erase fail"
  assert.equal(bleStore.get("a-key-far-too-long"), undefined);
  assert.doesNotThrow(() => bleStore.delete("a-key-far-too-long"));
  assert.throws(() => bleStore.set("a-key-far-too-long", 1), /nvs set fail/, "a write that fails is the caller's to handle");
  bleStore.delete("rstReason");
  assert.equal(flash.has("jbdble/rstReason"), false);
  assert.equal(flash.get("jbdble/rstCount"), 3, "only the key named");
  flashFails = true;
  try {
    assert.equal(bleStore.get("rstCount"), undefined);
    assert.equal(foundAddress(0, "*"), undefined);
    assert.doesNotThrow(() => bleStore.delete("rstCount"));
  } finally { flashFails = false; }
  // an index whose key NVS refuses ("found" + 11 digits) finds nothing rather than throwing
  assert.equal(foundAddress(99_999_999_999, "*"), undefined);
});

function recoveryWorld(stored: Record<string, string | number>, failingSet = false) {
  const store = new Map<string, string | number>(Object.entries(stored));
  const logs: string[] = [];
  let uptime = 0, reboots = 0;
  const s: RestartStore = {
    get: (k) => store.get(k),
    set: (k, v) => { if (failingSet) throw new Error("nvs set fail"); store.set(k, v); },
    delete: (k) => { store.delete(k); },
  };
  const ports: RecoveryPorts = {
    restart: () => { reboots++; return true; }, uptimeMs: () => uptime, store: s,
    log: { error: (m, v) => logs.push(`E ${m}${v ?? ""}`), warn: (m, v) => logs.push(`W ${m}${v ?? ""}`), info: () => {}, debug: () => {} },
  };
  return { store, logs, ports, setUptime: (ms: number) => { uptime = ms; }, get reboots() { return reboots; } };
}

test("recovery: a boot with no record has no reason, says nothing and deletes nothing", () => {
  const w = recoveryWorld({ rstCount: 2 });
  const r = new Recovery(w.ports);
  assert.equal(r.bootReason, "");
  assert.deepEqual(w.logs, []);
  assert.equal(r.restarts, 0);
  assert.equal(r.minUptimeMs, RESTART_MIN_UPTIME_MS * 4);
});

test("recovery: a record of the wrong type is ignored (a number as reason, a string or negative count)", () => {
  const a = recoveryWorld({ rstReason: 42, rstCount: "3" });
  const r = new Recovery(a.ports);
  assert.equal(r.bootReason, "");
  assert.deepEqual(a.logs, []);
  assert.equal(a.store.get("rstReason"), 42, "not ours to delete");
  assert.equal(r.minUptimeMs, RESTART_MIN_UPTIME_MS, "a string count is no streak");
  const b = recoveryWorld({ rstCount: -2 });
  assert.equal(new Recovery(b.ports).minUptimeMs, RESTART_MIN_UPTIME_MS, "a negative count is no streak");
});

test("recovery: the reason is kept to 120 characters, restarts are counted, a flash that fails does not stop the restart", () => {
  const w = recoveryWorld({});
  const r = new Recovery(w.ports);
  w.setUptime(RESTART_MIN_UPTIME_MS);
  const long = "x".repeat(100) + "y".repeat(100);
  assert.equal(r.restart(long), true);
  assert.equal(w.store.get("rstReason"), "x".repeat(100) + "y".repeat(20));
  assert.equal(r.restarts, 1);
  assert.equal(r.restart("console", true), true);
  assert.equal(r.restarts, 2);

  const f = recoveryWorld({}, true);
  const broken = new Recovery(f.ports);
  f.setUptime(RESTART_MIN_UPTIME_MS);
  assert.equal(broken.restart("stuck"), true);
  assert.equal(f.reboots, 1);
  assert.ok(f.logs.some((l) => /^E restart record:.*nvs set fail/.test(l)), f.logs.join("\n"));
  assert.ok(f.logs.some((l) => l === "W restarting:stuck"));
});

test("latency: min, max and count over samples in any order", () => {
  const l = new LatencyStats();
  for (const ms of [50, 90, 30, 70]) l.add(ms);
  assert.equal(l.count, 4);
  assert.equal(l.min, 30);
  assert.equal(l.max, 90);
  const one = new LatencyStats();
  one.add(40);
  assert.equal(one.min, 40, "the first sample sets the minimum even above 0");
  assert.equal(one.max, 40);
});

test("latency: the median is the centre of the bucket that holds the middle sample", () => {
  const l = new LatencyStats();
  for (const ms of [10, 20, 30, 40, 1000]) l.add(ms);
  assert.equal(l.median, 35, "3rd of 5 samples is in the 30..39 ms bucket");
  const even = new LatencyStats();
  for (const ms of [10, 30]) even.add(ms);
  assert.equal(even.median, 15, "with an even count the lower middle sample");
  const skewed = new LatencyStats();
  for (const ms of [12, 250, 260, 270]) skewed.add(ms);
  assert.equal(skewed.median, 255);
});

test("latency: the median stays within the samples; 3 s and more share the last bucket", () => {
  const one = new LatencyStats();
  one.add(83);
  assert.equal(one.median, 83, "bucket centre 85 is above the only sample");
  const low = new LatencyStats();
  low.add(87);
  low.add(88);
  low.add(200);
  assert.equal(low.median, 87, "bucket centre 85 is below the smallest sample");
  const slow = new LatencyStats();
  for (const ms of [5000, 6000, 7000]) slow.add(ms);
  assert.equal(slow.median, 5000, "the last bucket (2995) clamped to the samples");
  const mixed = new LatencyStats();
  for (const ms of [100, 4000, 9000]) mixed.add(ms);
  assert.equal(mixed.median, 2995, "to bucket precision: the middle sample is in the last bucket");
  assert.equal(new LatencyStats().median, 0, "no samples");
});

test("latency: reset forgets everything", () => {
  const l = new LatencyStats();
  for (const ms of [10, 20, 500]) l.add(ms);
  l.reset();
  assert.deepEqual([l.count, l.min, l.max, l.median], [0, 0, 0, 0]);
  l.add(300);
  assert.deepEqual([l.count, l.min, l.max, l.median], [1, 300, 300, 300], "old buckets do not count");
  l.add(40);
  l.add(50);
  assert.equal(l.median, 55, "the middle sample (50) is in the 50..59 ms bucket");
});

test("link stats start at zero", () => {
  const s = new LinkStats();
  assert.deepEqual(
    [s.connects, s.connectAttempts, s.connectTimeouts, s.drops, s.forcedDisconnects, s.stackResets, s.lastReconnectMs, s.maxReconnectMs,
      s.pollsOk, s.pollsFailed, s.timeouts, s.retries, s.errorReplies, s.strays, s.latency.count],
    new Array(15).fill(0));
});

test("latency buckets are 16-bit: past 65,535 samples in one bucket all are halved and the median holds", () => {
  const l = new LatencyStats();
  // 70,000 replies at 120 ms and 30,000 at 400 ms: the median stays in the 120 ms bucket
  for (let i = 0; i < 70_000; i++) l.add(120);
  for (let i = 0; i < 30_000; i++) l.add(400);
  assert.equal(l.count, 100_000);
  assert.equal(l.median, 125);
  // then 80,000 at 400 ms: now most replies are there, and the median follows
  for (let i = 0; i < 80_000; i++) l.add(400);
  assert.equal(l.median, 400, "bucket centre 405 is above the largest sample");
  assert.equal(l.count, 180_000);
});
