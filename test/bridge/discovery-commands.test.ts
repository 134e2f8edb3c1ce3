// Home Assistant discovery payloads and MOS command handling as units, without a broker: every
// key of a config, every entity of a shape, every refusal and its payload. Fast enough for
// mutation testing to run for every bridge mutant (bridge.test.ts checks the same end to end).
import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonWriter } from "../../modules/protocol/json";
import { DeviceDiscovery, discoveryTopic, nodeId } from "../../modules/bridge/discovery";
import { splitDevicePayload } from "./home-assistant";
import { BMS_ENTITY_SLOTS, GATEWAY_ENTITIES, bmsEntity, hasBmsEntity, type Entity } from "../../modules/bridge/entities";
import { MosCommands, type CommandTarget } from "../../modules/bridge/mos-commands";
import { BmsTopics, GatewayTopics } from "../../modules/bridge/topics";
import type { MqttStats } from "../../modules/bridge/mqtt-connection";
import type { Pump } from "../../modules/bridge/pump";
import type { Fet, MosResult } from "../../modules/link/bms-view";
import { TestLog } from "./helpers";

/** Payloads are UTF-8 JSON in an ArrayBuffer (what the SDK's publish sends). */
const parseJson = (payload: string | ArrayBuffer) => JSON.parse(typeof payload === "string" ? payload : new TextDecoder().decode(payload));

const w = new JsonWriter();
const topics = {
  state: "jbd/house/state", diag: "jbd/house/diag", chargeSet: "jbd/house/mos/charge/set", dischargeSet: "jbd/house/mos/discharge/set",
  gatewayDiag: "jbd/gw/diag", gatewayAvailability: "jbd/gw/availability", availability: ["jbd/gw/availability", "jbd/house/availability"],
};
const device = { node: "jbd_house", name: "House", manufacturer: "JBD", model: "SP04S034", softwareVersion: "8.0", via: "jbd_gateway_gw" };
/** One entity's config as HA sees it: a part holding only it, split and merged as HA does. */
function entityConfig(d: DeviceDiscovery, entity: Entity): Record<string, any> {
  d.beginPart(w);
  d.component(w, entity);
  const text = new TextDecoder().decode(d.endPart(w));
  const [[, { config }]] = [...splitDevicePayload(d.topic("x"), text)];
  return config;
}

const find = (object: string): Entity => {
  for (let i = 0; i < BMS_ENTITY_SLOTS; i++) if (bmsEntity(i).object === object) return bmsEntity(i);
  const g = GATEWAY_ENTITIES.find((e) => e.object === object);
  if (!g) throw new Error("no entity " + object);
  return g;
};

test("a sensor's config: every key, abbreviated as HA documents", () => {
  const d = new DeviceDiscovery("ha", device, topics, { name: "jbd-gateway", version: "0.1.0" });
  const voltage = find("voltage");
  assert.equal(d.entityTopic(voltage), "ha/sensor/jbd_house/voltage/config", "the old per-entity topic (migrated)");
  assert.equal(d.topic("f1"), "ha/device/jbd_house_f1/config");
  assert.deepEqual(entityConfig(d, voltage), {
    name: "Voltage", uniq_id: "jbd_house_voltage", stat_t: "jbd/house/state", val_tpl: "{{value_json.voltage}}",
    unit_of_meas: "V", dev_cla: "voltage", stat_cla: "measurement", sug_dsp_prc: 2,
    avty: [{ t: "jbd/gw/availability" }, { t: "jbd/house/availability" }], avty_mode: "all",
    dev: { ids: ["jbd_house"], name: "House", mf: "JBD", mdl: "SP04S034", sw: "8.0", via_device: "jbd_gateway_gw" },
    o: { name: "jbd-gateway", sw: "0.1.0" },
  });
});

test("diagnostic, attribute, icon and switch entities; the gateway's own status", () => {
  const d = new DeviceDiscovery("ha", device, topics, { name: "jbd-gateway" });
  const connects = entityConfig(d, find("link_connects"));
  assert.equal(connects.stat_t, "jbd/house/diag");
  assert.equal(connects.ent_cat, "diagnostic");
  assert.equal(connects.json_attr_t, "jbd/house/diag");
  assert.equal(connects.json_attr_tpl, "{{value_json.link|tojson}}");
  assert.equal(connects.ic, "mdi:bluetooth-connect");
  assert.deepEqual(connects.o, { name: "jbd-gateway" }, "no version: no sw");
  let switches = 0;
  for (let i = 0; i < BMS_ENTITY_SLOTS; i++) {
    const e = bmsEntity(i);
    if (e.component !== "switch") continue;
    switches++;
    const c = entityConfig(d, e);
    assert.equal(c.cmd_t, e.fet === "charge" ? "jbd/house/mos/charge/set" : "jbd/house/mos/discharge/set");
    assert.deepEqual([c.pl_on, c.pl_off, c.dev_cla], ["ON", "OFF", "switch"]);
  }
  assert.equal(switches, 2);
  const gw = new DeviceDiscovery("ha", { node: "jbd_gateway_gw", name: "Gateway", manufacturer: "jbd-gateway", model: "ESP32" },
    { gatewayDiag: "jbd/gw/diag", gatewayAvailability: "jbd/gw/availability", availability: ["jbd/gw/availability"] }, { name: "x" });
  const status = entityConfig(gw, find("status"));
  assert.deepEqual([status.stat_t, status.pl_on, status.pl_off, status.avty, status.dev_cla], ["jbd/gw/availability", "online", "offline", undefined, "connectivity"]);
  const uptime = entityConfig(gw, find("uptime"));
  assert.deepEqual([uptime.stat_t, uptime.unit_of_meas, uptime.avty, uptime.avty_mode], ["jbd/gw/diag", "s", [{ t: "jbd/gw/availability" }], undefined], "one availability topic: no mode");
  assert.deepEqual(uptime.dev, { ids: ["jbd_gateway_gw"], name: "Gateway", mf: "jbd-gateway", mdl: "ESP32" }, "no sw or via when unknown");
});

