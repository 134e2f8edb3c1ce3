// The bridge's SDK adapters (modules/bridge/sdk-ports.ts) over the doubles of the Moddable modules
// they wrap ("timer", "time", "mqtt", "securesocket": test/tsconfig.json maps them), driven as the
// virtual device's host drives them: each call into the firmware is one host event (dispatch), and
// what a double asks of the host comes back as posted operations. Mutation testing found nothing
// that ran this file in Node: every adapter emptied went unnoticed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sdkClock, sdkMqtt, sdkSecureSocket, sdkTimers } from "../../modules/bridge/sdk-ports";
import { dispatch, registerInvocation, takeOutbox, type HostOp } from "../doubles/runtime";
import MQTT from "mqtt";
import SecureSocket from "securesocket";

/** Runs `fn` inside one host event at virtual time `at`; returns what the doubles posted. */
function during(at: number, fn: () => void): HostOp[] {
  return dispatch(at, "invoke", [registerInvocation(fn)]);
}

test("sdkMqtt and sdkSecureSocket are the SDK's mqtt and securesocket classes", () => {
  assert.equal(sdkMqtt, MQTT);
  assert.equal(sdkSecureSocket, SecureSocket);
});

test("sdkTimers.set arms an SDK one-shot timer that calls back when it fires; clear disarms it", () => {
  takeOutbox();
  let fired = 0;
  let handle: unknown;
  const posted = during(1_000, () => { handle = sdkTimers.set(() => { fired++; }, 250); });
  assert.ok(handle !== undefined && typeof (handle as { id: unknown }).id === "number", "the SDK timer is the handle");
  const id = (handle as { id: number }).id;
  assert.deepEqual(posted, [["timer.set", id, 250, 0]], "a one-shot of 250 ms (no repeat)");
  dispatch(1_250, "timer", [id]);
  assert.equal(fired, 1, "the callback runs when the timer fires");

  let second: unknown;
  during(2_000, () => { second = sdkTimers.set(() => { fired++; }, 100); });
  const id2 = (second as { id: number }).id;
  assert.notEqual(id2, id);
  assert.deepEqual(during(2_010, () => sdkTimers.clear(second)), [["timer.clear", id2]], "clear reaches the SDK timer");
  dispatch(2_100, "timer", [id2]);
  assert.equal(fired, 1, "a cleared timer does not call back");
});

test("sdkClock: ticks and since follow the device's millisecond counter; epochMs is the wall clock", () => {
  let ticks = -1, since = -1, epoch = -1;
  during(5_000.7, () => { ticks = sdkClock.ticks(); });
  assert.equal(ticks, 5_000);
  during(7_250, () => { since = sdkClock.since(ticks); });
  assert.equal(since, 2_250, "since = ms from the ticks given to now");
  during(8_000, () => { epoch = sdkClock.epochMs(); });
  assert.ok(typeof epoch === "number" && Math.abs(epoch - Date.now()) < 1_000, "Date.now()");
});

test("sdkDiscoveryStore: NVS domain jbd-ha (not the settings', which config reset clears); a value that is no string reads as none", async () => {
  const { sdkDiscoveryStore } = await import("../../modules/bridge/sdk-ports");
  const { attachHost } = await import("../doubles/runtime");
  const nvs = new Map<string, unknown>();
  attachHost((op) => {
    const [kind, domain, key, value] = op as [string, string, string, unknown];
    if (kind === "pref.set") { nvs.set(domain + "/" + key, value); return undefined; }
    if (kind === "pref.get") return nvs.get(domain + "/" + key);
    return undefined;
  });
  sdkDiscoveryStore.set("announced", "house,garage");
  assert.deepEqual([...nvs], [["jbd-ha/announced", "house,garage"]]);
  assert.equal(sdkDiscoveryStore.get("announced"), "house,garage");
  assert.equal(sdkDiscoveryStore.get("migrated"), undefined);
  nvs.set("jbd-ha/migrated", 7);
  assert.equal(sdkDiscoveryStore.get("migrated"), undefined, "a number is no list");
  assert.ok(Object.isFrozen(sdkDiscoveryStore));
});
