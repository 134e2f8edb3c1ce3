// A bank of packs (issue 12 part 7): the figures of a parallel and a series bank from real captured
// readings, an offline pack left out and named (never counted as zero), one bank reading per poll
// round; and over a real broker (aedes) the bank device Home Assistant accepts, its templates
// rendered against the bank's own payload, and a bank switched off leaving nothing behind.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Bank } from "../../modules/bridge/bank";
import { Broker, Consumer } from "../lib/broker";
import { MqttService, type MqttSetup } from "../../modules/bridge/mqtt-service";
import { sdkMqtt } from "./sdk-mqtt";
import { Harness } from "./harness";
import { DP04S007, SP04S034, SP25S003 } from "./fake-bms";
import { bankFigures, bankMember } from "./bank-helpers";
import { assertAccepted, haView, parseDiscovery, render } from "./home-assistant";
import { TestLog, nodeClock, nodeTimers, sleep, until } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

const pack = bankMember;
const figures = bankFigures;
const near = (actual: number, expected: number, digits: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 0.5 * 10 ** -digits + 1e-9, `${what}: ${actual} vs ${expected}`);

test("parallel: one bus: mean voltage, currents, powers and capacities summed, SOC weighted by capacity", () => {
  const a = pack("house", SP04S034), b = pack("shed", DP04S007);
  b.info.currentRaw = -1234; // -12.34 A: the other pack idles
  const f = figures(new Bank("parallel", [a, b]));
  assert.equal(f.topology, "parallel");
  assert.deepEqual([f.packs, f.packsOnline, f.offline], [2, 2, []]);
  near(f.voltage, (a.info.volts + b.info.volts) / 2, 2, "voltage");
  near(f.current, a.info.amps + b.info.amps, 2, "current");
  near(f.current, -12.34, 2, "current as captured plus the change");
  near(f.power, a.info.watts + b.info.watts, 1, "power");
  near(f.remainingCapacity, a.info.remainingAh + b.info.remainingAh, 2, "remaining");
  near(f.nominalCapacity, 5 + 200, 2, "nominal: the captures' 5 Ah and 200 Ah");
  near(f.soc, (a.info.soc * 5 + b.info.soc * 200) / 205, 1, "SOC weighted by nominal capacity");
  assert.equal(f.socMin, Math.min(a.info.soc, b.info.soc));
  near(f.remainingEnergy, (a.info.remainingAh * a.info.volts + b.info.remainingAh * b.info.volts) / 1000, 3, "remaining energy");
  // lowest and highest cell across packs, with the pack and cell that hold it (both captures have the same cells)
  assert.deepEqual([f.cellMin, f.cellMinPack, f.cellMinIndex, f.cellMax, f.cellMaxPack, f.cellMaxIndex], [3.895, "house", 3, 3.909, "house", 1]);
  near(f.cellDelta, 0.014, 3, "delta");
});

test("series: one string: voltages summed, mean current, the emptiest pack's Ah", () => {
  const a = pack("top", SP04S034), b = pack("bottom", DP04S007);
  const f = figures(new Bank("series", [a, b]));
  near(f.voltage, a.info.volts + b.info.volts, 2, "voltage");
  near(f.current, (a.info.amps + b.info.amps) / 2, 2, "current");
  near(f.remainingCapacity, Math.min(a.info.remainingAh, b.info.remainingAh), 2, "remaining");
  near(f.nominalCapacity, 5, 2, "the string holds what its smallest pack holds");
  assert.equal(f.socMin, Math.min(a.info.soc, b.info.soc));
});

test("an offline pack is left out of every figure and named; with none online there are no figures", () => {
  const a = pack("house", SP04S034), b = pack("shed", DP04S007, false), c = pack("van", SP25S003);
  let f = figures(new Bank("parallel", [a, b, c]));
  assert.deepEqual([f.packs, f.packsOnline, f.offline], [3, 2, ["shed"]]);
  near(f.nominalCapacity, a.info.nominalAh + c.info.nominalAh, 2, "the offline pack's 200 Ah are not counted");
  near(f.voltage, (a.info.volts + c.info.volts) / 2, 2, "nor its voltage");
  near(f.soc, (a.info.soc * a.info.nominalAh + c.info.soc * c.info.nominalAh) / (a.info.nominalAh + c.info.nominalAh), 1, "nor its SOC");
  a.online = c.online = false;
  const bank = new Bank("parallel", [a, b, c]);
  assert.equal(bank.online, false);
  f = figures(bank);
  assert.deepEqual(f, { topology: "parallel", packs: 3, packsOnline: 0, offline: ["house", "shed", "van"] }, "no zeros where nothing is known");
});

test("one bank reading per poll round: due once every online pack has reported, and when one goes or comes", () => {
  const a = pack("house", SP04S034), b = pack("shed", DP04S007), c = pack("van", SP25S003);
  const bank = new Bank("parallel", [a, b, c]);
  bank.reading(a); bank.reading(b);
  assert.equal(bank.due, true, "the first: every member counts as changed");
  figures(bank);
  bank.reading(a); bank.reading(b);
  assert.equal(bank.due, false, "van has not reported this round");
  bank.reading(c);
  assert.equal(bank.due, true);
  figures(bank);
  bank.reading(a);
  c.online = false;
  bank.availability(c);
  assert.equal(bank.due, true, "van went offline: the figures change");
  figures(bank);
  bank.reading(a);
  assert.equal(bank.due, false, "shed is still to report");
  bank.reading(b);
  assert.equal(bank.due, true, "every online pack has reported");
  bank.reading(pack("stranger", SP04S034));
  assert.equal(bank.due, true, "a view that is not a member changes nothing");
});

