// The bridge (modules/bridge/bridge.ts) against a real broker (aedes), for what its other tests
// leave open and mutation testing would find: retire() topic by topic, the publishing order after
// a connect, what a BMS without a reading or without a hardware string publishes, the gateway's
// device, discovery passes that must not repeat (same shape, same MOS setting) or must (model
// changed, one part of the shape changed), the diag timer and uptime, console payloads that are
// not command lines, and events for a BMS the bridge lacks. bridge.ts was not measured by Stryker
// when this was written; each test was checked to fail with a small bug put in by hand.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Broker, Consumer } from "../lib/broker";
import { Harness } from "./harness";
import { FakeBms, SP04S034, SP25S003 } from "./fake-bms";
import { BMS_ENTITY_SLOTS, BMS_PARTS, GATEWAY_ENTITIES, GATEWAY_PART, bmsEntity } from "../../modules/bridge/entities";
import { Bridge } from "../../modules/bridge/bridge";
import type { Clock } from "../../modules/bridge/ports";
import { sdkMqtt } from "./sdk-mqtt";
import { TestLog, nodeClock, nodeTimers, sleep, until } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

const since = (h: Harness, from: number) => h.consumer.messages.slice(from);

test("retire(): every topic of the plan cleared once, in order, nothing else, through a socket that refuses; then done, later", async (t) => {
  // a send buffer smaller than the pump's budget per turn: writes are refused and retried
  const h = await Harness.start(broker, { sendBuffer: 4000, ackMs: 200 });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet(1000, 20_000);
  const node = "jbd_gateway_" + h.gateway;
  const configs = h.discovery();
  for (const e of GATEWAY_ENTITIES) assert.ok(configs.get(`${h.haPrefix}/${e.component}/${node}/${e.object}/config`), "gateway entity " + e.object);
  const parts = new Set(h.consumer.messages.filter((m) => m.topic.startsWith(`${h.haPrefix}/device/jbd_house_`)).map((m) => m.topic));
  assert.equal(parts.size, BMS_PARTS.length, "one device config topic per part, no more");
  for (const s of ["availability", "state", "info", "diag"]) assert.ok(h.consumer.last(h.topic(bms, s)), s);
  assert.ok(h.consumer.last(h.topic(h.gateway, "diag")));
  assert.ok(h.bridge.connection.stats.publishFailures > 0, "some writes were refused");
  const from = h.consumer.messages.length;
  let done = 0;
  h.bridge.retire({ gateway: true, bms: true, gatewayDiscovery: true, bmsDiscovery: true }, () => { done++; });
  assert.equal(done, 0, "not from inside retire()");
  h.bridge.onReading(bms); // marked meanwhile: not published while retiring
  await until(() => done === 1, 10_000, "done");
  await h.quiet();
  const expected = [
    `${h.haPrefix}/device/${node}_${GATEWAY_PART}/config`,
    ...BMS_PARTS.map((p) => `${h.haPrefix}/device/jbd_house_${p.name}/config`),
    h.topic(bms, "state"), h.topic(bms, "info"), h.topic(bms, "diag"), h.topic(bms, "availability"),
    h.topic(h.gateway, "diag"), h.topic(h.gateway, "availability"),
  ];
  const got = since(h, from);
  assert.deepEqual(got.map((m) => m.topic), expected);
  assert.ok(got.every((m) => m.text === ""), "empty messages (retained: the broker deletes each)");
  assert.equal(done, 1);
});

test("retire() with part of a plan clears only that part; with the connection down, done comes at once", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const a = h.add("a", SP04S034), b = h.add("b", SP25S003);
  h.linkUp(a);
  h.linkUp(b);
  await h.quiet();
  let from = h.consumer.messages.length;
  let done = 0;
  h.bridge.retire({ gateway: false, bms: true, gatewayDiscovery: false, bmsDiscovery: false }, () => { done++; });
  await until(() => done === 1, 5000, "done");
  await h.quiet();
  assert.deepEqual(since(h, from).map((m) => m.topic),
    [a, b].flatMap((x) => [h.topic(x, "state"), h.topic(x, "info"), h.topic(x, "diag"), h.topic(x, "availability")]));

  from = h.consumer.messages.length;
  h.bridge.retire({ gateway: true, bms: false, gatewayDiscovery: false, bmsDiscovery: false }, () => { done++; });
  await until(() => done === 2, 5000, "done");
  await h.quiet();
  assert.deepEqual(since(h, from).map((m) => m.topic), [h.topic(h.gateway, "diag"), h.topic(h.gateway, "availability")]);

  h.bridge.pause();
  let down = 0;
  h.bridge.retire({ gateway: true, bms: true, gatewayDiscovery: true, bmsDiscovery: true }, () => { down++; });
  assert.equal(down, 0, "on a later turn");
  await sleep(20);
  assert.equal(down, 1, "offline: done at once, nothing cleared");
});

