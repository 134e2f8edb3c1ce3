// The bridge's JSON payloads, built from real frames (fake-bms.ts) and checked key by key: no
// broker, no real time, so mutation testing can run them for every bridge mutant.
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "./home-assistant";
import { JsonWriter } from "../../modules/protocol/json";
import { bmsDiagJson, gatewayDiagJson, infoJson, maintenanceResultJson, mosResultJson, refusalJson, softwareVersion, stateJson, unknownBmsJson } from "../../modules/bridge/payloads";
import type { Clock } from "../../modules/bridge/ports";
import type { MqttStats } from "../../modules/bridge/mqtt-connection";
import { FakeBms, DP04S007, SP04S034 } from "./fake-bms";

/** Payloads are UTF-8 JSON in an ArrayBuffer (what the SDK's publish sends). */
const parseJson = (payload: string | ArrayBuffer) => JSON.parse(typeof payload === "string" ? payload : new TextDecoder().decode(payload));

let ticks = 1_000, epoch = Date.UTC(2026, 11, 1, 12, 0, 0);
const clock: Clock = { ticks: () => ticks, since: (t) => ticks - t, epochMs: () => epoch };
const w = new JsonWriter();

test("state: the reading, its age, the time it was taken, RSSI (null when unknown)", () => {
  const bms = new FakeBms("house", "House", "A4:C1:38:00:00:01", clock).load(SP04S034);
  bms.rssi = -67;
  ticks += 2_500;
  const state = parseJson(stateJson(w, bms, clock));
  assert.equal(state.voltage, 15.6);
  assert.deepEqual(state.cells, [3.909, 3.901, 3.895, 3.901]);
  assert.equal(state.age, 2.5);
  assert.equal(state.timestamp, new Date(epoch - 2_500).toISOString());
  assert.equal(state.rssi, -67);
  bms.rssi = undefined;
  assert.equal(parseJson(stateJson(w, bms, clock)).rssi, null);
  assert.ok("rssi" in parseJson(stateJson(w, bms, clock)), "null, not absent");
});

test("state: no timestamp until the clock is set (anything before 2024)", () => {
  const bms = new FakeBms("house", "House", undefined, clock).load(SP04S034);
  const saved = epoch;
  try {
    epoch = 5_000;
    assert.equal(parseJson(stateJson(w, bms, clock)).timestamp, undefined);
    epoch = Date.UTC(2024, 0, 1);
    assert.equal(parseJson(stateJson(w, bms, clock)).timestamp, undefined, "exactly the threshold is not set");
    epoch = Date.UTC(2024, 0, 1) + 1;
    assert.equal(parseJson(stateJson(w, bms, clock)).timestamp, new Date(epoch).toISOString());
  } finally { epoch = saved; }
});

test("info: name, address (null when unknown), hardware, versions, date, counts, capacity", () => {
  const bms = new FakeBms("house", "House battery", "A4:C1:38:00:00:01", clock).load(SP04S034);
  const { productionYear: y, productionMonth: m, productionDay: d } = bms.info;
  assert.ok(m < 10 && d >= 10, "the capture's date has a one-digit month, a two-digit day");
  assert.deepEqual(parseJson(infoJson(w, bms)), {
    name: "House battery", address: "A4:C1:38:00:00:01", hardwareVersion: "JBD-SP04S034-L4S-200A-B-U",
    softwareVersion: "8.0", productionDate: `${y}-0${m}-${d}`,
    cellCount: 4, ntcCount: 3, nominalCapacity: Math.round(bms.info.nominalAh * 100) / 100,
  });
  const bare = new FakeBms("van", "Van", undefined, clock).load(DP04S007);
  const vanInfo = parseJson(infoJson(w, bare));
  assert.equal(vanInfo.address, null);
  assert.equal(vanInfo.hardwareVersion, undefined, "no 0x05 read yet: no hardware key");
  assert.equal(vanInfo.ntcCount, 1);
  assert.equal(softwareVersion(bms), "8.0");
});

