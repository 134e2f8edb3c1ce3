// The bridge against a real broker (aedes) and a real consumer (MQTT.js): readings, availability,
// Home Assistant discovery, MOS commands and their refusals, diagnostics, console, reconnects.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import { Harness } from "./harness";
import { DP04S007, SP04S034, SP25S003, FakeBms } from "./fake-bms";
import { assertAccepted, haView, parseDiscovery, render, type Discovered } from "./home-assistant";
import { sleep, until, nodeClock } from "./helpers";
import { stateExpiry } from "../../modules/bridge/bridge";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

async function harness(options?: Parameters<typeof Harness.start>[1]): Promise<Harness> {
  return Harness.start(broker, options);
}

/** Every non-empty discovery config, parsed and checked as Home Assistant would. */
function accepted(h: Harness): Discovered[] {
  const out: Discovered[] = [];
  for (const [topic, text] of h.discovery()) {
    if (!text) continue;
    const d = parseDiscovery(h.haPrefix, topic, text);
    assertAccepted(d);
    out.push(d);
  }
  return out;
}

const objects = (list: Discovered[], node: string) => list.filter((d) => d.node === node).map((d) => d.object);

// ---------------- readings ----------------

test("a reading arrives as retained JSON with the protocol core's keys, its age, timestamp and RSSI", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  const state = JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "state"))).text);
  for (const key of ["voltage", "current", "power", "soc", "remainingCapacity", "nominalCapacity", "cycles", "productionDate",
    "softwareVersion", "cellCount", "temperatures", "mos", "balancing", "protection", "protectionRaw",
    "cells", "cellMin", "cellMax", "cellDelta", "cellAverage", "age", "timestamp", "rssi"]) {
    assert.ok(key in state, "state has " + key);
  }
  assert.equal(state.voltage, 15.6);
  assert.deepEqual(state.cells, [3.909, 3.901, 3.895, 3.901]);
  assert.equal(state.temperatures.length, 3);
  assert.deepEqual(state.mos, { charge: true, discharge: true });
  assert.equal(state.rssi, -67);
  assert.ok(state.age >= 0 && state.age < 2, "age in seconds");
  assert.ok(Math.abs(Date.parse(state.timestamp) - Date.now()) < 5000, "ISO timestamp of the reading");

  const info = JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "info"), 3000, 0)).text);
  assert.deepEqual(info, {
    name: "Battery house", address: "A4:C1:38:00:00:00", hardwareVersion: "JBD-SP04S034-L4S-200A-B-U", softwareVersion: "8.0",
    productionDate: "2022-03-28", cellCount: 4, ntcCount: 3, nominalCapacity: 5,
  });

  const late = await Consumer.connect(broker.port, [h.topic(bms, "state")]);
  const kept = await late.waitForTopic(h.topic(bms, "state"), 3000, 0);
  assert.equal(kept.retain, true, "state is retained");
  await late.close();
});

test("without a set clock the state has no timestamp, and an unknown RSSI is null", async (t) => {
  const h = await harness({ clock: { ...nodeClock, epochMs: () => 12_000 } });
  t.after(() => h.close());
  const bms = h.add("shed", SP25S003);
  bms.rssi = undefined;
  h.linkUp(bms);
  const state = JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "state"))).text);
  assert.equal("timestamp" in state, false);
  assert.equal(state.rssi, null);
  assert.equal(state.cells.length, 16);
});

// ---------------- availability ----------------

test("availability follows the link, and the gateway's will reports it gone", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  const gw = h.topic(h.gateway, "availability"), avail = h.topic(bms, "availability");
  assert.equal((await h.consumer.waitForTopic(gw, 3000, 0)).text, "online");
  assert.equal((await h.consumer.waitFor((m) => m.topic === avail && m.text !== "", 3000, 0)).text, "offline", "no reading yet: offline");
  // as the gateway wrote them (a broker forwards every live message with the retain flag clear)
  assert.deepEqual(h.world.written.filter((m) => m.topic === avail).map((m) => [m.text, m.retain]), [["", true], ["offline", false]],
    "first a retained copy (an older firmware's) is deleted; then the live value, not retained");

  h.linkUp(bms);
  await h.consumer.waitFor((m) => m.topic === avail && m.text === "online");
  bms.online = false;
  h.bridge.onAvailability(bms, false);
  await h.consumer.waitFor((m) => m.topic === avail && m.text === "offline");

  // the connection drops: the broker publishes the will; on reconnect the BMS stays offline
  const since = h.consumer.messages.length;
  h.world.instances[0].kill();
  await h.consumer.waitFor((m) => m.topic === gw && m.text === "offline", 3000, since);
  await h.consumer.waitFor((m) => m.topic === gw && m.text === "online", 5000, since);
  const republished = await h.consumer.waitForTopic(avail, 3000, since);
  assert.equal(republished.text, "offline", "a stale reading is never announced as current");
});