test("a connection lost while retiring (Wi-Fi gone) ends the retirement at once: done once, and the rest stays", async (t) => {
  const h = await Harness.start(broker, { sendBuffer: 600, ackMs: 300 });
  t.after(() => h.close());
  h.linkUp(h.add("house", SP04S034));
  await h.quiet(300, 10_000);
  let done = 0;
  h.bridge.retire({ gateway: true, bms: true, gatewayDiscovery: true, bmsDiscovery: true }, () => { done++; });
  await sleep(100);
  const cleared = h.consumer.messages.filter((m) => m.text === "").length;
  h.bridge.pause(); // no reconnect until resume(): the retirement must not wait for one
  await until(() => done === 1, 3000, "done after the drop");
  await sleep(300);
  assert.equal(done, 1);
  assert.ok(cleared < BMS_ENTITY_SLOTS, "it was cut short: " + cleared + " cleared");
});

test("an exception thrown by retire()'s done is caught and logged", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  h.bridge.retire({ gateway: true, bms: false, gatewayDiscovery: false, bmsDiscovery: false }, () => { throw new Error("owner bug"); });
  await until(() => h.log.errors.length > 0, 3000, "logged");
  assert.deepEqual(h.log.errors, ["bridge retired:Error: owner bug"]);
});

test("after a connect: gateway availability first, then BMS availability, state, info, the gateway's discovery, the BMS's, diag", async (t) => {
  // an ESP32-like socket smaller than one turn's budget: some of the republish is refused and retried
  const h = await Harness.start(broker, { sendBuffer: 4000, ackMs: 200 });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet(1000, 20_000);
  const from = h.consumer.messages.length, writtenFrom = h.world.written.length;
  const refusedBefore = h.bridge.connection.stats.publishFailures;
  h.world.instances[0].kill();
  await until(() => h.bridge.connection.stats.connects === 2, 5000, "reconnected");
  await h.quiet(1000, 20_000);
  assert.ok(h.bridge.connection.stats.publishFailures > refusedBefore, "some of the republish was refused");
  // the order the gateway wrote (aedes may deliver a retained message after a later one that is not)
  const kinds = h.world.written.slice(writtenFrom).map((m) => {
    if (m.topic === h.topic(h.gateway, "availability")) return m.text === "online" ? "gateway online" : "gateway offline";
    if (m.topic.startsWith(h.haPrefix + "/")) return m.topic.includes("/jbd_gateway_") ? "gateway discovery" : "bms discovery";
    return m.topic.slice(h.prefix.length + 1);
  });
  const firstOf = (k: string) => kinds.indexOf(k);
  const order = ["gateway online", "house/availability", "house/state", "house/info", "gateway discovery", "bms discovery"];
  for (let i = 1; i < order.length; i++) assert.ok(firstOf(order[i - 1]) >= 0 && firstOf(order[i - 1]) < firstOf(order[i]), `${order[i - 1]} before ${order[i]}: ${kinds.join(", ")}`);
  assert.ok(kinds.lastIndexOf("bms discovery") < firstOf(h.gateway + "/diag") && firstOf(h.gateway + "/diag") < firstOf("house/diag"), kinds.join(", "));
  const node = "jbd_gateway_" + h.gateway;
  assert.deepEqual(since(h, from).filter((m) => m.topic.includes("/" + node + "_")).map((m) => m.topic),
    [`${h.haPrefix}/device/${node}_${GATEWAY_PART}/config`], "the gateway's device once");
  assert.deepEqual(since(h, from).filter((m) => m.topic.includes("/jbd_house_")).map((m) => m.topic),
    BMS_PARTS.map((p) => `${h.haPrefix}/device/jbd_house_${p.name}/config`).filter((topic) => h.consumer.last(topic)?.text),
    "each part with entities once, in order, none skipped; the empty ones were removed at the first pass and are not sent again");
  for (const s of ["state", "info", "diag"]) assert.equal(since(h, from).filter((m) => m.topic === h.topic(bms, s)).length, 1, s);
  // not retained: at the connect, and again once discovery has made the entities that subscribe to it
  assert.deepEqual(since(h, from).filter((m) => m.topic === h.topic(bms, "availability")).map((m) => [m.text, m.retain]), [["online", false], ["online", false]]);
});