test("BMS diag: uptime, RSSI, connected, every link and frame counter, the login, error counters when read", () => {
  const bms = new FakeBms("house", "House", "A4:C1:38:00:00:01", clock).load(SP04S034);
  const s = bms.stats;
  Object.assign(s, { connects: 1, connectAttempts: 2, connectTimeouts: 3, drops: 4, forcedDisconnects: 5, stackResets: 6,
    lastReconnectMs: 7, maxReconnectMs: 8, pollsOk: 9, pollsFailed: 10, timeouts: 11, retries: 12, errorReplies: 13, strays: 14 });
  Object.assign(bms.frameStats, { frames: 21, errorStatus: 22, garbageBytes: 23, badHeader: 24, badEnd: 25, badChecksum: 26, gapTimeouts: 27, truncated: 28, moduleFrames: 29 });
  bms.login = { kind: "module", ok: false, problem: true, outcome: "module password rejected: set the password of house: config set bms1Password <six letters or digits>" };
  bms.rssi = -70;
  const before = parseJson(bmsDiagJson(w, bms, 3_600));
  assert.deepEqual(before.link.latency, { count: 0, min: null, median: null, max: null }, "no reply yet: no latency, not 0 ms");
  assert.equal(render("{{value_json.link.latency.median}}", before), "None", "which HA's MQTT sensor shows as unknown");
  s.latency.add(80);
  s.latency.add(120);
  const diag = parseJson(bmsDiagJson(w, bms, 3_600));
  assert.equal(diag.uptime, 3_600);
  assert.equal(diag.rssi, -70);
  assert.equal(diag.connected, true);
  assert.deepEqual(diag.link, { connects: 1, connectAttempts: 2, connectTimeouts: 3, drops: 4, forcedDisconnects: 5, stackResets: 6,
    lastReconnectMs: 7, maxReconnectMs: 8, pollsOk: 9, pollsFailed: 10, timeouts: 11, retries: 12, errorReplies: 13, strays: 14,
    latency: { count: 2, min: 80, median: s.latency.median, max: 120 } });
  assert.deepEqual(diag.frames, { received: 21, errorStatus: 22, garbageBytes: 23, badHeader: 24, badEnd: 25, badChecksum: 26, gapTimeouts: 27, truncated: 28, moduleFrames: 29 });
  assert.deepEqual(diag.login, bms.login, "what the login came to, for the Login problem entity");
  assert.equal(diag.errorCounters.cellOvervoltage, 122);
  bms.login = { kind: "none", ok: true, problem: false, outcome: "a \"quoted\" \\ outcome" };
  assert.deepEqual(parseJson(bmsDiagJson(w, bms, 1)).login, bms.login, "the other way round, and text that JSON escapes");
  bms.rssi = undefined;
  bms.connected = false;
  const van = new FakeBms("van", "Van", undefined, clock).load(DP04S007);
  van.rssi = undefined;
  const vanDiag = parseJson(bmsDiagJson(w, van, 1));
  assert.equal(vanDiag.rssi, null);
  assert.equal(vanDiag.errorCounters, undefined, "no 0xAA read yet");
  assert.equal(parseJson(bmsDiagJson(w, bms, 1)).connected, false);
});

test("gateway diag: uptime, BMS count, the restart reason when there is one, every MQTT counter", () => {
  const stats: MqttStats = { connectAttempts: 1, connects: 2, connectTimeouts: 3, disconnects: 4, publishes: 5, publishFailures: 6,
    publishesTooLarge: 7, messagesIn: 8, malformedCommands: 9, oversizedPayloads: 10, replaysIgnored: 11 } as MqttStats;
  assert.deepEqual(parseJson(gatewayDiagJson(w, 60, 2, stats)), { uptime: 60, bms: 2, mqtt: { connectAttempts: 1, connects: 2, connectTimeouts: 3,
    disconnects: 4, publishes: 5, publishFailures: 6, publishesTooLarge: 7, messagesIn: 8, malformedCommands: 9, oversizedPayloads: 10, replaysIgnored: 11 } });
  assert.deepEqual(Object.keys(parseJson(gatewayDiagJson(w, 60, 2, stats)).mqtt as object), ["connectAttempts", "connects", "connectTimeouts",
    "disconnects", "publishes", "publishFailures", "publishesTooLarge", "messagesIn", "malformedCommands", "oversizedPayloads", "replaysIgnored"], "in this order");
  assert.equal(parseJson(gatewayDiagJson(w, 60, 2, stats, "BLE connect hung")).restartReason, "BLE connect hung");
  assert.equal(parseJson(gatewayDiagJson(w, 60, 2, stats, "")).restartReason, undefined);
});

test("MOS results and refusals", () => {
  assert.deepEqual(parseJson(mosResultJson(w, { fet: "charge", requested: false, ok: true, command: "fb", charge: false, discharge: true })),
    { fet: "charge", requested: "OFF", ok: true, command: "fb", mos: { charge: false, discharge: true } });
  assert.deepEqual(parseJson(mosResultJson(w, { fet: "discharge", requested: true, ok: false, error: "not connected" })),
    { fet: "discharge", requested: "ON", ok: false, error: "not connected" });
  assert.deepEqual(parseJson(mosResultJson(w, { fet: "discharge", requested: true, ok: false, error: "x", charge: true })),
    { fet: "discharge", requested: "ON", ok: false, error: "x" }, "both FET states or none");
  assert.deepEqual(parseJson(refusalJson(w, "busy", "charge", true)), { fet: "charge", requested: "ON", ok: false, error: "busy" });
  assert.deepEqual(parseJson(refusalJson(w, "off", "discharge", false)), { fet: "discharge", requested: "OFF", ok: false, error: "off" });
  assert.deepEqual(parseJson(refusalJson(w, "invalid payload")), { ok: false, error: "invalid payload" });
});