test("over MQTT: the bank device HA accepts, its templates render against the bank's state, one reading per round", async (t) => {
  const h = await Harness.start(broker, { settings: { bank: "parallel" }, bms: [["house", SP04S034], ["shed", DP04S007]] });
  t.after(() => h.close());
  const [house, shed] = h.bms;
  h.linkUp(house);
  h.linkUp(shed);
  await h.quiet();
  const state = h.topic(h.gateway, "bank/state"), avail = h.topic(h.gateway, "bank/availability");
  const bank = h.consumer.lastJson(state);
  assert.equal(bank.packsOnline, 2);
  assert.ok(h.world.written.some((m) => m.topic === state && m.retain), "retained (as the gateway wrote it: a broker forwards live messages with the flag clear)");
  assert.equal(h.consumer.last(avail)!.text, "online");
  const configs = [...haView(h.haPrefix, h.consumer.messages)].filter(([topic, text]) => text && topic.includes("/jbd_bank_"));
  assert.equal(configs.length, 12);
  for (const [topic, text] of configs) {
    const d = parseDiscovery(h.haPrefix, topic, text);
    assertAccepted(d);
    assert.equal(d.config.state_topic, state);
    assert.deepEqual(d.config.availability.map((a: any) => a.topic), [h.topic(h.gateway, "availability"), avail]);
    assert.equal(d.config.device.via_device, "jbd_gateway_" + h.gateway);
    const value = render(d.config.value_template, bank, topic);
    assert.ok(Number.isFinite(Number(value)), `${topic}: ${value}`);
    if (d.config.json_attributes_template) JSON.parse(render(d.config.json_attributes_template, bank, topic));
  }
  // a poll round: one bank reading once both packs have reported, not one per pack
  const since = h.consumer.messages.length;
  h.bridge.onReading(house);
  await h.quiet();
  assert.equal(h.consumer.messages.slice(since).filter((m) => m.topic === state).length, 0, "shed has not reported");
  h.bridge.onReading(shed);
  await h.quiet();
  assert.equal(h.consumer.messages.slice(since).filter((m) => m.topic === state).length, 1);
  // shed goes offline: left out and named at once
  shed.online = false;
  h.bridge.onAvailability(shed, false);
  await h.quiet();
  const now = h.consumer.lastJson(state);
  assert.deepEqual([now.packsOnline, now.offline], [1, ["shed"]]);
  near(now.nominalCapacity, house.info.nominalAh, 2, "only house");
});

test("with one BMS there is no bank, and a warning says why", async (t) => {
  const h = await Harness.start(broker, { settings: { bank: "series" }, bms: [["house", SP04S034]] });
  t.after(() => h.close());
  h.linkUp(h.bms[0]);
  await h.quiet();
  assert.ok(h.log.lines.some((l) => l.includes("bank: a series bank needs two or more BMS (this gateway has 1): no bank device")));
  assert.equal(h.world.written.filter((m) => m.topic.includes("/bank/") || m.topic.includes("jbd_bank_")).length, 0, "nothing of a bank published");
});

test("a bank switched off leaves nothing behind: its reading and device are cleared; other setting changes clear nothing of it", async (t) => {
  const world = sdkMqtt();
  const log = new TestLog();
  const id = "gwbank";
  let current: MqttSetup = {
    bridge: { prefix: "bk", gatewayId: id, discovery: true, discoveryPrefix: "ha-bk", mosControl: true, bank: "parallel" },
    broker: { host: "127.0.0.1", port: broker.port, tls: false, user: "", password: "" },
  };
  const service = new MqttService(() => current, { MQTT: world.MQTT, timers: nodeTimers, clock: nodeClock, log, random: () => 0 });
  const consumer = await Consumer.connect(broker.port, ["bk/#", "ha-bk/#"]);
  t.after(async () => { service.stop(); await consumer.close(); });
  for (const [name, frames] of [["house", SP04S034], ["shed", DP04S007]] as const) service.addBms(pack(name, frames));
  service.start();
  const state = `bk/${id}/bank/state`, part = `ha-bk/device/jbd_bank_${id}_main/config`;
  await consumer.waitFor((m) => m.topic === state && m.text !== "", 5000, 0);
  await consumer.waitFor((m) => m.topic === part && m.text !== "", 5000, 0);
  // a change that moves nothing of the bank: nothing of it cleared
  let since = consumer.messages.length;
  current = { ...current, broker: { ...current.broker, user: "someone" } };
  service.settingsChanged();
  await until(() => world.instances.length === 2 && service.connection.online, 5000, "reconnected");
  await sleep(300);
  assert.deepEqual(consumer.messages.slice(since).filter((m) => m.text === "" && (m.topic === state || m.topic === part)), []);
  // the bank switched off: the old connection clears its reading and its device before the new one connects
  since = consumer.messages.length;
  current = { ...current, bridge: { ...current.bridge, bank: "" } };
  service.settingsChanged();
  await until(() => world.instances.length === 3 && service.connection.online, 5000, "reconnected");
  await consumer.waitFor((m) => m.topic === state && m.text === "", 3000, since);
  await consumer.waitFor((m) => m.topic === part && m.text === "", 3000, since);
  await sleep(300);
  assert.equal(consumer.messages.slice(since).filter((m) => m.topic === state && m.text !== "").length, 0, "no bank reading after");
});
