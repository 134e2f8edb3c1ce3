// BMS settings over MQTT and Home Assistant (issue 13 stages 4, 5), the bridge's part, against a real
// broker (aedes): the retained settings payload, the entities (read-only sensors, then numbers and a
// select while settingsWrite is on, a read button), requests on settings/read, settings/set and
// settings/restore reaching the link's settings as they were sent and their answers coming back on
// settings/result, every refusal the bridge makes itself, and an unknown BMS. The link's own side
// (what is checked, what is written) is tested on virtual time in test/link/settings.test.ts; here
// the pack's settings are a double that records what it was asked and answers as the test says.
// The whole firmware does this on XS in test/virtual/mqtt-bms-settings.test.ts, which Stryker
// cannot see.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import { Harness } from "./harness";
import { SP04S034, type FakeBms } from "./fake-bms";
import { assertAccepted, haView, parseDiscovery, render } from "./home-assistant";
import { sleep, until } from "./helpers";
import type { SettingsDone, SettingsOutcome, SettingsView } from "../../modules/link/bms-settings";
import type { SettingsSet } from "../../modules/protocol/registers";
import { packSet } from "./pack-settings";
import { MAX_SETTINGS_PAYLOAD } from "../../modules/bridge/settings-commands";
import { quoted } from "../../modules/bridge/incoming";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

/** The pack's settings as the bridge sees them: records every request, answers with `next` (ok by default). */
class FakeSettings implements SettingsView {
  values: SettingsSet | undefined;
  writable = false;
  busy = false;
  readonly calls: { what: "read" | "write" | "dryRun"; values?: unknown; restore?: boolean }[] = [];
  next: SettingsOutcome | undefined;
  read(done?: SettingsDone): void {
    this.calls.push({ what: "read" });
    const outcome = this.next ?? { ok: true, action: "read" };
    setTimeout(() => done?.(outcome), 5);
  }
  write(values: unknown, done: SettingsDone, restore?: boolean): void {
    this.calls.push({ what: "write", values, restore });
    const outcome = this.next ?? { ok: true, action: restore ? "restore" : "write", changes: [] };
    setTimeout(() => done(outcome), 5);
  }
  dryRun(values: unknown, restore?: boolean): SettingsOutcome {
    this.calls.push({ what: "dryRun", values, restore });
    return this.next ?? { ok: true, action: "restore", dryRun: true, changes: [] };
  }
}

// one bridge for the file (a bridge takes about two seconds to start): each test adds packs of its own
let shared: Harness | undefined;
after(() => shared?.close());
let packs = 0;

async function start(options: { read?: boolean; writable?: boolean; settings?: boolean } = {}): Promise<{ h: Harness; bms: FakeBms; settings: FakeSettings }> {
  const h = shared ??= await Harness.start(broker);
  const bms = h.add("pack" + ++packs, SP04S034);
  const settings = new FakeSettings();
  settings.writable = options.writable ?? false;
  if (options.read ?? true) settings.values = packSet();
  if (options.settings ?? true) Object.assign(bms, { settings });
  h.linkUp(bms);
  if (options.read ?? true) h.bridge.onSettings(bms);
  if ((options.read ?? true) && (options.settings ?? true)) await until(() => h.consumer.last(h.topic(bms, "settings")) !== undefined, 5000, "settings published");
  await h.quiet();
  return { h, bms, settings };
}

async function ask(h: Harness, bms: FakeBms | string, what: string, payload: string | Buffer): Promise<any> {
  const since = h.consumer.messages.length;
  await h.command(h.topic(bms, "settings/" + what), payload);
  return JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "settings/result"), 3000, since)).text);
}

/** The pack's settings entities Home Assistant holds now, by object id. */
function entities(h: Harness, bms: FakeBms): Map<string, { component: string; config: Record<string, any> }> {
  const out = new Map<string, { component: string; config: Record<string, any> }>();
  for (const [topic, text] of haView(h.haPrefix, h.consumer.messages)) {
    if (!text) continue;
    const d = parseDiscovery(h.haPrefix, topic, text);
    if (d.node !== "jbd_" + bms.id || !(d.object.startsWith("set_") || d.object === "settings_read")) continue;
    assertAccepted(d);
    out.set(d.object, { component: d.component, config: d.config });
  }
  return out;
}