test("state: energy totals in kWh from whole Wh, runtimes in seconds (0 is a runtime, negative none), all four null without a meter", () => {
  const bms = new FakeBms("house", "House", undefined, clock).load(SP04S034);
  const none = parseJson(stateJson(w, bms, clock));
  assert.deepEqual([none.energyCharged, none.energyDischarged, none.timeToEmpty, none.timeToFull], [null, null, null, null]);
  bms.energy = { chargedWh: 12_345.9, dischargedWh: 7.2, timeToEmptyS: 3_600, timeToFullS: -1 };
  const discharging = parseJson(stateJson(w, bms, clock));
  assert.deepEqual([discharging.energyCharged, discharging.energyDischarged, discharging.timeToEmpty, discharging.timeToFull], [12.345, 0.007, 3_600, null]);
  bms.energy = { chargedWh: 0, dischargedWh: 1_000, timeToEmptyS: -1, timeToFullS: 0 };
  const full = parseJson(stateJson(w, bms, clock));
  assert.deepEqual([full.energyCharged, full.energyDischarged, full.timeToEmpty, full.timeToFull], [0, 1, null, 0]);
  bms.energy = { chargedWh: 0, dischargedWh: 0, timeToEmptyS: 0, timeToFullS: 59 };
  const empty = parseJson(stateJson(w, bms, clock));
  assert.deepEqual([empty.timeToEmpty, empty.timeToFull], [0, 59]);
});

test("gateway diag: each memory figure only where the build reports it", () => {
  const stats = { connectAttempts: 0, connects: 0, connectTimeouts: 0, disconnects: 0, publishes: 0, publishFailures: 0,
    publishesTooLarge: 0, messagesIn: 0, malformedCommands: 0, oversizedPayloads: 0, replaysIgnored: 0 } as MqttStats;
  const all = { freeBytes: 1, slotHeapBytes: 2, chunkHeapBytes: 3, stackBytes: 4 };
  assert.deepEqual(parseJson(gatewayDiagJson(w, 1, 1, stats, "", all)).memory, all);
  for (const missing of Object.keys(all) as (keyof typeof all)[]) {
    const some = { ...all, [missing]: undefined };
    const expected: Record<string, number> = { ...all };
    delete expected[missing];
    assert.deepEqual(parseJson(gatewayDiagJson(w, 1, 1, stats, "", some)).memory, expected, `without ${missing}`);
  }
  assert.equal(parseJson(gatewayDiagJson(w, 1, 1, stats, "", undefined)).memory, undefined);
});

test("MOS result: the FET states only when both are known", () => {
  assert.deepEqual(parseJson(mosResultJson(w, { fet: "charge", requested: true, ok: false, error: "x", discharge: false })),
    { fet: "charge", requested: "ON", ok: false, error: "x" });
});

test("maintenance result: the error, and the facts before and after, each only when there", () => {
  assert.deepEqual(parseJson(maintenanceResultJson(w, { function: "capacity", ok: true,
    before: { soc: 40, remainingAh: 12.345, protection: "none", errorCounters: 3 }, after: { soc: 100 } })),
  { function: "capacity", ok: true, before: { soc: 40, remainingCapacity: 12.35, protection: "none", errorCounters: 3 }, after: { soc: 100 } });
  assert.deepEqual(parseJson(maintenanceResultJson(w, { function: "counters", ok: false, error: "not allowed" })),
    { function: "counters", ok: false, error: "not allowed" });
  assert.deepEqual(parseJson(maintenanceResultJson(w, { function: "protection", ok: true, after: { protection: "Cell overvoltage", errorCounters: 0 } })),
    { function: "protection", ok: true, after: { protection: "Cell overvoltage", errorCounters: 0 } });
  assert.deepEqual(parseJson(maintenanceResultJson(w, { function: "protection", ok: true, before: { remainingAh: 0 } })),
    { function: "protection", ok: true, before: { remainingCapacity: 0 } });
});

test("a command for a BMS this gateway does not have: the topic and the ids it has", () => {
  const ids = [{ topics: { id: "house" } }, { topics: { id: "van" } }];
  assert.deepEqual(parseJson(unknownBmsJson(w, "jbd/boat/mos/set", ids)),
    { topic: "jbd/boat/mos/set", ok: false, error: "unknown BMS in 'jbd/boat/mos/set' (this gateway has: house, van)" });
  assert.equal(parseJson(unknownBmsJson(w, "jbd/x/mos/set", [])).error, "unknown BMS in 'jbd/x/mos/set' (this gateway has: none)");
});

test("info: the production date's month and day in two digits (9 and 10 either side of the padding)", () => {
  const bms = new FakeBms("house", "House", undefined, clock).load(SP04S034);
  bms.info.productionDateRaw = (21 << 9) | (10 << 5) | 9;
  assert.equal(parseJson(infoJson(w, bms)).productionDate, "2021-10-09");
  bms.info.productionDateRaw = (21 << 9) | (9 << 5) | 10;
  assert.equal(parseJson(infoJson(w, bms)).productionDate, "2021-09-10");
});