test("a dead gateway leaves no pack 'online' at the broker: a pack's availability is not retained, it repeats with diag (issue 12 part 8)", async (t) => {
  const h = await harness({ settings: { diagIntervalMs: 300 } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  const avail = h.topic(bms, "availability");
  h.linkUp(bms);
  await h.consumer.waitFor((m) => m.topic === avail && m.text === "online", 3000, 0);
  // it repeats, so a consumer that subscribes late learns it within one diag interval
  const since = h.consumer.messages.length;
  await until(() => h.consumer.messages.slice(since).filter((m) => m.topic === avail && m.text === "online").length >= 2, 3000, "repeated");
  assert.ok(h.world.written.filter((m) => m.topic === avail).every((m) => !m.retain || m.text === ""), "never retained");

  // the gateway dies: its will says offline; a consumer that connects now finds the gateway offline and no pack online
  h.world.instances[0].kill();
  h.bridge.stop(false);
  await h.consumer.waitFor((m) => m.topic === h.topic(h.gateway, "availability") && m.text === "offline", 3000, since);
  const late = await Consumer.connect(broker.port, [`${h.prefix}/#`]);
  t.after(() => late.close());
  await sleep(300);
  assert.equal(late.last(h.topic(h.gateway, "availability"))?.text, "offline");
  assert.equal(late.on(avail).length, 0, "no retained availability of the pack: nobody is told it is online");
});

// ---------------- Home Assistant discovery ----------------

test("discovery: a complete battery device and a gateway device, all accepted by Home Assistant's rules", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034, "House battery");
  h.linkUp(bms);
  await h.quiet();
  const list = accepted(h);

  const unique = list.map((d) => d.config.unique_id);
  assert.equal(new Set(unique).size, unique.length, "unique_id is unique");
  const gatewayNode = "jbd_gateway_" + h.gateway, bmsNode = "jbd_house";
  const gatewayEntities = list.filter((d) => d.node === gatewayNode);
  const bmsEntities = list.filter((d) => d.node === bmsNode);
  assert.equal(gatewayEntities.length + bmsEntities.length, list.length);

  // devices
  const device = bmsEntities[0].config.device;
  assert.deepEqual(device, {
    identifiers: [bmsNode], name: "House battery", manufacturer: "JBD", model: "JBD-SP04S034-L4S-200A-B-U", sw_version: "8.0", via_device: gatewayNode,
  });
  for (const d of bmsEntities) assert.deepEqual(d.config.device, device, d.topic);
  assert.deepEqual(gatewayEntities[0].config.device.identifiers, [gatewayNode], "the via_device exists");
  const firstGateway = h.consumer.messages.findIndex((m) => m.topic.includes("/" + gatewayNode + "/"));
  const firstBms = h.consumer.messages.findIndex((m) => m.topic.includes("/" + bmsNode + "/"));
  assert.ok(firstGateway >= 0 && firstGateway < firstBms, "the gateway device is announced before the BMS names it as via_device");

  // availability wired to both topics, the BMS's read so that "released" is offline; the link's
  // release controls only to the gateway's (they must work while the BMS is released)
  const releaseControls = ["link_released", "release", "resume", "login_problem"];
  for (const d of bmsEntities) {
    if (releaseControls.includes(d.object)) {
      assert.deepEqual(d.config.availability, [{ topic: h.topic(h.gateway, "availability") }], d.topic);
      continue;
    }
    assert.deepEqual(d.config.availability, [
      { topic: h.topic(h.gateway, "availability") },
      { topic: h.topic(bms, "availability"), value_template: "{{'online' if value=='online' else 'offline'}}" },
    ], d.topic);
    assert.equal(d.config.availability_mode, "all", d.topic);
    for (const payload of ["online", "offline", "released"]) {
      assert.equal(render(d.config.availability[1].value_template as string, payload), payload === "online" ? "online" : "offline");
    }
  }

  // the entity set of a 4S pack with 3 NTC and MOS control on
  const names = objects(list, bmsNode);
  for (const o of ["voltage", "current", "power", "soc", "remaining", "nominal", "cycles", "cell_min", "cell_max", "cell_delta", "cell_avg",
    "rssi", "protection", "balancing", "charging", "charge_mos", "discharge_mos", "prot_cellOvervoltage", "prot_shortCircuit",
    "link_connects", "latency", "temp_1", "temp_3", "cell_1", "cell_4", ...releaseControls]) {
    assert.ok(names.includes(o), "has " + o);
  }
  for (const o of ["temp_4", "cell_5", "full_charge", "balance_current", "humidity", "alarm"]) assert.ok(!names.includes(o), "lacks " + o);
  assert.equal(names.filter((o) => o.startsWith("prot_")).length, 15);
  const soc = bmsEntities.find((d) => d.object === "soc")!.config;
  assert.deepEqual([soc.device_class, soc.unit_of_measurement, soc.state_class], ["battery", "%", "measurement"]);
  const cycles = bmsEntities.find((d) => d.object === "cycles")!.config;
  assert.equal(cycles.state_class, "total_increasing");
  const rssi = bmsEntities.find((d) => d.object === "rssi")!.config;
  assert.equal(rssi.entity_category, "diagnostic");

  // switches command the MOS topics
  const charge = bmsEntities.find((d) => d.object === "charge_mos")!;
  assert.equal(charge.component, "switch");
  assert.equal(charge.config.command_topic, h.topic(bms, "mos/charge/set"));
  assert.deepEqual([charge.config.payload_on, charge.config.payload_off], ["ON", "OFF"]);
  assert.equal(bmsEntities.find((d) => d.object === "discharge_mos")!.config.command_topic, h.topic(bms, "mos/discharge/set"));
  // buttons release the link and take it back
  const release = bmsEntities.find((d) => d.object === "release")!, resume = bmsEntities.find((d) => d.object === "resume")!;
  assert.deepEqual([release.component, release.config.command_topic, release.config.payload_press], ["button", h.topic(bms, "release/set"), "PRESS"]);
  assert.deepEqual([resume.component, resume.config.command_topic, resume.config.payload_press], ["button", h.topic(bms, "release/set"), "off"]);

  // every template reads keys that the payload on its topic really has
  const payloads = new Map<string, unknown>();
  for (const topic of [h.topic(bms, "state"), h.topic(bms, "diag"), h.topic(h.gateway, "diag")]) payloads.set(topic, h.consumer.lastJson(topic));
  payloads.set(h.topic(h.gateway, "availability"), "online");
  payloads.set(h.topic(bms, "availability"), h.consumer.last(h.topic(bms, "availability"))?.text);
  for (const d of list) {
    if (d.component === "button") continue; // no state
    const payload = payloads.get(d.config.state_topic);
    assert.ok(payload !== undefined, `${d.topic}: its state topic ${d.config.state_topic} was published`);
    const value = d.config.value_template ? render(d.config.value_template, payload, d.topic) : String(payload);
    // text sensors (*_text: no unit, no class) hold words, at most the 255 characters HA keeps of a state
    if (d.component === "sensor" && d.object.endsWith("_text")) {
      assert.ok(value.length > 0 && value.length <= 255 && d.config.unit_of_measurement === undefined && d.config.state_class === undefined, `${d.topic}: text, got ${value}`);
    } else if (d.component === "sensor") assert.ok(value === "None" || Number.isFinite(Number(value)), `${d.topic}: numeric, got ${value}`);
    else assert.ok([d.config.payload_on ?? "ON", d.config.payload_off ?? "OFF"].includes(value), `${d.topic}: on/off, got ${value}`);
    if (d.config.json_attributes_template) JSON.parse(render(d.config.json_attributes_template, payloads.get(d.config.json_attributes_topic), d.topic));
  }
  assert.equal(render(charge.config.value_template, payloads.get(h.topic(bms, "state"))), "ON");
  const gatewayStatus = gatewayEntities.find((d) => d.object === "status")!.config;
  assert.deepEqual([gatewayStatus.device_class, gatewayStatus.availability], ["connectivity", undefined], "the status entity shows offline, not unavailable");
});

