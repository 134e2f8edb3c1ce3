// Settings requests (modules/bridge/settings-commands.ts) without a broker, as discovery-commands.test.ts
// does for MOS commands: which topics are requests, what reaches the pack's settings, every refusal
// and what it counts, the answers' JSON. Milliseconds where the same over aedes (settings.test.ts)
// takes seconds, so that mutation testing can afford it; settings.test.ts shows it end to end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonWriter } from "../../modules/protocol/json";
import { MAX_SETTINGS_PAYLOAD, SettingsCommands } from "../../modules/bridge/settings-commands";
import { BmsTopics } from "../../modules/bridge/topics";
import type { CommandTarget } from "../../modules/bridge/mos-commands";
import type { MqttStats } from "../../modules/bridge/mqtt-connection";
import type { Pump } from "../../modules/bridge/pump";
import type { SettingsDone, SettingsOutcome, SettingsView } from "../../modules/link/bms-settings";
import { settingsResultJson, settingsText } from "../../modules/bridge/settings-payloads";
import { BALANCE_OPTIONS, SETTINGS_ENTITY_COUNT, settingsEntity } from "../../modules/bridge/settings-entities";
import { SettingsSet } from "../../modules/protocol/registers";
import type { BmsView } from "../../modules/link/bms-view";
import { TestLog } from "./helpers";

function world(options: { settings?: boolean } = {}) {
  const sent: { topic: string; payload: string }[] = [];
  const text = (payload: string | ArrayBuffer) => typeof payload === "string" ? payload : new TextDecoder().decode(payload);
  const pump = { enqueue: (topic: string, payload: string | ArrayBuffer) => { sent.push({ topic, payload: text(payload) }); } } as unknown as Pump;
  const stats = { malformedCommands: 0, oversizedPayloads: 0 } as MqttStats;
  const log = new TestLog();
  const commands = new SettingsCommands(new JsonWriter(), "jbd", stats, pump, log, "jbd/gw/error");
  const calls: { what: string; values?: unknown; restore?: boolean }[] = [];
  let next: SettingsOutcome = { ok: true, action: "read" };
  const settings: SettingsView = {
    values: undefined, writable: true, busy: false,
    read: (done?: SettingsDone) => { calls.push({ what: "read" }); done?.(next); },
    write: (values: unknown, done: SettingsDone, restore?: boolean) => { calls.push({ what: "write", values, restore }); done(next); },
    dryRun: (values: unknown, restore?: boolean) => { calls.push({ what: "dryRun", values, restore }); return next; },
  };
  const view = { settings: options.settings === false ? undefined : settings } as unknown as CommandTarget["view"];
  const house: CommandTarget = { topics: new BmsTopics("jbd", "house"), view };
  const garage: CommandTarget = { topics: new BmsTopics("jbd", "garage"), view };
  const data = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
  const send = (topic: string, text: string | ArrayBuffer) => commands.command(house, topic, typeof text === "string" ? data(text) : text);
  const last = () => JSON.parse(sent.at(-1)!.payload);
  return { commands, sent, stats, log, calls, house, garage, data, send, last, answerWith: (o: SettingsOutcome) => { next = o; } };
}

test("the subscription: every BMS's settings requests", () => {
  assert.equal(world().commands.subscription, "jbd/+/settings/+");
});

test("which topics are this pack's settings requests: settings/<something> only", () => {
  const w = world();
  for (const topic of ["jbd/house/settings", "jbd/house/settingsx/read", "jbd/house/setting/read", "jbd/garage/settings/read", "jbd/house/state", "jbd/hous/settings/read"]) {
    assert.equal(w.send(topic, "x"), false, topic);
  }
  assert.equal(w.sent.length, 0);
  assert.deepEqual(w.calls, []);
  assert.equal(w.send("jbd/house/settings/result", "{}"), true, "our own answers are ours, and not answered");
  assert.equal(w.sent.length, 0);
  assert.equal(w.stats.malformedCommands, 0);
  assert.equal(w.send("jbd/house/settings/", "{}"), true);
  assert.equal(w.sent.at(-1)!.topic, "jbd/house/settings/result");
  assert.deepEqual(w.last(), { ok: false, action: "read", error: "unknown topic 'jbd/house/settings/': use settings/read, settings/set or settings/restore" });
  assert.equal(w.stats.malformedCommands, 1);
  w.send("jbd/house/settings/xy", "{}");
  assert.deepEqual(w.last(), { ok: false, action: "read", error: "unknown topic 'jbd/house/settings/x...': use settings/read, settings/set or settings/restore" });
  assert.equal(w.stats.malformedCommands, 2);
  assert.deepEqual(w.calls, []);
});