test("a BMS with no reading yet: offline and its diag only; no state, info or discovery until its first reading", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = new FakeBms("new", "New", undefined, nodeClock);
  h.bridge.addBms(bms);
  await h.quiet();
  const topics = new Set(h.consumer.messages.map((m) => m.topic));
  assert.equal(h.consumer.last(h.topic(bms, "availability"))?.text, "offline");
  assert.ok(topics.has(h.topic(bms, "diag")));
  for (const s of ["state", "info"]) assert.ok(!topics.has(h.topic(bms, s)), s);
  assert.ok(![...topics].some((x) => x.includes("/jbd_new")), "no discovery");
  bms.load(SP04S034);
  h.linkUp(bms);
  await h.quiet();
  assert.ok(h.consumer.last(h.topic(bms, "state")));
  assert.ok(h.discovery().get(`${h.haPrefix}/sensor/jbd_new/voltage/config`));
});

test("devices: the gateway's name, maker, model and version; a BMS without a hardware string is a 'Smart BMS'", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  h.linkUp(h.add("shed", SP25S003, "Shed"));
  await h.quiet();
  const gateway = JSON.parse(h.discovery().get(`${h.haPrefix}/sensor/jbd_gateway_${h.gateway}/uptime/config`)!);
  assert.deepEqual(gateway.dev, { ids: ["jbd_gateway_" + h.gateway], name: "JBD gateway " + h.gateway, mf: "jbd-gateway", mdl: "ESP32 BLE-MQTT gateway", sw: "0.1.0" });
  assert.deepEqual(gateway.o, { name: "jbd-gateway", sw: "0.1.0" });
  const voltage = JSON.parse(h.discovery().get(`${h.haPrefix}/sensor/jbd_shed/voltage/config`)!);
  assert.deepEqual(voltage.dev, { ids: ["jbd_shed"], name: "Shed", mf: "JBD", mdl: "Smart BMS", sw: "2.0", via_device: "jbd_gateway_" + h.gateway });
  assert.deepEqual(voltage.o, { name: "jbd-gateway", sw: "0.1.0" });
  assert.equal(h.world.instances[0].options.id, h.gateway, "client id: the gateway id when none is set");
  assert.equal(h.world.instances[0].options.will?.topic, h.topic(h.gateway, "availability"));
});

test("a reading of the same shape publishes the state only; onInfo the info and, the model having changed, discovery again", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  let from = h.consumer.messages.length;
  h.bridge.onReading(bms);
  await h.quiet();
  assert.deepEqual(since(h, from).map((m) => m.topic), [h.topic(bms, "state")]);

  from = h.consumer.messages.length;
  bms.hardware.bytes.set(new TextEncoder().encode("NEW-MODEL"));
  bms.hardware.length = 9;
  h.bridge.onInfo(bms);
  await h.quiet();
  const got = since(h, from);
  assert.equal(got[0].topic, h.topic(bms, "info"));
  const configs = got.filter((m) => m.topic.startsWith(h.haPrefix + "/"));
  assert.equal(configs.length, BMS_PARTS.filter((p) => h.consumer.last(`${h.haPrefix}/device/jbd_house_${p.name}/config`)?.text).length,
    "a new discovery pass: every part with entities again");
  assert.ok([...h.discovery().values()].every((text) => text !== ""), "same shape: no entity removed");
  assert.equal(JSON.parse(configs[0].text).dev.mdl, "NEW-MODEL");
});

test("setMosControl: the same value again changes nothing; another value swaps the FET entities and removes the old ones", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  let from = h.consumer.messages.length;
  h.bridge.setMosControl(true);
  await h.quiet();
  assert.deepEqual(since(h, from), [], "already on");
  from = h.consumer.messages.length;
  h.bridge.setMosControl(false);
  await h.quiet();
  const got = h.discovery();
  assert.ok(since(h, from).length > 0);
  assert.equal(got.get(`${h.haPrefix}/switch/jbd_house/charge_mos/config`), "", "the switch removed");
  assert.ok(got.get(`${h.haPrefix}/binary_sensor/jbd_house/charge_mos/config`), "the read-only state announced");
  const from2 = h.consumer.messages.length;
  await h.command(h.topic(bms, "mos/charge/set"), "OFF");
  const r = JSON.parse((await h.consumer.waitForTopic(h.topic(bms, "mos/result"), 3000, from2)).text);
  assert.equal(r.error, "control disabled (mosControl is off)");
});