test("the settings payload, retained, once read: format, BMS, software, writable, values in their units, absent", async () => {
  const { h, bms, settings } = await start();
  const m = h.consumer.last(h.topic(bms, "settings"))!;
  assert.ok(m, "published");
  const probe = await Consumer.connect(broker.port, [h.topic(bms, "settings")]);
  await until(() => probe.messages.length > 0, 3000, "the retained copy");
  await probe.close();
  assert.equal(probe.messages[0].retain, true, "retained");
  assert.equal(probe.messages[0].text, m.text);
  const doc = JSON.parse(m.text);
  assert.equal(doc.format, "jbd-settings/1");
  assert.equal(doc.bms, bms.id);
  assert.equal(typeof doc.softwareVersion, "string");
  assert.ok(doc.softwareVersion.length > 0);
  assert.equal(doc.writable, false);
  assert.equal(doc.values.cellOvervoltage, 3.65);
  assert.equal(doc.values.dischargeOvercurrent, 150);
  assert.equal(doc.values.balanceMode, "charging");
  assert.equal(doc.values.manufactureDate, "2024-03-07");
  assert.ok(doc.absent.includes("socVoltage100"));
  // written again when the link says so (a read or a write ended), now writable
  settings.writable = true;
  const since = h.consumer.messages.length;
  h.bridge.onSettings(bms);
  const again = JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "settings"), 3000, since)).text);
  assert.equal(again.writable, true);
  assert.deepEqual(again.values, doc.values);
});

test("no settings payload nor settings entities before a read; a pack whose view has no settings publishes none", async () => {
  const { h, bms } = await start({ read: false });
  assert.equal(h.consumer.last(h.topic(bms, "settings")), undefined);
  assert.deepEqual([...entities(h, bms).keys()], []);
  h.bridge.onSettings(bms); // a read that brought nothing (still no values)
  await h.quiet();
  assert.equal(h.consumer.last(h.topic(bms, "settings")), undefined, "no payload without values");
  assert.deepEqual([...entities(h, bms).keys()], []);
});

