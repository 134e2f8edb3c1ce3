// The whole firmware inside the real XS engine, against simulated BMS and a real broker (aedes
// in-process, then mosquitto from Debian), with a real MQTT client as Home Assistant.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { Broker, Consumer } from "../lib/broker";
import { Mosquitto } from "../lib/mosquitto";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";
import { parseDiscovery, assertAccepted, render, haView } from "../bridge/home-assistant";

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
      // (not the replay guard's marker: one lost to a broker restart is simply sent again)
      scenario.device.mqtt.onPublish = (topic, payload, retain) => { if (!topic.endsWith("/sync")) sent.set(topic, { payload, retain, from: ha.messages.length }); };
      const emit = scenario.device.emit.bind(scenario.device);
      scenario.device.emit = (kind: string, ...args: unknown[]) => { if (kind === "mqtt.message") received++; emit(kind, ...args); };
      await scenario.device.boot();
    });
    after(async () => {
      await ha.close();
      await late?.close();
      await scenario.device.close();
      await (broker.close ?? broker.stop).call(broker);
    });

    /** The firmware's latest publish per topic, and how many messages HA had received by then. */
    const sent = new Map<string, { payload: string; retain: boolean; from: number }>();
    /**
     * Until HA has received, after it was sent, the firmware's latest payload on every topic: virtual
     * time runs far ahead of the real broker, so a fixed real-time pause is not enough under load.
     */
    const delivered = async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = [...sent].filter(([topic, s]) => !ha.messages.slice(s.from).some((m) => m.topic === topic && m.text === s.payload));
        if (!missing.length) return;
        if (Date.now() > deadline) throw new Error(`the broker did not deliver: ${missing.map(([t]) => t).join(", ")}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const settle = async (ms: number) => { await scenario.device.run(ms); await delivered(); };
    /** Messages that reached the firmware's MQTT connection (queued for it as events). */
    let received = 0;
    /** HA publishes a command; returns once the firmware's connection has it (real time, bounded). */
    const command = async (topic: string, payload: string) => {
      const target = received + 1, deadline = Date.now() + 10_000;
      await ha.publish(topic, payload);
      while (received < target) {
        if (Date.now() > deadline) throw new Error(`${topic} never reached the gateway`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

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
      // everything the broker retains (an empty payload removes a retained message)
      for (const [topic, { payload }] of [...sent].filter(([, s]) => s.retain && s.payload)) {
        await late.waitFor((m) => m.topic === topic && m.text === payload, 5_000, 0);
      }
      for (const id of scenario.ids) {
        for (const topic of [`jbd/${id}/state`, `jbd/${id}/info`]) assert.equal(late.last(topic)?.retain, true, `${topic} retained`);
        // a pack's availability is not retained (it could outlive a dead gateway): a late consumer hears it with the next diag
        assert.equal(late.last(`jbd/${id}/availability`), undefined, `${id}: no retained availability`);
      }
      const since = late.messages.length;
      await settle(61_000);
      for (const id of scenario.ids) {
        const heard = await late.waitFor((m) => m.topic === `jbd/${id}/availability`, 5_000, since);
        assert.deepEqual([heard.text, heard.retain], ["online", false], `${id}: availability repeated live`);
      }
      assert.equal(late.last(`jbd/${gateway}/availability`)?.text, "online");
      assert.equal(scenario.device.fatalErrors, 0);
    });

    test("Home Assistant discovery: every config is one HA accepts, and its templates render", () => {
      for (const m of late.messages) if (m.topic.startsWith("homeassistant/")) assert.equal(m.retain, true, m.topic);
      assert.ok(late.messages.some((m) => m.topic.startsWith("homeassistant/device/")), "device-based discovery");
      const configs = [...haView("homeassistant", late.messages)].filter(([, text]) => text);
      assert.ok(configs.length > 40, `discovery configs: ${configs.length}`);
      for (const [topic, text] of configs) {
        const d = parseDiscovery("homeassistant", topic, text);
        assertAccepted(d);
        const payload = ha.messages.filter((x) => x.topic === d.config.state_topic).at(-1);
        // templates over `value` read the text itself (availability), the others its JSON
        const raw = d.config.value_template?.includes("value_json") === false;
        if (payload && d.config.value_template) render(d.config.value_template, raw ? payload.text : JSON.parse(payload.text), topic);
      }
      const switches = configs.filter(([topic]) => topic.startsWith("homeassistant/switch/"));
      assert.equal(switches.length, 4, "charge and discharge switches for each of the two BMS");
    });

    test("a MOS command round-trips: written, read back, reported", async () => {
      const sim = scenario.sims[0];
      const since = ha.messages.length;
      await command("jbd/house/mos/discharge/set", "OFF");
      await settle(3_000);
      const result = JSON.parse((await ha.waitForTopic("jbd/house/mos/result", 2000, since)).text);
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.equal(sim.pack.read().fet.discharge, false);
      await settle(6_000);
      assert.equal(ha.lastJson("jbd/house/state").mos.discharge, false);
      await command("jbd/house/mos/discharge/set", "ON");
      await settle(3_000);
      assert.equal(sim.pack.read().fet.discharge, true);
    });

    test("malformed commands and unknown BMS get an error and write nothing", async () => {
      const writes = () => scenario.sims.reduce((n, s) => n + (s.stats.requests[0xe1] ?? 0) + (s.stats.requests[0xfb] ?? 0), 0);
      const before = writes();
      const since = ha.messages.length;
      await command("jbd/house/mos/charge/set", "MAYBE");
      await command("jbd/house/mos/charge/set", ""); // how MQTT deletes a retained message: no command, no answer
      await command("jbd/nobody/mos/charge/set", "OFF");
      await command("jbd/house/mos/heater/set", "ON");
      await settle(2_000);
      const errors = ha.messages.slice(since).filter((m) => m.topic.endsWith("/mos/result") || m.topic.endsWith("/error"));
      assert.ok(errors.length >= 3, `an error for each: ${errors.map((m) => m.text).join(" | ")}`);
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
      const restartedAt = ha.messages.length; // nothing received before the restart counts
      await broker.start();
      await settle(70_000);
      const since = ha.messages.length;
      await settle(10_000);
      await ha.waitFor((m) => m.topic === "jbd/house/state", 2000, since);
      const after = ha.messages.slice(restartedAt);
      const online = (topic: string) => after.some((m) => m.topic === topic && m.text === "online");
      assert.ok(online(`jbd/${gateway}/availability`), "the gateway announced itself online again after the restart");
      for (const id of scenario.ids) assert.ok(online(`jbd/${id}/availability`), `${id}: availability republished`);
      assert.ok(after.some((m) => m.topic.startsWith("homeassistant/") && m.text), "discovery republished");
      assert.equal(ha.last(`jbd/${gateway}/availability`)!.text, "online");
      // the restarted broker kept no retained message (aedes in memory, mosquitto without persistence)
      const fresh = await Consumer.connect(broker.port, [`jbd/${gateway}/availability`]);
      try {
        const retained = await fresh.waitForTopic(`jbd/${gateway}/availability`, 3000, 0);
        assert.deepEqual([retained.text, retained.retain], ["online", true], "retained online, published after the restart");
      } finally { await fresh.close(); }
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
