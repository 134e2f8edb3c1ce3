// The whole firmware inside the real XS engine, against simulated BMS and a real broker (aedes
// in-process, then mosquitto from Debian), with a real MQTT client as Home Assistant.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { Broker, Consumer } from "../lib/broker";
import { Mosquitto } from "../lib/mosquitto";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";
import { parseDiscovery, assertAccepted, render } from "../bridge/home-assistant";

interface BrokerUnderTest { port: number; start(): Promise<void>; stop(): Promise<void>; close?(): Promise<void> }

const brokers: [string, () => BrokerUnderTest][] = [["aedes", () => new Broker()], ["mosquitto", () => new Mosquitto()]];

for (const [brokerName, makeBroker] of brokers) {
  describe(`gateway on XS with ${brokerName}`, () => {
    const clock = new VirtualClock();
    const broker = makeBroker();
    let scenario: Scenario;
    let ha: Consumer;
    /** Subscribes after the gateway published: sees what the broker retained, as a restarted HA would. */
    let late: Consumer;
    const gateway = "jbd-gw-a1b2c3";

    before(async () => {
      await broker.start();
      ha = await Consumer.connect(broker.port, ["jbd/#", "homeassistant/#"]);
      scenario = createScenario({ clock, transport: new XsTransport(), broker: { host: "127.0.0.1", port: broker.port }, bmsCount: 2, seed: 3 });
      await scenario.device.boot();
    });
    after(async () => {
      await ha.close();
      await late?.close();
      await scenario.device.close();
      await (broker.close ?? broker.stop).call(broker);
    });

    const settle = async (ms: number) => { await scenario.device.run(ms); await new Promise((r) => setTimeout(r, 50)); };

    test("readings of every BMS arrive as JSON with the documented keys", async () => {
      await settle(20_000);
      for (const id of scenario.ids) {
        const state = ha.lastJson(`jbd/${id}/state`);
        for (const key of ["voltage", "current", "power", "soc", "remainingCapacity", "nominalCapacity", "cycles", "temperatures", "mos", "balancing", "protection", "protectionRaw", "cells", "cellMin", "cellMax", "cellDelta", "cellAverage", "age"]) {
          assert.ok(key in state, `${id}: state has ${key}`);
        }
        assert.equal(ha.last(`jbd/${id}/availability`)!.text, "online");
        const stamp = Date.parse(state.timestamp);
        assert.ok(Math.abs(stamp - Date.now()) < 10 * 60_000, `timestamp from the NTP-set clock: ${state.timestamp}`);
        assert.ok(Math.abs(state.cells.reduce((a: number, b: number) => a + b, 0) - state.voltage) < 0.05, "cells sum to the pack voltage");
      }
      assert.equal(ha.last(`jbd/${gateway}/availability`)!.text, "online");
      late = await Consumer.connect(broker.port, ["jbd/#", "homeassistant/#"]);
      await new Promise((r) => setTimeout(r, 300));
      for (const id of scenario.ids) {
        for (const topic of [`jbd/${id}/state`, `jbd/${id}/availability`, `jbd/${id}/info`]) assert.equal(late.last(topic)?.retain, true, `${topic} retained`);
      }
      assert.equal(late.last(`jbd/${gateway}/availability`)?.text, "online");
      assert.equal(scenario.device.fatalErrors, 0);
    });

    test("Home Assistant discovery: every config is one HA accepts, and its templates render", () => {
      const configs = late.messages.filter((m) => m.topic.startsWith("homeassistant/") && m.text);
      assert.ok(configs.length > 40, `discovery configs: ${configs.length}`);
      const latest = new Map(configs.map((m) => [m.topic, m]));
      for (const m of latest.values()) {
        assert.equal(m.retain, true, m.topic);
        const d = parseDiscovery("homeassistant", m.topic, m.text);
        assertAccepted(d);
        const payload = ha.messages.filter((x) => x.topic === d.config.state_topic).at(-1);
        if (payload && d.config.value_template) render(d.config.value_template, JSON.parse(payload.text), m.topic);
      }
      const switches = [...latest.values()].filter((m) => m.topic.startsWith("homeassistant/switch/"));
      assert.equal(switches.length, 4, "charge and discharge switches for each of the two BMS");
    });

    test("a MOS command round-trips: written, read back, reported", async () => {
      const sim = scenario.sims[0];
      const since = ha.messages.length;
      await ha.publish("jbd/house/mos/discharge/set", "OFF");
      await new Promise((r) => setTimeout(r, 50));
      await settle(3_000);
      const result = JSON.parse((await ha.waitForTopic("jbd/house/mos/result", 2000, since)).text);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(sim.pack.read().fet.discharge, false);
      await settle(6_000);
      assert.equal(ha.lastJson("jbd/house/state").mos.discharge, false);
      await ha.publish("jbd/house/mos/discharge/set", "ON");
      await new Promise((r) => setTimeout(r, 50));
      await settle(3_000);
      assert.equal(sim.pack.read().fet.discharge, true);
    });

    test("malformed commands and unknown BMS get an error and write nothing", async () => {
      const writes = () => scenario.sims.reduce((n, s) => n + (s.stats.requests[0xe1] ?? 0) + (s.stats.requests[0xfb] ?? 0), 0);
      const before = writes();
      const since = ha.messages.length;
      await ha.publish("jbd/house/mos/charge/set", "MAYBE");
      await ha.publish("jbd/house/mos/charge/set", "");
      await ha.publish("jbd/nobody/mos/charge/set", "OFF");
      await ha.publish("jbd/house/mos/heater/set", "ON");
      await new Promise((r) => setTimeout(r, 50));
      await settle(2_000);
      await new Promise((r) => setTimeout(r, 100));
      const errors = ha.messages.slice(since).filter((m) => m.topic.endsWith("/mos/result") || m.topic.endsWith("/error"));
      assert.ok(errors.length >= 4, `an error for each: ${errors.map((m) => m.text).join(" | ")}`);
      for (const m of errors) assert.ok(JSON.parse(m.text).ok === false || "error" in JSON.parse(m.text), m.text);
      assert.equal(writes(), before, "no MOS write reached any BMS");
    });

    test("availability follows the link: offline while the BMS is gone, online when it returns", async () => {
      const p = scenario.device.ble.find(scenario.addresses[1])!;
      scenario.device.ble.vanish(p);
      await settle(30_000);
      assert.equal(ha.last("jbd/garage/availability")!.text, "offline");
      assert.equal(ha.last("jbd/house/availability")!.text, "online", "the other BMS is unaffected");
      scenario.device.ble.appear(p);
      await settle(90_000);
      assert.equal(ha.last("jbd/garage/availability")!.text, "online");
    });

    test("broker restart: the gateway reconnects by itself and republishes", async () => {
      await broker.stop();
      await settle(20_000);
      await broker.start();
      await settle(70_000);
      await new Promise((r) => setTimeout(r, 200));
      const since = ha.messages.length;
      await settle(10_000);
      await ha.waitFor((m) => m.topic === "jbd/house/state", 2000, since);
      assert.equal(ha.last(`jbd/${gateway}/availability`)!.text, "online");
    });

    test("Wi-Fi loss: MQTT pauses, BLE keeps polling, everything resumes", async () => {
      scenario.device.wifiOutage(60_000);
      await settle(30_000);
      const pollsDuring = scenario.sims[0].stats.requests[0x03];
      await settle(10_000);
      assert.ok(scenario.sims[0].stats.requests[0x03] > pollsDuring, "BLE polls go on without Wi-Fi");
      await settle(120_000);
      const since = ha.messages.length;
      await settle(10_000);
      await ha.waitFor((m) => m.topic === "jbd/house/state", 2000, since);
      assert.equal(scenario.device.fatalErrors, 0);
    });
  });
}
