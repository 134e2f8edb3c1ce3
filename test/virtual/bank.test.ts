// The bank of packs on the whole firmware in XS (issue 12 part 7): three simulated packs in
// parallel, a real broker; each bank reading is made from the packs' latest readings (checked
// against the state payloads the firmware published before it), and a pack that vanishes is left
// out of the bank and named, never counted as zero, until it is back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { Broker } from "../lib/broker";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";

const broker = new Broker();
let scenario: Scenario;
/** Every state the firmware published, in order: the packs' and the bank's. */
const states: { topic: string; json: any }[] = [];

before(async () => {
  await broker.start();
  scenario = createScenario({
    clock: new VirtualClock(), transport: new XsTransport(), broker: { host: "127.0.0.1", port: broker.port }, bmsCount: 3, seed: 12,
    config: { bank: "parallel", gatewayName: "shed" },
  });
  scenario.device.mqtt.onPublish = (topic, payload) => { if (topic.endsWith("/state") && payload) states.push({ topic, json: JSON.parse(payload) }); };
  scenario.sims[1].setCurrent(-20);
  scenario.sims[2].setCurrent(8);
  await scenario.device.boot();
  await scenario.device.run(40_000);
});
after(async () => { await scenario.device.close(); await broker.stop(); });

/** The bank states, each with the packs' latest states published before it. */
function banks(): { bank: any; packs: any[] }[] {
  const latest = new Map<string, any>(), out: { bank: any; packs: any[] }[] = [];
  for (const s of states) {
    if (s.topic === "jbd/shed/bank/state") out.push({ bank: s.json, packs: scenario.ids.map((id) => latest.get(id)) });
    else latest.set(s.topic.split("/")[1], s.json);
  }
  return out;
}
const close = (a: number, b: number, tolerance: number, what: string) => assert.ok(Math.abs(a - b) <= tolerance, `${what}: ${a} vs ${b}`);

test("one bank reading per poll round, made from the packs' latest readings", () => {
  const list = banks().filter((b) => b.bank.packsOnline === 3);
  assert.ok(list.length >= 5, `bank readings: ${list.length}`);
  const packStates = states.filter((s) => !s.topic.includes("/bank/")).length;
  assert.ok(banks().length <= packStates / 3 + 3, "not one per pack reading");
  for (const { bank, packs } of list.slice(2)) {
    const sum = (key: string) => packs.reduce((n, p) => n + p[key], 0);
    close(bank.current, sum("current"), 0.015, "current");
    close(bank.power, sum("power"), 0.2, "power");
    close(bank.voltage, sum("voltage") / 3, 0.01, "voltage");
    close(bank.remainingCapacity, sum("remainingCapacity"), 0.015, "remaining");
    close(bank.nominalCapacity, 100 + 280 + 50, 0.015, "the packs' 100, 280 and 50 Ah");
    close(bank.soc, packs.reduce((n, p) => n + p.soc * p.nominalCapacity, 0) / 430, 0.05, "SOC weighted by capacity");
    assert.equal(bank.cellMin, Math.min(...packs.map((p) => p.cellMin)));
    assert.equal(bank.cellMax, Math.max(...packs.map((p) => p.cellMax)));
    assert.deepEqual(bank.offline, []);
  }
});

test("a pack that vanishes is left out and named; its return brings it back", async () => {
  const gone = scenario.device.ble.find(scenario.addresses[1])!;
  scenario.device.ble.vanish(gone);
  await scenario.device.run(40_000);
  const last = banks().at(-1)!;
  assert.deepEqual([last.bank.packsOnline, last.bank.offline], [2, [scenario.ids[1]]]);
  close(last.bank.nominalCapacity, 100 + 50, 0.015, "its 280 Ah are not counted");
  close(last.bank.current, last.packs[0].current + last.packs[2].current, 0.015, "nor its current");
  scenario.device.ble.appear(gone);
  await scenario.device.run(40_000);
  assert.deepEqual(banks().at(-1)!.bank.offline, []);
  assert.equal(scenario.device.fatalErrors, 0);
});
