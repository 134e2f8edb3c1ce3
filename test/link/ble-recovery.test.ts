// The deliberate-restart policy on its own: the reason kept for the next boot, the rate bounded by
// the uptime a restart needs (2 min x 2^n for the n-th restart in a row, n reset after an hour up).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Recovery, RESTART_MIN_UPTIME_MS, RESTART_STREAK_RESET_MS, type RecoveryPorts, type RestartStore } from "../../modules/link/ble-recovery";

function world(stored: Record<string, string | number> = {}) {
  const store = new Map<string, string | number>(Object.entries(stored));
  const logs: string[] = [];
  let uptime = 0, restarts = 0;
  const s: RestartStore = { get: (k) => store.get(k), set: (k, v) => { store.set(k, v); }, delete: (k) => { store.delete(k); } };
  const ports: RecoveryPorts = {
    restart: () => { restarts++; return true; }, uptimeMs: () => uptime, store: s,
    log: { error: (m, v) => logs.push(`E ${m}${v ?? ""}`), warn: (m, v) => logs.push(`W ${m}${v ?? ""}`), info: () => {}, debug: () => {} },
  };
  return { store, logs, ports, setUptime: (ms: number) => { uptime = ms; }, get restarts() { return restarts; } };
}

test("no restart before the first step of uptime; then one, with its reason and streak in flash", () => {
  const w = world();
  const r = new Recovery(w.ports);
  w.setUptime(RESTART_MIN_UPTIME_MS - 1);
  assert.equal(r.restart("stuck"), false);
  assert.equal(r.restart("stuck"), false);
  assert.equal(w.logs.filter((l) => /held back/.test(l)).length, 1, "said once, not on every check");
  w.setUptime(RESTART_MIN_UPTIME_MS);
  assert.equal(r.restart("stuck"), true);
  assert.equal(w.restarts, 1);
  assert.equal(w.store.get("rstReason"), "stuck");
  assert.equal(w.store.get("rstCount"), 1);
});

test("after a restart the next boot logs the reason once, and the uptime needed doubles with each restart in a row", () => {
  const w = world({ rstReason: "stuck", rstCount: 3 });
  const r = new Recovery(w.ports);
  assert.equal(r.bootReason, "stuck");
  assert.ok(w.logs.some((l) => /restarted deliberately:stuck/.test(l)));
  assert.equal(w.store.has("rstReason"), false, "a later power cycle is not reported as ours");
  assert.equal(r.minUptimeMs, RESTART_MIN_UPTIME_MS * 8);
  w.setUptime(RESTART_MIN_UPTIME_MS * 8 - 1);
  assert.equal(r.restart("again"), false);
  w.setUptime(RESTART_MIN_UPTIME_MS * 8);
  assert.equal(r.restart("again"), true);
  assert.equal(w.store.get("rstCount"), 4);
});

test("the streak is capped, and forgotten once a boot ran for an hour; a console request is never held back", () => {
  const w = world({ rstCount: 40 });
  const r = new Recovery(w.ports);
  assert.equal(r.minUptimeMs, RESTART_MIN_UPTIME_MS * 32);
  w.setUptime(RESTART_STREAK_RESET_MS);
  assert.equal(r.minUptimeMs, RESTART_MIN_UPTIME_MS);
  assert.equal(r.restart("late"), true);
  assert.equal(w.store.get("rstCount"), 1);
  const v = world({ rstCount: 5 });
  const console = new Recovery(v.ports);
  assert.equal(console.restart("console: reconnect ble", true), true);
  assert.equal(v.store.get("rstCount"), 5, "a requested restart does not count towards the streak");
});