test("entities: read-only diagnostic sensors and a read button; numbers and a select in the config category once writable, and back", async () => {
  const { h, bms, settings } = await start();
  let list = entities(h, bms);
  assert.equal(list.size, 16 + 2, "16 values, balancing, the read button");
  const payload = JSON.parse(h.consumer.last(h.topic(bms, "settings"))!.text);
  for (const [object, e] of list) {
    if (object === "settings_read") continue;
    assert.equal(e.component, "sensor", object);
    assert.equal(e.config.entity_category, "diagnostic", object);
    assert.equal(e.config.state_topic, h.topic(bms, "settings"), object);
    assert.equal(e.config.command_topic, undefined, object);
  }
  assert.equal(render(list.get("set_cell_ov")!.config.value_template, payload), "3.65");
  assert.equal(list.get("set_cell_ov")!.config.unit_of_measurement, "V");
  assert.equal(list.get("set_cell_ov")!.config.device_class, "voltage");
  assert.equal(render(list.get("set_dsg_oc")!.config.value_template, payload), "150");
  assert.equal(render(list.get("set_balance")!.config.value_template, payload), "charging");
  assert.equal(list.get("set_design_cap")!.config.icon, "mdi:battery-settings", "no device class: an icon");
  assert.equal(list.get("set_design_cap")!.config.device_class, undefined);
  const button = list.get("settings_read")!;
  assert.equal(button.component, "button");
  assert.equal(button.config.command_topic, h.topic(bms, "settings/read"));
  assert.equal(button.config.payload_press, "PRESS");
  assert.equal(button.config.entity_category, "config");

  settings.writable = true;
  h.bridge.onSettings(bms);
  await h.quiet();
  list = entities(h, bms);
  assert.equal(list.size, 18);
  const ov = list.get("set_cell_ov")!;
  assert.equal(ov.component, "number");
  assert.equal(ov.config.entity_category, "config");
  assert.equal(ov.config.command_topic, h.topic(bms, "settings/set"));
  assert.equal(ov.config.command_template, "{\"cellOvervoltage\":{{value}}}");
  assert.deepEqual([ov.config.min, ov.config.max, ov.config.step, ov.config.mode], [1, 4.5, 0.001, "box"]);
  assert.equal(render(ov.config.value_template, payload), "3.65");
  const rows: Record<string, [string, number, number, number]> = {
    set_cell_ov_rel: ["cellOvervoltageRelease", 1, 4.5, 0.001], set_cell_uv: ["cellUndervoltage", 1, 4.5, 0.001],
    set_cell_uv_rel: ["cellUndervoltageRelease", 1, 4.5, 0.001], set_pack_ov: ["packOvervoltage", 1, 144, 0.01],
    set_pack_uv: ["packUndervoltage", 1, 144, 0.01], set_chg_oc: ["chargeOvercurrent", 0.5, 3000, 0.01],
    set_dsg_oc: ["dischargeOvercurrent", 0.5, 3000, 0.01], set_chg_ot: ["chargeOvertemp", -40, 100, 0.1],
    set_chg_ut: ["chargeUndertemp", -40, 100, 0.1], set_dsg_ot: ["dischargeOvertemp", -40, 100, 0.1],
    set_dsg_ut: ["dischargeUndertemp", -40, 100, 0.1], set_bal_start: ["balanceStartVoltage", 1, 4.5, 0.001],
    set_bal_window: ["balanceWindow", 0.005, 0.5, 0.001], set_design_cap: ["designCapacity", 0.1, 6553.5, 0.01],
    set_cycle_cap: ["cycleCapacity", 0.1, 6553.5, 0.01],
  };
  for (const [object, [key, min, max, step]] of Object.entries(rows)) {
    const e = list.get(object)!;
    assert.equal(e.component, "number", object);
    assert.equal(e.config.command_template, `{"${key}":{{value}}}`, object);
    assert.deepEqual([e.config.min, e.config.max, e.config.step], [min, max, step], object);
    assert.equal(render(e.config.value_template, payload), String(payload.values[key]), object);
  }
  const balance = list.get("set_balance")!;
  assert.equal(balance.component, "select");
  assert.equal(balance.config.entity_category, "config");
  assert.equal(balance.config.command_template, "{\"balanceMode\":\"{{value}}\"}");
  assert.deepEqual(balance.config.options, ["off", "always", "charging"]);
  assert.equal(list.get("settings_read")!.component, "button");

  settings.writable = false; // settingsWrite switched off again
  h.bridge.onSettings(bms);
  await h.quiet();
  list = entities(h, bms);
  assert.equal(list.get("set_cell_ov")!.component, "sensor");
  assert.equal(list.get("set_balance")!.component, "sensor");
});

test("settings/read (any payload: HA's button) asks the link once and its answer comes back on settings/result", async () => {
  const { h, bms, settings } = await start();
  assert.deepEqual(await ask(h, bms, "read", "PRESS"), { ok: true, action: "read" });
  settings.next = { ok: false, action: "read", error: "busy: a settings request is already waiting" };
  assert.deepEqual(await ask(h, bms, "read", "x"), { ok: false, action: "read", error: "busy: a settings request is already waiting" });
  assert.deepEqual(settings.calls, [{ what: "read" }, { what: "read" }]);
});

test("settings/set: the JSON object reaches the link as sent; every part of its answer comes back", async () => {
  const { h, bms, settings } = await start({ writable: true });
  settings.next = {
    ok: true, action: "write", changes: [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }, { key: "balanceMode", from: "charging", to: "off" }],
    unchanged: ["cellUndervoltage"], skipped: ["cycleCount (read-only)", "socVoltage100 (absent)"], unreadable: ["ledTime"],
  };
  assert.deepEqual(await ask(h, bms, "set", "{\"cellOvervoltage\":3.6,\"balanceMode\":\"off\",\"cellUndervoltage\":2.5}"), {
    ok: true, action: "write", changes: [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }, { key: "balanceMode", from: "charging", to: "off" }],
    unchanged: ["cellUndervoltage"], skipped: ["cycleCount (read-only)", "socVoltage100 (absent)"], unreadable: ["ledTime"],
  });
  assert.deepEqual(settings.calls, [{ what: "write", values: { cellOvervoltage: 3.6, balanceMode: "off", cellUndervoltage: 2.5 }, restore: false }]);
  // a value that did not read back: named, nothing saved
  for (const [wrote, read] of [[3.6, 3.65], [3.6, null], ["off", "always"]] as const) {
    settings.next = { ok: false, action: "write", error: "not saved", failed: { key: "cellOvervoltage", wrote, read } };
    assert.deepEqual(await ask(h, bms, "set", "{\"cellOvervoltage\":3.6}"), { ok: false, action: "write", error: "not saved", failed: { key: "cellOvervoltage", wrote, read } });
  }
  // empty lists are left out
  settings.next = { ok: true, action: "write", changes: [], unchanged: [], skipped: [], unreadable: [] };
  assert.deepEqual(await ask(h, bms, "set", "{}"), { ok: true, action: "write", changes: [] });
});

