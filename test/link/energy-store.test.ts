// The energy totals' flash adapter (modules/link/energy-store.ts) on the preference double (NVS's
// rules): numbers in their own domain; anything else under a key, or a key NVS refuses, reads as
// nothing, and never throws on reading (the meter then starts from zero).
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost } from "../doubles/runtime";
import { energyStore } from "../../modules/link/energy-store";

const nvs = new Map<string, unknown>();
attachHost((op) => {
  const [kind, domain, key, value] = op as [string, string, string, unknown];
  if (kind === "pref.set") { nvs.set(domain + "/" + key, value); return null; }
  if (kind === "pref.get") return nvs.get(domain + "/" + key) ?? null;
  return null;
});

test("numbers written and read back in the jbd-energy domain", () => {
  energyStore.set("c1", 1234);
  energyStore.set("d1", -5);
  assert.equal(energyStore.get("c1"), 1234);
  assert.equal(energyStore.get("d1"), -5);
  assert.deepEqual([...nvs.keys()], ["jbd-energy/c1", "jbd-energy/d1"]);
  assert.equal(energyStore.get("h1"), undefined, "nothing stored: undefined");
});

test("a string or a boolean under a key reads as nothing; a key NVS refuses reads as nothing, and its write throws", () => {
  nvs.set("jbd-energy/c2", "1234");
  nvs.set("jbd-energy/d2", true);
  assert.equal(energyStore.get("c2"), undefined);
  assert.equal(energyStore.get("d2"), undefined);
  assert.equal(energyStore.get("a-key-of-16-char"), undefined, "Preference.get throws nvs get fail: caught");
  assert.throws(() => energyStore.set("a-key-of-16-char", 1), /nvs set fail/, "the meter counts a failed write");
  assert.throws(() => energyStore.set("c3", 1.5), /float unsupported/);
});

test("the adapter is a frozen table (a preloaded module's object stays in flash)", () => {
  assert.ok(Object.isFrozen(energyStore));
});