test("discovery follows the pack: extended fields, a changed cell count, and entities the pack lacks removed", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("van", DP04S007);
  h.linkUp(bms);
  await h.quiet();
  let names = objects(accepted(h), "jbd_van");
  for (const o of ["full_charge", "balance_current", "humidity", "alarm", "temp_1"]) assert.ok(names.includes(o), "extended pack has " + o);
  assert.ok(!names.includes("temp_2"));

  bms.load(SP25S003); // another pack behind the same id: 16 cells, no NTC, no extended block
  h.bridge.onReading(bms);
  await h.quiet();
  names = objects(accepted(h), "jbd_van");
  assert.ok(names.includes("cell_16"));
  for (const o of ["cell_17", "temp_1", "full_charge", "alarm"]) assert.ok(!names.includes(o), "removed: " + o);

  // what a Home Assistant starting now would get from the broker
  const late = await Consumer.connect(broker.port, [h.haPrefix + "/#"]);
  await sleep(200);
  const retained = [...haView(h.haPrefix, late.messages)].filter(([, text]) => text).map(([topic]) => topic.split("/")[3]);
  assert.ok(retained.includes("cell_16") && !retained.includes("temp_1") && !retained.includes("alarm"));
  await late.close();
});

test("MOS control off: read-only FET sensors instead of switches; switching it on at run time swaps them", async (t) => {
  const h = await harness({ settings: { mosControl: false } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  let list = accepted(h).filter((d) => d.object.endsWith("_mos"));
  assert.deepEqual(list.map((d) => d.component), ["binary_sensor", "binary_sensor"]);

  h.bridge.setMosControl(true);
  await h.quiet();
  list = accepted(h).filter((d) => d.object.endsWith("_mos"));
  assert.deepEqual(list.map((d) => d.component), ["switch", "switch"]);
});

test("discovery can be turned off", async (t) => {
  const h = await harness({ settings: { discovery: false } });
  t.after(() => h.close());
  h.linkUp(h.add("house", SP04S034));
  await h.quiet();
  assert.equal(h.discovery().size, 0);
  assert.ok(h.consumer.messages.length > 0);
});

// ---------------- MOS commands ----------------

async function result(h: Harness, bms: FakeBms | string, send: () => Promise<unknown>): Promise<any> {
  const since = h.consumer.messages.length;
  await send();
  return JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "mos/result"), 3000, since)).text);
}