test("read: any payload; the answer on settings/result", () => {
  const w = world();
  assert.equal(w.send("jbd/house/settings/read", "PRESS"), true);
  assert.deepEqual(w.calls, [{ what: "read" }]);
  assert.deepEqual(w.sent, [{ topic: "jbd/house/settings/result", payload: "{\"ok\":true,\"action\":\"read\"}" }]);
  assert.ok(w.log.lines.includes("info MQTT: settings read ofhouse"));
});

test("a pack without settings says so for every request", () => {
  const w = world({ settings: false });
  for (const what of ["read", "set", "restore", "x"]) {
    assert.equal(w.send("jbd/house/settings/" + what, "{}"), true);
    assert.deepEqual(w.last(), { ok: false, action: "read", error: "this BMS has no settings" }, what);
  }
  assert.equal(w.stats.malformedCommands, 0);
});

test("set: a JSON object reaches the pack as a write; anything else is refused and counted", () => {
  const w = world();
  w.answerWith({ ok: true, action: "write", changes: [] });
  w.send("jbd/house/settings/set", "{\"cellOvervoltage\":3.6}");
  assert.deepEqual(w.calls, [{ what: "write", values: { cellOvervoltage: 3.6 }, restore: false }]);
  assert.deepEqual(w.last(), { ok: true, action: "write", changes: [] });
  assert.ok(w.log.lines.includes("info MQTT: settings write ofhouse"));
  for (const payload of ["3.6", "[]", "null", "{x", "\"a\""]) {
    w.send("jbd/house/settings/set", payload);
    assert.deepEqual(w.last(), { ok: false, action: "write", error: `invalid payload '${payload}': send a JSON object, e.g. {"cellOvervoltage":3.6}` }, payload);
  }
  assert.equal(w.stats.malformedCommands, 5);
  assert.equal(w.stats.oversizedPayloads, 0);
  assert.equal(w.calls.length, 1);
  // size: up to MAX_SETTINGS_PAYLOAD bytes are read; more are refused unread and counted as oversized
  assert.equal(MAX_SETTINGS_PAYLOAD, 4096);
  const fits = "{\"a\":\"" + "x".repeat(MAX_SETTINGS_PAYLOAD - 8) + "\"}";
  w.send("jbd/house/settings/set", fits);
  assert.equal(w.calls.length, 2);
  assert.equal(w.stats.oversizedPayloads, 0);
  w.send("jbd/house/settings/set", fits + " ");
  assert.deepEqual(w.last(), { ok: false, action: "write", error: "invalid payload (not text, or too long): send a JSON object, e.g. {\"cellOvervoltage\":3.6}" });
  assert.equal(w.stats.oversizedPayloads, 1);
  assert.equal(w.stats.malformedCommands, 6);
  // not UTF-8, short: malformed only
  w.send("jbd/house/settings/set", new Uint8Array([0xff, 0x7b]).buffer);
  assert.equal(w.stats.malformedCommands, 7);
  assert.equal(w.stats.oversizedPayloads, 1);
  // exactly MAX_SETTINGS_PAYLOAD bytes that are no UTF-8: read (and refused), not oversized
  w.send("jbd/house/settings/set", new Uint8Array(MAX_SETTINGS_PAYLOAD).fill(0xff).buffer);
  assert.equal(w.stats.oversizedPayloads, 1);
});

test("restore: a backup's values as a restore; a dry run answered at once; another format or no object refused", () => {
  const w = world();
  w.answerWith({ ok: true, action: "restore", changes: [] });
  w.send("jbd/house/settings/restore", JSON.stringify({ format: "jbd-settings/1", values: { a: 1 } }));
  assert.deepEqual(w.calls.at(-1), { what: "write", values: { a: 1 }, restore: true });
  assert.ok(w.log.lines.includes("info MQTT: settings restore ofhouse"));
  w.send("jbd/house/settings/restore", JSON.stringify({ values: { b: 2 } }));
  assert.deepEqual(w.calls.at(-1), { what: "write", values: { b: 2 }, restore: true }, "no format line: taken");
  w.answerWith({ ok: true, action: "restore", dryRun: true, changes: [{ key: "a", from: 1, to: 2 }] });
  w.send("jbd/house/settings/restore", JSON.stringify({ dryRun: true, values: { c: 3 } }));
  assert.deepEqual(w.calls.at(-1), { what: "dryRun", values: { c: 3 }, restore: true });
  assert.deepEqual(w.last(), { ok: true, action: "restore", dryRun: true, changes: [{ key: "a", from: 1, to: 2 }] });
  w.send("jbd/house/settings/restore", JSON.stringify({ dryRun: 1, values: { d: 4 } }));
  assert.equal(w.calls.at(-1)!.what, "write", "dryRun must be true itself");
  const calls = w.calls.length;
  w.send("jbd/house/settings/restore", JSON.stringify({ format: "other", values: {} }));
  assert.deepEqual(w.last(), { ok: false, action: "restore", error: "not a backup of this format: 'other'" });
  w.send("jbd/house/settings/restore", "[1]");
  assert.deepEqual(w.last(), { ok: false, action: "restore", error: "invalid payload '[1]': send a backup document (the settings payload)" });
  assert.equal(w.calls.length, calls);
  assert.equal(w.stats.malformedCommands, 1, "a wrong format is answered, not counted as malformed");
  // set with a "values" key is a write of the whole object, not of its values
  w.answerWith({ ok: true, action: "write" });
  w.send("jbd/house/settings/set", JSON.stringify({ values: { e: 5 }, format: "x" }));
  assert.deepEqual(w.calls.at(-1), { what: "write", values: { values: { e: 5 }, format: "x" }, restore: false });
});