test("discovery off: no pass at connect, on a new pack or on a MOS setting change", async (t) => {
  const h = await Harness.start(broker, { settings: { discovery: false } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  h.bridge.setMosControl(false);
  bms.load(SP25S003);
  h.bridge.onReading(bms);
  h.bridge.onInfo(bms);
  await h.quiet();
  assert.equal(h.discovery().size, 0);
  assert.equal(JSON.parse(h.consumer.last(h.topic(bms, "state"))!.text).cells.length, 16);
});

test("events for a BMS the bridge was never given are ignored", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  await h.quiet();
  const stranger = new FakeBms("stranger", "S", undefined, nodeClock).load(SP04S034);
  const from = h.consumer.messages.length;
  h.bridge.onAvailability(stranger, true);
  h.bridge.onInfo(stranger);
  h.bridge.onReading(stranger);
  await h.quiet();
  assert.deepEqual(since(h, from), []);
  assert.deepEqual(h.log.errors, []);
});

test("diag every interval for the gateway and every BMS; none after stop()", async (t) => {
  const h = await Harness.start(broker, { settings: { diagIntervalMs: 150, discovery: false } });
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  const count = (topic: string) => h.consumer.on(topic).length;
  await until(() => count(h.topic(h.gateway, "diag")) >= 3 && count(h.topic(bms, "diag")) >= 3, 3000, "three diag each (one per 150 ms)");
  h.bridge.stop();
  const stopped = h.consumer.messages.length;
  await sleep(400);
  assert.equal(h.consumer.messages.slice(stopped).filter((m) => m.topic.endsWith("/diag")).length, 0);
});

test("uptime without an uptime port: whole seconds of the clock since the bridge was made, summed across calls", async (t) => {
  let ms = 1_000;
  const clock: Clock = { ticks: () => ms, since: (ticks) => ms - ticks, epochMs: () => Date.now() };
  const h = await Harness.start(broker, { clock, settings: { diagIntervalMs: 100 } });
  t.after(() => h.close());
  const topic = h.topic(h.gateway, "diag");
  ms = 3_999;
  await h.consumer.waitFor((m) => m.topic === topic && JSON.parse(m.text).uptime === 2, 3000, 0);
  ms = 7_500;
  await h.consumer.waitFor((m) => m.topic === topic && JSON.parse(m.text).uptime === 6, 3000, 0);
});

test("console payloads that are no command line: counted, a too long one also logged; the sender gets the reason", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const lines: string[] = [];
  h.bridge.setConsoleHandler((line, reply) => { lines.push(line); reply("ok"); });
  await sleep(100);
  const out = h.topic(h.gateway, "console/out"), console = h.topic(h.gateway, "console");
  let from = h.consumer.messages.length;
  await h.command(console, "x".repeat(257));
  assert.equal((await h.consumer.waitForTopic(out, 3000, from)).text, "error: a command line is text of at most 256 bytes");
  const stats = h.bridge.connection.stats;
  assert.deepEqual([stats.malformedCommands, stats.oversizedPayloads], [1, 1]);
  assert.ok(h.log.lines.includes("warn MQTT: 257-byte console payload discarded (a command line is at most 256 bytes)"), h.log.lines.join("\n"));

  from = h.consumer.messages.length;
  await h.command(console, Buffer.from([0x73, 0xff]));
  assert.equal((await h.consumer.waitForTopic(out, 3000, from)).text, "error: a command line is text of at most 256 bytes");
  assert.deepEqual([stats.malformedCommands, stats.oversizedPayloads], [2, 1], "not UTF-8: malformed, not oversized");

  from = h.consumer.messages.length;
  await h.command(console, "y".repeat(256));
  await h.consumer.waitForTopic(out, 3000, from);
  await h.command(console, "  status  \r\n");
  await until(() => lines.length === 2, 3000, "two lines");
  assert.deepEqual(lines, ["y".repeat(256), "status"], "exactly 256 bytes is a line; white space around it trimmed");
  assert.deepEqual(h.log.errors, []);
});