test("a MOS command reaches setMos and the BMS's answer is published", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  const r = await result(h, bms, () => h.command(h.topic(bms, "mos/charge/set"), "OFF"));
  assert.deepEqual(bms.mosCalls, [{ fet: "charge", on: false }]);
  assert.deepEqual(r, { fet: "charge", requested: "OFF", ok: true, command: "e1", mos: { charge: false, discharge: true } });

  bms.mosMode = "ignore";
  const refused = await result(h, bms, () => h.command(h.topic(bms, "mos/discharge/set"), "OFF"));
  assert.equal(refused.ok, false);
  assert.equal(refused.error, "state did not change");
  assert.deepEqual(refused.mos, { charge: false, discharge: true });
});

test("payloads: ON/OFF, 1/0, true/false in any case are accepted; anything else is refused and switches nothing", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  const topic = h.topic(bms, "mos/charge/set");
  for (const [payload, on] of [["ON", true], ["off", false], [" 1 ", true], ["0", false], ["TRUE", true], ["false", false]] as const) {
    const r = await result(h, bms, () => h.command(topic, payload));
    assert.equal(r.ok, true, payload);
    assert.equal(bms.mosCalls.at(-1)!.on, on, payload);
  }
  const calls = bms.mosCalls.length;
  for (const payload of ["maybe", "ONN", "x".repeat(100), Buffer.from([0xff, 0xfe]), "{\"state\":\"ON\"}"]) {
    const r = await result(h, bms, () => h.command(topic, payload));
    assert.equal(r.ok, false);
    assert.equal(r.fet, "charge");
    assert.match(r.error, /^invalid payload .*: send ON or OFF$/);
  }
  // an empty message is how MQTT deletes a retained one (the gateway sends them itself): not a command, no answer
  const answers = h.consumer.on(h.topic(bms, "mos/result")).length;
  await h.command(topic, "");
  await h.quiet();
  assert.equal(h.consumer.on(h.topic(bms, "mos/result")).length, answers);
  assert.equal(bms.mosCalls.length, calls, "nothing written");
  assert.equal(h.bridge.connection.stats.malformedCommands, 5);
});