test("which entities a pack has: cells, sensors, the extended block, switches or read-only FETs", () => {
  const objects = (shape: Parameters<typeof hasBmsEntity>[0]) => {
    const out: string[] = [];
    for (let i = 0; i < BMS_ENTITY_SLOTS; i++) if (hasBmsEntity(shape, i)) out.push(bmsEntity(i).component + ":" + bmsEntity(i).object);
    return out;
  };
  const plain = objects({ cells: 4, temperatures: 3, extended: false, control: true });
  assert.deepEqual(plain.filter((o) => /:cell_\d+$/.test(o)), ["sensor:cell_1", "sensor:cell_2", "sensor:cell_3", "sensor:cell_4"]);
  assert.deepEqual(plain.filter((o) => /:temp_\d+$/.test(o)), ["sensor:temp_1", "sensor:temp_2", "sensor:temp_3"]);
  assert.ok(plain.includes("switch:charge_mos") && !plain.includes("binary_sensor:charge_mos"));
  for (const o of ["sensor:full_charge", "sensor:balance_current", "sensor:humidity", "binary_sensor:alarm"]) assert.ok(!plain.includes(o), o);
  const extended = objects({ cells: 32, temperatures: 8, extended: true, control: false });
  for (const o of ["sensor:full_charge", "sensor:balance_current", "sensor:humidity", "binary_sensor:alarm", "binary_sensor:charge_mos", "sensor:cell_32", "sensor:temp_8"]) {
    assert.ok(extended.includes(o), o);
  }
  assert.ok(!extended.includes("switch:charge_mos"));
  assert.equal(objects({ cells: 0, temperatures: 0, extended: false, control: false }).filter((o) => /_\d+$/.test(o) && !o.includes("prot")).length, 0);
  const temp = bmsEntity(BMS_ENTITY_SLOTS - 32 - 8 + 1);
  assert.deepEqual([temp.object, temp.template, temp.unit, temp.deviceClass, temp.precision], ["temp_2", "{{value_json.temperatures[1]}}", "°C", "temperature", 1]);
  const cell = bmsEntity(BMS_ENTITY_SLOTS - 1);
  assert.deepEqual([cell.object, cell.template, cell.unit, cell.precision], ["cell_32", "{{value_json.cells[31]}}", "V", 3]);
});

test("node ids and discovery topics", () => {
  assert.equal(nodeId("jbd_Garage-2"), "jbd_Garage-2");
  assert.equal(nodeId("a b/c.d:é09AZaz"), "a_b_c_d__09AZaz");
  assert.equal(nodeId("@[`{/:"), "______", "the characters just outside each allowed range");
  assert.equal(discoveryTopic("homeassistant", "jbd_x", find("soc")), "homeassistant/sensor/jbd_x/soc/config");
});

// ---------------- MOS commands ----------------

function commands(enabled = true) {
  const sent: { topic: string; payload: string }[] = [];
  const pump = { enqueue: (topic: string, payload: string) => { sent.push({ topic, payload }); } } as unknown as Pump;
  const stats = { malformedCommands: 0 } as MqttStats;
  const log = new TestLog();
  const gateway = new GatewayTopics("jbd", "gw");
  const mos = new MosCommands(new JsonWriter(), enabled, gateway, stats, pump, log);
  const calls: { fet: Fet; on: boolean }[] = [];
  const answers: ((r: MosResult) => void)[] = [];
  let throws = false;
  const target: CommandTarget = {
    topics: new BmsTopics("jbd", "house"),
    view: { setMos: (fet: Fet, on: boolean, done: (r: MosResult) => void) => { if (throws) throw new Error("link bug"); calls.push({ fet, on }); answers.push(done); } } as unknown as CommandTarget["view"],
  };
  const data = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
  return { mos, sent, stats, log, target, calls, data, answer: (r: MosResult, i = answers.length - 1) => answers[i](r), setThrows: (t: boolean) => { throws = t; } };
}
const last = (c: ReturnType<typeof commands>) => parseJson(c.sent.at(-1)!.payload);