test("no console handler: console lines are not subscribed to or answered", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  await sleep(100);
  const from = h.consumer.messages.length;
  await h.command(h.topic(h.gateway, "console"), "status");
  await sleep(300);
  assert.deepEqual(since(h, from).filter((m) => m.topic.endsWith("/console/out")), []);
});

test("a client id given in the broker settings is used; the restart reason goes into the gateway's diag", async (t) => {
  const world = sdkMqtt();
  const consumer = await Consumer.connect(broker.port, ["jbdx9/#"]);
  const bridge = new Bridge(
    { prefix: "jbdx9", gatewayId: "g", discovery: false, discoveryPrefix: "hax9", mosControl: true, restartReason: "watchdog" },
    { host: "127.0.0.1", port: broker.port, tls: false, user: "", password: "", clientId: "custom-id" },
    { MQTT: world.MQTT, timers: nodeTimers, clock: nodeClock, log: new TestLog(), random: () => 0, uptimeSeconds: () => 4242 },
  );
  t.after(() => { bridge.stop(); return consumer.close(); });
  bridge.start();
  await until(() => bridge.connection.online, 3000, "online");
  assert.equal(world.instances[0].options.id, "custom-id");
  const diag = JSON.parse((await consumer.waitForTopic("jbdx9/g/diag", 3000, 0)).text);
  assert.equal(diag.restartReason, "watchdog");
  assert.equal(diag.uptime, 4242, "the uptime port when given");
});

test("a BMS given with a reading (as after a reconnect of the service): online as its view says, state, info and discovery at once", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = new FakeBms("kept", "Kept", undefined, nodeClock).load(SP04S034);
  bms.online = true;
  h.bridge.addBms(bms);
  await h.quiet();
  assert.equal(h.consumer.last(h.topic(bms, "availability"))?.text, "online");
  assert.ok(h.consumer.last(h.topic(bms, "state")));
  assert.equal(JSON.parse(h.consumer.last(h.topic(bms, "info"))!.text).cellCount, 4);
  assert.ok(h.discovery().get(`${h.haPrefix}/sensor/jbd_kept/cell_4/config`));
});

test("a BMS with no reading stays without state and discovery across a reconnect, onInfo and a MOS setting change", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = new FakeBms("new", "New", undefined, nodeClock);
  h.bridge.addBms(bms);
  await h.quiet();
  h.bridge.onInfo(bms);
  h.bridge.setMosControl(false);
  await h.quiet();
  const from = h.consumer.messages.length;
  h.world.instances[0].kill();
  await until(() => h.bridge.connection.stats.connects === 2, 5000, "reconnected");
  await h.quiet();
  assert.ok(since(h, from).some((m) => m.topic === h.topic(bms, "availability") && m.text === "offline"), "availability again");
  const topics = new Set(h.consumer.messages.map((m) => m.topic));
  assert.ok(!topics.has(h.topic(bms, "state")), "no state");
  assert.ok(![...topics].some((x) => x.includes("/jbd_new")), "no discovery");
});

test("a change of one part of the shape alone (NTC count, extended block, cell count) re-announces and removes what went", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  const config = (kind: string, object: string) => h.discovery().get(`${h.haPrefix}/${kind}/jbd_house/${object}/config`);
  assert.ok(config("sensor", "temp_3"));

  bms.info.temperatureCount = 2;
  h.bridge.onReading(bms);
  await h.quiet();
  assert.equal(config("sensor", "temp_3"), "", "temp_3 removed");
  assert.ok(config("sensor", "temp_2"));

  bms.info.hasExtended = true;
  h.bridge.onReading(bms);
  await h.quiet();
  assert.ok(config("sensor", "humidity"), "the extended block announced");
  bms.info.hasExtended = false;
  h.bridge.onReading(bms);
  await h.quiet();
  assert.equal(config("sensor", "humidity"), "", "and removed");

  bms.cells.count = 3;
  h.bridge.onReading(bms);
  await h.quiet();
  assert.equal(config("sensor", "cell_4"), "", "cell_4 removed");
  assert.ok(config("sensor", "cell_3"));
});