test("an answer that cannot be written is logged, never thrown at the broker's callback", () => {
  const w = world();
  w.answerWith(null as never);
  assert.equal(w.send("jbd/house/settings/read", "x"), true);
  assert.ok(w.log.errors.some((e) => e.startsWith("settings result:")));
});

test("misaddressed: an unknown BMS's settings requests on the error topic; its result topic and other topics not", () => {
  const w = world();
  const targets = [w.house, w.garage];
  assert.equal(w.commands.misaddressed("jbd/attic/settings/set", "jbd", targets), true);
  assert.deepEqual(w.sent.at(-1), { topic: "jbd/gw/error", payload: "{\"topic\":\"jbd/attic/settings/set\",\"ok\":false,\"error\":\"unknown BMS 'attic' (this gateway has: house, garage)\"}" });
  assert.equal(w.stats.malformedCommands, 1);
  assert.equal(w.commands.misaddressed("jbd/attic/settings/result", "jbd", targets), true);
  assert.equal(w.sent.length, 1, "an answer is no request");
  assert.equal(w.stats.malformedCommands, 1);
  for (const topic of ["jbd/attic/mos/charge/set", "other/attic/settings/set", "jbd/attic", "jbd/attic/settingsx/set", "jbdx/attic/settings/set"]) {
    assert.equal(w.commands.misaddressed(topic, "jbd", targets), false, topic);
  }
  assert.equal(w.sent.length, 1);
  w.commands.misaddressed("jbd/attic/settings/read", "jbd", []);
  assert.match(w.last().error, /\(this gateway has: none\)$/);
});

test("result JSON: every part, in order; empty lists left out; a failed read-back with a number, a word or nothing", () => {
  const w = new JsonWriter();
  assert.equal(settingsResultJson(w, { ok: true, action: "write", dryRun: true, error: "note", changes: [{ key: "a", from: 1.5, to: "x" }, { key: "b", from: "y", to: 2 }],
    unchanged: ["c", "d"], skipped: ["e"], unreadable: ["f", "g"], failed: { key: "a", wrote: 2, read: 3 } }),
  "{\"ok\":true,\"action\":\"write\",\"dryRun\":true,\"error\":\"note\",\"changes\":[{\"key\":\"a\",\"from\":1.5,\"to\":\"x\"},{\"key\":\"b\",\"from\":\"y\",\"to\":2}]," +
  "\"unchanged\":[\"c\",\"d\"],\"skipped\":[\"e\"],\"unreadable\":[\"f\",\"g\"],\"failed\":{\"key\":\"a\",\"wrote\":2,\"read\":3}}");
  assert.equal(settingsResultJson(w, { ok: false, action: "write", failed: { key: "m", wrote: "off", read: "always" } }),
    "{\"ok\":false,\"action\":\"write\",\"failed\":{\"key\":\"m\",\"wrote\":\"off\",\"read\":\"always\"}}");
  assert.equal(settingsResultJson(w, { ok: false, action: "write", failed: { key: "m", wrote: 1, read: null } }),
    "{\"ok\":false,\"action\":\"write\",\"failed\":{\"key\":\"m\",\"wrote\":1,\"read\":null}}");
  assert.equal(settingsResultJson(w, { ok: true, action: "read", dryRun: false, error: "", changes: [], unchanged: [], skipped: [], unreadable: [] }),
    "{\"ok\":true,\"action\":\"read\",\"changes\":[]}");
});

