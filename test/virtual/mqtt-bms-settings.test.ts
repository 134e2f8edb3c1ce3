// BMS settings end to end (issue 13): the whole firmware on XS, a real broker (aedes), the simulated
// BMS's EEPROM. The settings are read once after the first reading and published retained; Home
// Assistant gets read-only sensors, then numbers and a select once settingsWrite is on (serial
// console only); a write over MQTT is refused while it is off, then checked, written, read back and
// saved; a backup (the retained payload) is restored after a change, dry run first; the console
// shows, backs up and sets them. The BMS is never left in factory mode.
import { assertAccepted, haView, parseDiscovery } from "../bridge/home-assistant";
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import type { Scenario } from "./scenario";
import { bootGatewayOnXs } from "./xs-gateway";

const broker = new Broker();
let scenario: Scenario;
let consumer: Consumer;

before(async () => {
  await broker.start();
  ({ scenario } = await bootGatewayOnXs(broker.port, 21));
  consumer = await Consumer.connect(broker.port, ["jbd/#", "homeassistant/device/+/config"]);
  await scenario.device.run(2_000); // past the replay guard's settle time
});
after(async () => { await consumer.close(); await scenario.device.close(); await broker.stop(); });

async function until(done: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("not within " + ms + " ms: " + what);
    await new Promise((r) => setTimeout(r, 10));
    await scenario.device.run(50);
  }
}
const sim = () => scenario.sims[0];
const last = (topic: string, since = 0) => consumer.messages.slice(since).filter((m) => m.topic === topic).at(-1);
const results = (since: number) => consumer.messages.slice(since).filter((m) => m.topic === "jbd/house/settings/result").map((m) => JSON.parse(m.text));
/** The entities of the settings parts HA was given last. */
function settingsEntities(since = 0): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const part of ["s1", "s2", "s3"]) {
    const m = last(`homeassistant/device/jbd_house_${part}/config`, since);
    if (m && m.text) Object.assign(out, JSON.parse(m.text).cmps);
  }
  return out;
}
async function type(line: string, ms = 6_000): Promise<string> {
  const from = scenario.device.serialOutput.length;
  scenario.device.type(line + "\r");
  await scenario.device.run(ms);
  await new Promise((r) => setTimeout(r, 150));
  await scenario.device.run(1_000);
  return scenario.device.serialOutput.slice(from);
}
let backup = "";

test("read once after the first reading, published retained, HA gets read-only sensors; factory mode left", async () => {
  await until(() => last("jbd/house/settings") !== undefined, "the settings payload");
  const doc = JSON.parse(last("jbd/house/settings")!.text);
  backup = last("jbd/house/settings")!.text;
  assert.equal(doc.format, "jbd-settings/1");
  assert.equal(doc.bms, "house");
  assert.equal(doc.writable, false);
  assert.equal(doc.values.cellOvervoltage, 3.65);
  assert.equal(doc.values.cellCount, 4);
  assert.deepEqual(doc.absent, []);
  assert.equal(last("jbd/house/settings")!.retain, true);
  assert.equal(sim().factoryMode, false);
  // the parts come one by one (a busy broker may deliver the first before the others): wait for what is checked
  await until(() => ["set_cell_ov", "set_balance", "settings_read"].every((key) => key in settingsEntities()), "settings entities");
  const entities = settingsEntities();
  assert.equal(entities.set_cell_ov.p, "sensor");
  assert.equal(entities.set_cell_ov.ent_cat, "diagnostic", "HA refuses a sensor in the config category");
  assert.equal(entities.set_cell_ov.val_tpl, "{{value_json.values.cellOvervoltage}}");
  assert.equal(entities.set_cell_ov.stat_t, "jbd/house/settings");
  assert.equal(entities.set_balance.p, "sensor");
  assert.equal(entities.settings_read.p, "button");
  assert.equal(entities.settings_read.cmd_t, "jbd/house/settings/read");
  assert.equal(scenario.device.fatalErrors, 0);
});

test("a write while settingsWrite is off: refused, nothing sent to the BMS", async () => {
  const since = consumer.messages.length, writes = sim().eeprom.stats.writes, enters = sim().stats.requests[0] ?? 0;
  await consumer.publish("jbd/house/settings/set", "{\"cellOvervoltage\":3.6}");
  await until(() => results(since).length > 0, "a result");
  assert.deepEqual(results(since)[0], { ok: false, action: "write", error: "settings writes are disabled (config set settingsWrite on)" });
  assert.equal(sim().eeprom.stats.writes, writes);
  assert.equal(sim().stats.requests[0] ?? 0, enters);
});