test("settings/set: anything but a JSON object is refused by the bridge, counted, and reaches no link", async () => {
  const { h, bms, settings } = await start({ writable: true });
  const stats = h.bridge.connection.stats;
  const malformed = stats.malformedCommands;
  for (const payload of ["3.6", "[1]", "null", "{cellOvervoltage:3.6}", "\"x\""]) {
    const r = await ask(h, bms, "set", payload);
    assert.deepEqual(r, { ok: false, action: "write", error: `invalid payload ${quoted(payload)}: send a JSON object, e.g. {"cellOvervoltage":3.6}` }, payload);
  }
  assert.equal(stats.malformedCommands, malformed + 5);
  const oversized = stats.oversizedPayloads;
  const big = "{\"a\":\"" + "x".repeat(MAX_SETTINGS_PAYLOAD) + "\"}";
  const r = await ask(h, bms, "set", big);
  assert.equal(r.ok, false);
  assert.match(r.error, /^invalid payload .*: send a JSON object/);
  assert.equal(stats.oversizedPayloads, oversized + 1, "counted as oversized");
  // one just under the limit is read
  const fits = "{\"a\":\"" + "x".repeat(MAX_SETTINGS_PAYLOAD - 8) + "\"}";
  assert.equal(fits.length, MAX_SETTINGS_PAYLOAD);
  settings.next = { ok: false, action: "write", error: "refused: a is not a setting" };
  assert.deepEqual(await ask(h, bms, "set", fits), { ok: false, action: "write", error: "refused: a is not a setting" });
  assert.equal(stats.oversizedPayloads, oversized + 1);
  assert.equal(stats.malformedCommands, malformed + 6);
  assert.deepEqual(settings.calls.map((c) => c.what), ["write"], "only the object reached the link");
});

test("settings/restore: a backup's values reach the link as a restore; a dry run is answered at once; another format is refused", async () => {
  const { h, bms, settings } = await start({ writable: true });
  const backup = JSON.parse(h.consumer.last(h.topic(bms, "settings"))!.text);
  settings.next = { ok: true, action: "restore", changes: [{ key: "cellOvervoltage", from: 3.6, to: 3.65 }] };
  assert.deepEqual(await ask(h, bms, "restore", JSON.stringify(backup)), { ok: true, action: "restore", changes: [{ key: "cellOvervoltage", from: 3.6, to: 3.65 }] });
  assert.deepEqual(settings.calls.at(-1), { what: "write", values: backup.values, restore: true });
  // a backup without a format line is taken
  settings.next = undefined;
  assert.deepEqual(await ask(h, bms, "restore", JSON.stringify({ values: { cellOvervoltage: 3.6 } })), { ok: true, action: "restore", changes: [] });
  assert.deepEqual(settings.calls.at(-1), { what: "write", values: { cellOvervoltage: 3.6 }, restore: true });
  // dry run: nothing written, what would change listed
  settings.next = { ok: true, action: "restore", dryRun: true, changes: [{ key: "cellOvervoltage", from: 3.6, to: 3.65 }] };
  assert.deepEqual(await ask(h, bms, "restore", JSON.stringify({ ...backup, dryRun: true })),
    { ok: true, action: "restore", dryRun: true, changes: [{ key: "cellOvervoltage", from: 3.6, to: 3.65 }] });
  assert.deepEqual(settings.calls.at(-1), { what: "dryRun", values: backup.values, restore: true });
  // dryRun must be true itself, not merely there
  settings.next = undefined;
  await ask(h, bms, "restore", JSON.stringify({ ...backup, dryRun: "yes" }));
  assert.equal(settings.calls.at(-1)!.what, "write");
  const calls = settings.calls.length;
  assert.deepEqual(await ask(h, bms, "restore", JSON.stringify({ ...backup, format: "jbd-settings/2" })),
    { ok: false, action: "restore", error: "not a backup of this format: 'jbd-settings/2'" });
  assert.deepEqual(await ask(h, bms, "restore", "[]"),
    { ok: false, action: "restore", error: "invalid payload '[]': send a backup document (the settings payload)" });
  assert.equal(settings.calls.length, calls, "neither reached the link");
});