test("settings entities: each value with its unit and device class (or an icon), its setting and bounds; the balance select; the read button", () => {
  const rows: [string, string, string, string | undefined, number, number, number][] = [
    ["set_cell_ov", "cellOvervoltage", "V", "voltage", 1, 4.5, 0.001], ["set_cell_ov_rel", "cellOvervoltageRelease", "V", "voltage", 1, 4.5, 0.001],
    ["set_cell_uv", "cellUndervoltage", "V", "voltage", 1, 4.5, 0.001], ["set_cell_uv_rel", "cellUndervoltageRelease", "V", "voltage", 1, 4.5, 0.001],
    ["set_pack_ov", "packOvervoltage", "V", "voltage", 1, 144, 0.01], ["set_pack_uv", "packUndervoltage", "V", "voltage", 1, 144, 0.01],
    ["set_chg_oc", "chargeOvercurrent", "A", "current", 0.5, 3000, 0.01], ["set_dsg_oc", "dischargeOvercurrent", "A", "current", 0.5, 3000, 0.01],
    ["set_chg_ot", "chargeOvertemp", "°C", "temperature", -40, 100, 0.1], ["set_chg_ut", "chargeUndertemp", "°C", "temperature", -40, 100, 0.1],
    ["set_dsg_ot", "dischargeOvertemp", "°C", "temperature", -40, 100, 0.1], ["set_dsg_ut", "dischargeUndertemp", "°C", "temperature", -40, 100, 0.1],
    ["set_bal_start", "balanceStartVoltage", "V", "voltage", 1, 4.5, 0.001], ["set_bal_window", "balanceWindow", "V", "voltage", 0.005, 0.5, 0.001],
    ["set_design_cap", "designCapacity", "Ah", undefined, 0.1, 6553.5, 0.01], ["set_cycle_cap", "cycleCapacity", "Ah", undefined, 0.1, 6553.5, 0.01],
  ];
  assert.equal(SETTINGS_ENTITY_COUNT, rows.length + 2);
  rows.forEach(([object, key, unit, deviceClass, min, max, step], i) => {
    for (const writable of [false, true]) {
      const e = settingsEntity(i, writable);
      assert.deepEqual([e.object, e.unit, e.deviceClass, e.template], [object, unit, deviceClass, `{{value_json.values.${key}}}`], object);
      assert.equal(e.icon, deviceClass ? undefined : "mdi:battery-settings", object);
      assert.equal(e.component, writable ? "number" : "sensor");
      assert.equal(e.setting, writable ? key : undefined);
      assert.deepEqual([e.min, e.max, e.step], [min, max, step]);
      assert.equal(e.source, "settings");
      assert.equal(!!e.config, writable);
      assert.equal(!!e.diagnostic, !writable);
    }
  });
  const balance = settingsEntity(rows.length, true);
  assert.deepEqual([balance.component, balance.object, balance.setting, balance.icon, balance.template], ["select", "set_balance", "balanceMode", "mdi:scale-balance", "{{value_json.values.balanceMode}}"]);
  assert.deepEqual(balance.options, ["off", "always", "charging"]);
  assert.deepEqual(BALANCE_OPTIONS, ["off", "always", "charging"]);
  const shown = settingsEntity(rows.length, false);
  assert.deepEqual([shown.component, shown.setting, shown.diagnostic, !!shown.config], ["sensor", undefined, true, false]);
  const button = settingsEntity(rows.length + 1, true);
  assert.deepEqual([button.component, button.object, button.name, button.source, button.icon, button.settingsRead, button.config, button.gatewayAvailable],
    ["button", "settings_read", "Read settings", "none", "mdi:refresh", true, true, false], "the pack's availability: no read from a pack that is offline");
  assert.deepEqual(settingsEntity(rows.length + 1, false), button);
});

test("the settings document: without a reading no software version; without values none", () => {
  const w = new JsonWriter();
  const view = (infoAt: number, values: SettingsSet | undefined) => ({ id: "house", infoAt, hardware: { length: 0 }, info: { softwareVersion: 0x80 }, settings: { values, writable: true } }) as unknown as BmsView;
  assert.deepEqual(JSON.parse(settingsText(w, view(-1, undefined))), { format: "jbd-settings/1", bms: "house", writable: true });
  const set = new SettingsSet();
  set.state.fill(2);
  const doc = JSON.parse(settingsText(w, view(-1, set)));
  assert.equal(doc.softwareVersion, undefined);
  assert.deepEqual(doc.values, {});
  assert.equal(doc.absent.length, 56);
  assert.equal(typeof JSON.parse(settingsText(w, view(5, set))).softwareVersion, "string");
});

test("the command's answer says a request was handled: the bridge then looks no further (no unknown-BMS error for a known pack)", () => {
  const w = world();
  assert.equal(w.send("jbd/house/settings/restore", JSON.stringify({ format: "x" })), true);
  assert.equal(w.send("jbd/house/settings/restore", JSON.stringify({ dryRun: true, values: {} })), true);
  assert.equal(w.send("jbd/house/settings/set", "{}"), true);
  assert.equal(w.send("jbd/house/settings/set", "x"), true);
  assert.equal(w.send("jbd/house/settings/read", ""), true);
  // another prefix of the same length is no settings topic of ours
  for (const topic of ["jbx/attic/settings/set", "abc/attic/settings/read"]) assert.equal(w.commands.misaddressed(topic, "jbd", [w.house]), false, topic);
});