test("settingsWrite on (serial console): HA gets numbers and a select in the config category", async () => {
  const since = consumer.messages.length;
  assert.match(await type("config set settingsWrite on"), /applied now/);
  // every part of the new pass (they can arrive apart): the number's and the select's
  await until(() => settingsEntities(since).set_cell_ov?.p === "number" && "set_balance" in settingsEntities(since), "number entities");
  const entities = settingsEntities(since);
  assert.deepEqual(
    [entities.set_cell_ov.ent_cat, entities.set_cell_ov.cmd_t, entities.set_cell_ov.cmd_tpl, entities.set_cell_ov.min, entities.set_cell_ov.max, entities.set_cell_ov.step],
    ["config", "jbd/house/settings/set", "{\"cellOvervoltage\":{{value}}}", 1, 4.5, 0.001]);
  assert.equal(entities.set_balance.p, "select");
  assert.deepEqual(entities.set_balance.ops, ["off", "always", "charging"]);
  assert.equal(entities.set_balance.cmd_tpl, "{\"balanceMode\":\"{{value}}\"}");
  for (const part of ["s1", "s2", "s3"]) assert.ok(last(`homeassistant/device/jbd_house_${part}/config`, since)!.text.length < 4096, part);
  // every entity as Home Assistant's number and select schemas take it (test/bridge/home-assistant.ts)
  let checked = 0;
  for (const [topic, text] of haView("homeassistant", consumer.messages)) {
    if (!text || !topic.includes("/jbd_house/")) continue;
    const d = parseDiscovery("homeassistant", topic, text);
    assertAccepted(d);
    if (d.component === "number" || d.component === "select") checked++;
  }
  assert.ok(checked >= 10, `numbers and selects accepted: ${checked}`);
});

test("HA's number sends a value: checked, written, read back, saved; the retained payload follows", async () => {
  const since = consumer.messages.length;
  await consumer.publish("jbd/house/settings/set", "{\"cellOvervoltage\":3.6}");
  await until(() => results(since).length > 0, "a result");
  assert.deepEqual(results(since)[0], { ok: true, action: "write", changes: [{ key: "cellOvervoltage", from: 3.65, to: 3.6 }] });
  assert.equal(sim().eeprom.saved(0x24), 3600);
  await until(() => JSON.parse(last("jbd/house/settings", since)?.text ?? "{}").values?.cellOvervoltage === 3.6, "the new value published");
  assert.equal(sim().factoryMode, false);
});

test("refusals over MQTT say why and write nothing: a release above its trip, not JSON, an unknown BMS", async () => {
  const since = consumer.messages.length, writes = sim().eeprom.stats.writes;
  await consumer.publish("jbd/house/settings/set", "{\"cellOvervoltageRelease\":3.7}");
  await consumer.publish("jbd/house/settings/set", "3.7");
  await consumer.publish("jbd/garage/settings/set", "{\"cellOvervoltage\":3.6}");
  await until(() => results(since).length >= 2 && last(`jbd/${scenario.device.serialOutput.match(/ I gateway (\S+)/)![1]}/error`, since) !== undefined, "the answers");
  const [release, notJson] = results(since);
  assert.match(release.error, /^refused: a release must be below its trip: cellOvervoltageRelease 3.7 V must be below cellOvervoltage 3.6 V/);
  assert.match(notJson.error, /^invalid payload '3.7': send a JSON object/);
  assert.equal(sim().eeprom.stats.writes, writes);
});

test("restore the backup: a dry run lists the change and writes nothing, the restore saves it, every word back", async () => {
  const since = consumer.messages.length, writes = sim().eeprom.stats.writes;
  const doc = JSON.parse(backup);
  await consumer.publish("jbd/house/settings/restore", JSON.stringify({ ...doc, dryRun: true }));
  await until(() => results(since).length > 0, "the dry run");
  assert.deepEqual(results(since)[0], { ok: true, action: "restore", dryRun: true, changes: [{ key: "cellOvervoltage", from: 3.6, to: 3.65 }] });
  assert.equal(sim().eeprom.stats.writes, writes);
  await consumer.publish("jbd/house/settings/restore", backup);
  await until(() => results(since).length > 1, "the restore");
  assert.equal(results(since)[1].ok, true, JSON.stringify(results(since)[1]));
  assert.equal(sim().eeprom.saved(0x24), 3650);
  await until(() => JSON.parse(last("jbd/house/settings", since + 1)?.text ?? "{}").values?.cellOvervoltage === 3.65, "the restored value published");
  const restored = JSON.parse(last("jbd/house/settings")!.text);
  assert.deepEqual({ ...restored.values }, { ...doc.values }, "every value as in the backup");
});

test("the console: settings shows the values, backup prints the document in lines, set changes one", async () => {
  const shown = await type("settings");
  assert.match(shown, /house: settings \(writes allowed\)/);
  assert.match(shown, /cellOvervoltage 3\.65 V/);
  const backupOut = await type("settings backup");
  const all = backupOut.split(/\r?\n/), first = all.findIndex((l) => l.startsWith("{\"format\""));
  let end = first, text = "";
  for (; end < all.length; end++) { text += all[end]; try { JSON.parse(text); break; } catch { /* more lines */ } }
  const lines = all.slice(first, end + 1);
  assert.ok(first >= 0 && lines.length > 5 && lines.every((l) => l.length <= 120), "the document in lines of at most 120 characters");
  assert.equal(JSON.parse(lines.join("")).values.cellOvervoltage, 3.65, "pasted back as the lines are, it is the document");
  const set = await type("settings set house balanceMode charging", 8_000);
  assert.match(set, /house: write ok/);
  assert.match(set, /balanceMode: off -> charging \(saved\)/);
  assert.equal(sim().eeprom.saved(0x2d)! & 0x0c, 0x0c);
  assert.equal(sim().factoryMode, false);
  assert.equal(scenario.device.fatalErrors, 0);
});