test("unknown topics and unknown BMS get a clear error and never reach a BMS", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  const r = await result(h, bms, () => h.command(h.topic(bms, "mos/heater/set"), "ON"));
  assert.equal(r.ok, false);
  assert.match(r.error, /unknown topic .*mos\/charge\/set or mos\/discharge\/set/);

  const since = h.consumer.messages.length;
  await h.command(h.topic("garage", "mos/charge/set"), "ON");
  const error = JSON.parse((await h.consumer.waitForTopic(h.topic(h.gateway, "error"), 3000, since)).text);
  assert.deepEqual(error, { topic: h.topic("garage", "mos/charge/set"), ok: false, error: "unknown BMS 'garage' (this gateway has: house)" });
  assert.equal(h.consumer.on(h.topic("garage", "mos/result")).length, 0, "nothing on the topics of a BMS another gateway may own");
  assert.equal(bms.mosCalls.length, 0);
});

test("control disabled: commands are refused with the reason", async (t) => {
  const h = await harness({ settings: { mosControl: false } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  const r = await result(h, bms, () => h.command(h.topic(bms, "mos/charge/set"), "OFF"));
  assert.deepEqual(r, { fet: "charge", requested: "OFF", ok: false, error: "control disabled (mosControl is off)" });
  assert.equal(bms.mosCalls.length, 0);
});

test("both FETs off in one go: the second command reaches the link while the first runs (no busy), each answer is published", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  bms.mosMode = "hold";
  const since = h.consumer.messages.length;
  await h.command(h.topic(bms, "mos/charge/set"), "OFF");
  await h.command(h.topic(bms, "mos/discharge/set"), "OFF");
  await until(() => bms.mosCalls.length === 2);
  assert.deepEqual(bms.mosCalls, [{ fet: "charge", on: false }, { fet: "discharge", on: false }], "both handed to the link (which queues them)");
  await sleep(100);
  assert.equal(h.consumer.messages.slice(since).filter((m) => m.topic === h.topic(bms, "mos/result")).length, 0, "no busy refusal");
  bms.answerHeld();
  bms.answerHeld();
  await until(() => h.consumer.messages.slice(since).filter((m) => m.topic === h.topic(bms, "mos/result")).length === 2);
  const results = h.consumer.messages.slice(since).filter((m) => m.topic === h.topic(bms, "mos/result")).map((m) => JSON.parse(m.text));
  assert.deepEqual(results.map((r) => [r.fet, r.ok]), [["charge", true], ["discharge", true]]);
  assert.deepEqual(results[1].mos, { charge: false, discharge: false });
});

test("a link that throws from setMos: an error result, no exception escapes, the BMS is not left busy", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  bms.mosMode = "throw";
  const r = await result(h, bms, () => h.command(h.topic(bms, "mos/charge/set"), "OFF"));
  assert.deepEqual([r.ok, r.error], [false, "internal error: Error: link bug"]);
  bms.mosMode = "apply";
  assert.equal((await result(h, bms, () => h.command(h.topic(bms, "mos/charge/set"), "OFF"))).ok, true);
});

// ---------------- robustness ----------------

test("nothing thrown inside the bridge escapes its callbacks", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const broken = h.add("broken", SP04S034);
  Object.defineProperty(broken, "cells", { get() { throw new Error("view bug"); } });
  assert.doesNotThrow(() => h.linkUp(broken));
  await sleep(100);
  assert.ok(h.log.errors.some((e) => e.includes("view bug")), "logged");
  assert.ok(h.bridge.connection.online);
});

test("broker restart: the connection comes back by itself and republishes availability, discovery and state", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();

  await broker.stop();          // retained messages are lost with it
  await sleep(200);
  await broker.start();
  await until(() => h.bridge.connection.stats.connects === 2, 8000, "reconnected");

  const fresh = await Consumer.connect(broker.port, [h.prefix + "/#", h.haPrefix + "/#"]);
  t.after(() => fresh.close());
  await fresh.waitForTopic(h.topic(bms, "state"), 3000, 0);
  await sleep(300);
  const retained = new Map(fresh.messages.map((m) => [m.topic, m.text]));
  assert.equal(retained.get(h.topic(h.gateway, "availability")), "online");
  assert.equal(retained.get(h.topic(bms, "availability")), "online");
  assert.equal(JSON.parse(retained.get(h.topic(bms, "state"))!).voltage, 15.6);
  assert.ok(retained.get(h.topic(bms, "info")));
  const ha = haView(h.haPrefix, fresh.messages);
  assert.ok(ha.get(`${h.haPrefix}/sensor/jbd_house/voltage/config`), "discovery republished");
  assert.ok(ha.get(`${h.haPrefix}/switch/jbd_house/charge_mos/config`));
});