test("each command reaches setMos once, also while another runs (the link queues them), and each answer is published", () => {
  const c = commands();
  c.mos.command(c.target, "charge", c.data("off"));
  assert.deepEqual(c.calls, [{ fet: "charge", on: false }]);
  c.mos.command(c.target, "discharge", c.data("OFF"));
  assert.deepEqual(c.calls, [{ fet: "charge", on: false }, { fet: "discharge", on: false }], "not refused as busy: both FETs off in one go");
  assert.equal(c.sent.length, 0, "nothing answered before the link answers");
  c.answer({ fet: "charge", requested: false, ok: true, command: "e1", charge: false, discharge: true }, 0);
  assert.equal(c.sent.at(-1)!.topic, "jbd/house/mos/result");
  assert.deepEqual(last(c), { fet: "charge", requested: "OFF", ok: true, command: "e1", mos: { charge: false, discharge: true } });
  c.answer({ fet: "discharge", requested: false, ok: true, command: "e1", charge: false, discharge: false }, 1);
  assert.deepEqual(last(c), { fet: "discharge", requested: "OFF", ok: true, command: "e1", mos: { charge: false, discharge: false } });
  c.mos.command(c.target, "discharge", c.data("1"));
  assert.deepEqual(c.calls.at(-1), { fet: "discharge", on: true });
  c.answer({ fet: "discharge", requested: true, ok: false, error: "superseded by a later command" });
  assert.deepEqual(last(c), { fet: "discharge", requested: "ON", ok: false, error: "superseded by a later command" }, "a superseded command's answer as the link gives it");
  assert.equal(c.sent.length, 3, "one answer per command");
  assert.equal(c.stats.malformedCommands, 0);
});

test("refusals: invalid payload (counted), control disabled, a link that throws", () => {
  const c = commands();
  c.mos.command(c.target, "charge", c.data("maybe"));
  assert.deepEqual(last(c), { fet: "charge", ok: false, error: "invalid payload 'maybe': send ON or OFF" });
  assert.equal(c.stats.malformedCommands, 1);
  c.mos.command(c.target, "charge", new Uint8Array([0xff, 0xfe]).buffer);
  assert.equal(c.stats.malformedCommands, 2, "not text");
  assert.equal(last(c).error, "invalid payload (not text, or too long): send ON or OFF");
  c.mos.enabled = false;
  c.mos.command(c.target, "discharge", c.data("OFF"));
  assert.deepEqual(last(c), { fet: "discharge", requested: "OFF", ok: false, error: "control disabled (mosControl is off)" });
  c.mos.enabled = true;
  c.setThrows(true);
  c.mos.command(c.target, "discharge", c.data("OFF"));
  assert.deepEqual(last(c), { fet: "discharge", requested: "OFF", ok: false, error: "internal error: Error: link bug" });
  assert.ok(c.log.errors.some((l) => l.includes("link bug")));
  assert.equal(c.calls.length, 0);
  assert.equal(c.stats.malformedCommands, 2);
});

test("misaddressed commands: unknown topic of our BMS, unknown BMS on our error topic, anything else only logged", () => {
  const c = commands();
  const garage = { ...c.target, topics: new BmsTopics("jbd", "garage") };
  c.mos.misaddressed("jbd/house/mos/heater/set", "jbd", [c.target, garage]);
  assert.equal(c.sent.at(-1)!.topic, "jbd/house/mos/result");
  assert.deepEqual(last(c), { ok: false, error: "unknown topic 'jbd/house/mos/heater...': use mos/charge/set or mos/discharge/set" }, "quoted, cut at 20");
  c.mos.misaddressed("jbd/house/mos/x/set", "jbd", [c.target]);
  assert.equal(last(c).error, "unknown topic 'jbd/house/mos/x/set': use mos/charge/set or mos/discharge/set", "20 characters: whole");
  c.mos.misaddressed("jbd/attic/mos/charge/set", "jbd", [c.target, garage]);
  assert.equal(c.sent.at(-1)!.topic, "jbd/gw/error");
  assert.deepEqual(last(c), { topic: "jbd/attic/mos/charge/set", ok: false, error: "unknown BMS 'attic' (this gateway has: house, garage)" });
  c.mos.misaddressed("jbd/attic/mos/charge/set", "jbd", []);
  assert.equal(last(c).error, "unknown BMS 'attic' (this gateway has: none)");
  const before = c.sent.length;
  c.mos.misaddressed("elsewhere/x", "jbd", [c.target]);
  assert.equal(c.sent.length, before, "nothing published for a topic that is not a command");
  assert.ok(c.log.lines.some((l) => l.includes("elsewhere/x")));
  assert.equal(c.stats.malformedCommands, 5);
  assert.equal(c.calls.length, 0);
});

test("every sensor suggests a display precision (issue 12 part 3): HA would otherwise show raw floats or '12.0' counts", () => {
  const sensors = [...Array.from({ length: BMS_ENTITY_SLOTS }, (_, i) => bmsEntity(i)), ...GATEWAY_ENTITIES].filter((e) => e.component === "sensor" && !e.object.endsWith("_text")); // *_text: words, not numbers
  assert.ok(sensors.length > 20);
  for (const e of sensors) assert.ok(Number.isInteger(e.precision) && e.precision! >= 0, e.object + " has a precision");
});