test("settings topics the bridge does not serve: an unknown request is refused; its own answers and a pack without settings", async () => {
  const { h, bms, settings } = await start();
  const stats = h.bridge.connection.stats;
  const malformed = stats.malformedCommands;
  assert.deepEqual(await ask(h, bms, "write", "{}"), {
    ok: false, action: "read", error: `unknown topic ${quoted(h.topic(bms, "settings/write"))}: use settings/read, settings/set or settings/restore`,
  });
  assert.equal(stats.malformedCommands, malformed + 1);
  // a request without a name is one of ours all the same (it was answered as an unknown BMS, which this pack is not)
  assert.deepEqual(await ask(h, bms, "", "{}"), {
    ok: false, action: "read", error: `unknown topic ${quoted(h.topic(bms, "settings/"))}: use settings/read, settings/set or settings/restore`,
  });
  assert.equal(stats.malformedCommands, malformed + 2);
  // a broker echoing our own answer back: not a request, nothing answered
  const since = h.consumer.messages.length;
  await h.command(h.topic(bms, "settings/result"), "{\"ok\":true}");
  await sleep(300);
  assert.deepEqual(h.consumer.messages.slice(since).map((m) => m.topic), [h.topic(bms, "settings/result")], "only what we sent");
  assert.equal(stats.malformedCommands, malformed + 2);
  assert.deepEqual(settings.calls, []);

  const other = await start({ settings: false });
  assert.deepEqual(await ask(other.h, other.bms, "read", "PRESS"), { ok: false, action: "read", error: "this BMS has no settings" });
  assert.deepEqual(await ask(other.h, other.bms, "set", "{}"), { ok: false, action: "read", error: "this BMS has no settings" });
});

test("settings requests for a BMS this gateway lacks are answered on the gateway's error topic; their result topic is not", async () => {
  const { h, settings } = await start();
  const known = h.bms.map((b) => b.id).join(", ");
  const stats = h.bridge.connection.stats;
  const malformed = stats.malformedCommands;
  let since = h.consumer.messages.length;
  await h.command(h.topic("garage", "settings/set"), "{}");
  const error = JSON.parse((await h.consumer.waitForTopic(h.topic(h.gateway, "error"), 3000, since)).text);
  assert.deepEqual(error, { topic: h.topic("garage", "settings/set"), ok: false, error: `unknown BMS 'garage' (this gateway has: ${known})` });
  assert.equal(stats.malformedCommands, malformed + 1);
  since = h.consumer.messages.length;
  await h.command(h.topic("garage", "settings/result"), "{}");
  await sleep(300);
  assert.equal(h.consumer.messages.slice(since).filter((m) => m.topic === h.topic(h.gateway, "error")).length, 0, "an answer is no request");
  assert.equal(stats.malformedCommands, malformed + 1);
  assert.deepEqual(settings.calls, []);
});

test("a BMS that left the configuration: its settings topic is cleared with the rest", async () => {
  const h = await Harness.start(broker, { flash: new Map([["announced", "house,garage"]]) });
  after(() => h.close());
  await h.quiet();
  // garage was announced by an earlier boot and is no longer configured: its topics are cleared
  await until(() => h.consumer.messages.some((m) => m.topic === h.topic("garage", "settings")), 5000, "settings cleared");
  const cleared = h.consumer.messages.filter((m) => m.topic.startsWith(h.prefix + "/garage/")).map((m) => m.topic);
  assert.deepEqual(cleared.sort(), ["availability", "diag", "info", "settings", "state"].map((s) => h.topic("garage", s)).sort());
  assert.ok(h.consumer.messages.filter((m) => m.topic.startsWith(h.prefix + "/garage/")).every((m) => m.text === ""));
});