test("a full republish fits through an ESP32-sized send buffer: paced, retried, nothing lost", async (t) => {
  const h = await harness({ sendBuffer: 8192, ackMs: 200 });
  t.after(() => h.close());
  const packs = [h.add("a", SP25S003), h.add("b", SP25S003), h.add("c", SP04S034)];
  for (const bms of packs) h.linkUp(bms);
  await h.quiet(300, 10_000);
  const list = accepted(h);
  assert.equal(objects(list, "jbd_a").filter((o) => o.startsWith("cell_") && /^cell_\d+$/.test(o)).length, 16);
  assert.equal(objects(list, "jbd_c").filter((o) => /^cell_\d+$/.test(o)).length, 4);
  for (const bms of packs) assert.ok(h.consumer.last(h.topic(bms, "state")), "state of " + bms.id);
  assert.ok(!h.log.lines.some((l) => l.includes("skipped")), "no publish given up");
});

test("diagnostics: link statistics, RSSI, error counters and uptime per BMS; MQTT statistics for the gateway", async (t) => {
  const h = await harness({ settings: { diagIntervalMs: 200 } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  bms.stats.connects = 3;
  bms.stats.latency.add(80);
  bms.frameStats.badChecksum = 2;
  h.linkUp(bms);
  const since = h.consumer.messages.length;
  const diag = JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "diag"), 3000, since)).text);
  assert.equal(diag.rssi, -67);
  assert.equal(diag.connected, true);
  assert.equal(diag.link.connects, 3);
  assert.deepEqual(diag.link.latency, { count: 1, min: 80, median: 80, max: 80 });
  assert.equal(diag.frames.badChecksum, 2, "frames discarded by reason");
  assert.equal(diag.errorCounters.cellOvervoltage, 122);
  assert.ok(Number.isInteger(diag.uptime));
  const gatewayTopic = h.topic(h.gateway, "diag");
  const gateway = JSON.parse((await h.consumer.waitFor((m) => m.topic === gatewayTopic && JSON.parse(m.text).bms === 1)).text);
  assert.equal(gateway.mqtt.connects, 1);
  assert.ok(gateway.mqtt.publishes > 0);
});

test("console over MQTT: command lines go to the handler, answers come back on console/out", async (t) => {
  const h = await harness();
  t.after(() => h.close());
  h.bridge.setConsoleHandler((line, reply) => { reply("you said: " + line); reply("done"); });
  await sleep(100); // the subscription is sent on the live connection
  const out = h.topic(h.gateway, "console/out");
  const since = h.consumer.messages.length;
  await h.command(h.topic(h.gateway, "console"), "status\n");
  await h.consumer.waitFor((m) => m.topic === out && m.text === "done", 3000, since);
  assert.deepEqual(h.consumer.messages.slice(since).filter((m) => m.topic === out).map((m) => m.text), ["you said: status", "done"]);
  await h.command(h.topic(h.gateway, "console"), "x".repeat(300));
  await h.consumer.waitFor((m) => m.topic === out && m.text.startsWith("error:"));
});

test("expire_after on the entities of the state (sensor, binary_sensor), none elsewhere; a new poll interval re-announces it (issue 12 part 3)", async (t) => {
  assert.deepEqual([stateExpiry(5), stateExpiry(10), stateExpiry(60)], [60, 60, 210], "three missed polls and 30 s, at least a minute");
  const h = await harness({ settings: { stateExpireS: 60 } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const check = (seconds: number) => {
    const list = accepted(h).filter((d) => d.node === "jbd_house");
    assert.ok(list.length > 40);
    for (const d of list) {
      const fromState = d.config.state_topic === h.topic(bms, "state") && (d.component === "sensor" || d.component === "binary_sensor");
      assert.equal(d.config.expire_after, fromState ? seconds : undefined, d.topic);
    }
    assert.equal(list.find((d) => d.object === "voltage")!.config.expire_after, seconds);
    assert.equal(list.find((d) => d.object === "charge_mos")!.config.expire_after, undefined, "a switch has no expire_after");
    // categories: the link's release buttons are controls of the gateway's behaviour (config), readings have none
    assert.equal(list.find((d) => d.object === "release")!.config.entity_category, "config");
    assert.equal(list.find((d) => d.object === "voltage")!.config.entity_category, undefined);
  };
  check(60);
  h.bridge.setStateExpiry(210);
  await h.quiet();
  check(210);
});