test("the first discovery pass hands the per-entity configs of earlier versions over (migrate_discovery) and then clears them", async (t) => {
  const h = await Harness.start(broker, { settings: { mosControl: false } });
  t.after(() => h.close());
  const stale = `${h.haPrefix}/sensor/jbd_house/cell_9/config`;
  await h.consumer.publish(stale, "{\"name\":\"Cell 9\"}", true);
  await h.consumer.waitForTopic(stale, 3000, 0);
  const from = h.consumer.messages.length;
  h.linkUp(h.add("house", SP04S034));
  await h.quiet();
  assert.equal(h.consumer.last(stale)?.text, "");
  const voltage = `${h.haPrefix}/sensor/jbd_house/voltage/config`;
  const order = since(h, from).map((m) => (m.topic === voltage ? "old:" + (m.text ? "migrate" : "clear") : m.topic === `${h.haPrefix}/device/jbd_house_f1/config` ? "part f1" : ""))
    .filter((x) => x);
  assert.deepEqual(order, ["old:migrate", "part f1", "old:clear"], "HA's order: hand over, announce, then clear");
  assert.equal(since(h, from).find((m) => m.topic === voltage)?.text, "{\"migrate_discovery\":true}");
  // a second pass (same store: the next boot) does not migrate again
  const again = h.consumer.messages.length;
  h.bridge.setMosControl(true);
  await h.quiet();
  assert.ok(!since(h, again).some((m) => m.topic === voltage), "migrated once");
});

test("stop() during a retirement: done is never called, and nothing is logged", async (t) => {
  const h = await Harness.start(broker, { sendBuffer: 1500, ackMs: 200, settings: { discovery: false } });
  t.after(() => h.close());
  h.linkUp(h.add("house", SP04S034));
  await h.quiet(250);
  let done = 0;
  h.bridge.retire({ gateway: false, bms: false, gatewayDiscovery: false, bmsDiscovery: true }, () => { done++; });
  h.bridge.stop(); // before the turn that would report it done
  await sleep(300);
  assert.equal(done, 0);
  assert.deepEqual(h.log.errors, []);
});

test("stop() publishes offline on the gateway's availability; stop(false) does not", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const availability = h.topic(h.gateway, "availability");
  await h.consumer.waitFor((m) => m.topic === availability && m.text === "online", 3000, 0);
  h.bridge.stop();
  await h.consumer.waitFor((m) => m.topic === availability && m.text === "offline", 3000, 0);

  const q = await Harness.start(broker);
  t.after(() => q.close());
  const qa = q.topic(q.gateway, "availability");
  await q.consumer.waitFor((m) => m.topic === qa && m.text === "online", 3000, 0);
  const from = q.consumer.messages.length;
  q.bridge.stop(false);
  await sleep(300);
  assert.deepEqual(q.consumer.messages.slice(from).filter((m) => m.topic === qa), [], "stop(false): nothing (no will either: a clean DISCONNECT)");
});

test("an exception inside onReading is caught and logged with where it happened", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  Object.defineProperty(bms, "cells", { get() { throw new Error("view bug"); } });
  assert.doesNotThrow(() => h.bridge.onReading(bms));
  assert.deepEqual(h.log.errors, ["bridge onReading:Error: view bug"]);
});

test("a 256-byte console payload that is not UTF-8 is malformed, not oversized", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  h.bridge.setConsoleHandler((_line, reply) => reply("ok"));
  await sleep(100);
  const from = h.consumer.messages.length;
  await h.command(h.topic(h.gateway, "console"), Buffer.concat([Buffer.from("a".repeat(255)), Buffer.from([0xff])]));
  await h.consumer.waitForTopic(h.topic(h.gateway, "console/out"), 3000, from);
  const stats = h.bridge.connection.stats;
  assert.deepEqual([stats.malformedCommands, stats.oversizedPayloads], [1, 0]);
  assert.ok(!h.log.lines.some((l) => l.includes("console payload discarded")));
});

test("the gateway's entities are available with the gateway's availability alone", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  await h.quiet();
  const node = "jbd_gateway_" + h.gateway;
  const uptime = JSON.parse(h.discovery().get(`${h.haPrefix}/sensor/${node}/uptime/config`)!);
  assert.deepEqual(uptime.avty, [{ t: h.topic(h.gateway, "availability") }]);
  assert.equal(uptime.avty_mode, undefined);
  assert.equal(uptime.stat_t, h.topic(h.gateway, "diag"));
  const status = JSON.parse(h.discovery().get(`${h.haPrefix}/binary_sensor/${node}/status/config`)!);
  assert.equal(status.stat_t, h.topic(h.gateway, "availability"));
});
