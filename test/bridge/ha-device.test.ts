// Home Assistant device-based discovery (issue 12 parts 1 and 2): the largest pack's parts stay
// small enough for the ESP32; HA's birth message republishes everything, a retained one is left
// alone; a BMS that left the configuration is removed from HA and its topics cleared.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { JsonWriter } from "../../modules/protocol/json";
import { DeviceDiscovery } from "../../modules/bridge/discovery";
import { BMS_PARTS, bmsEntity, hasBmsEntity } from "../../modules/bridge/entities";
import { MAX_CELLS } from "../../modules/protocol/cells";
import { MAX_NTC } from "../../modules/protocol/basic-info";
import { Broker, Consumer } from "../lib/broker";
import { Harness } from "./harness";
import { SP04S034, SP25S003 } from "./fake-bms";
import { splitDevicePayload } from "./home-assistant";
import { sleep, until } from "./helpers";

const broker = new Broker();
before(() => broker.start());
after(() => broker.stop());

/** Our own budget per discovery message: half the ESP32's 8 KB lwIP send buffer. */
const PART_LIMIT = 4096;

test("every part of the largest pack (32 cells, 8 NTC, extended, MOS control) fits in 4 KB and lists each entity once", () => {
  const w = new JsonWriter();
  const d = new DeviceDiscovery("homeassistant", { node: "jbd_a4c1385a0001", name: "Battery with a long name", manufacturer: "JBD", model: "JBD-SP25S003-L16S-200A-B-U", softwareVersion: "8.0", via: "jbd_gateway_jbd-gw-a1b2c3" },
    {
      state: "jbd/a4c1385a0001/state", diag: "jbd/a4c1385a0001/diag", chargeSet: "jbd/a4c1385a0001/mos/charge/set", dischargeSet: "jbd/a4c1385a0001/mos/discharge/set",
      releaseSet: "jbd/a4c1385a0001/release/set", bmsAvailability: "jbd/a4c1385a0001/availability", settings: "jbd/a4c1385a0001/settings",
      gatewayDiag: "jbd/jbd-gw-a1b2c3/diag", gatewayAvailability: "jbd/jbd-gw-a1b2c3/availability",
      availability: ["jbd/jbd-gw-a1b2c3/availability", "jbd/a4c1385a0001/availability"],
    }, { name: "jbd-gateway", version: "0.1.0" });
  // settings 2: numbers and selects, the largest form of the settings parts
  const shape = { cells: MAX_CELLS, temperatures: MAX_NTC, extended: true, control: true, settings: 2 };
  const seen = new Set<string>();
  const sizes: string[] = [];
  for (const part of BMS_PARTS) {
    d.beginPart(w);
    let n = 0;
    for (let i = part.start; i < part.end; i++) if (hasBmsEntity(shape, i)) { d.component(w, bmsEntity(i, shape)); n++; }
    assert.ok(n > 0, part.name + " has entities");
    const payload = d.endPart(w), bytes = payload.byteLength;
    sizes.push(part.name + " " + bytes);
    assert.ok(bytes <= PART_LIMIT, `${part.name}: ${bytes} bytes`);
    for (const object of splitDevicePayload(d.topic(part.name), new TextDecoder().decode(payload)).keys()) {
      assert.ok(!seen.has(object), "once: " + object);
      seen.add(object);
    }
  }
  console.log("largest pack, bytes per part: " + sizes.join(", "));
});

test("HA's birth message republishes discovery, availability and state; 'offline' and a second birth within 10 s do not", async (t) => {
  const h = await Harness.start(broker);
  t.after(() => h.close());
  const bms = h.add("house", SP04S034);
  h.linkUp(bms);
  await h.quiet();
  let from = h.consumer.messages.length;
  await h.command(h.haPrefix + "/status", "offline");
  await h.quiet();
  assert.deepEqual(h.consumer.messages.slice(from).filter((m) => m.topic !== h.haPrefix + "/status"), [], "HA going away changes nothing");
  await h.command(h.haPrefix + "/status", "online");
  await h.quiet();
  const again = h.consumer.messages.slice(from).map((m) => m.topic);
  for (const topic of [h.topic(h.gateway, "availability"), h.topic(bms, "availability"), h.topic(bms, "state"), `${h.haPrefix}/device/jbd_house_f1/config`, `${h.haPrefix}/device/jbd_gateway_${h.gateway}_main/config`]) {
    assert.ok(again.includes(topic), "republished: " + topic);
  }
  assert.ok(h.log.lines.some((l) => l.includes("Home Assistant is online")));
  from = h.consumer.messages.length;
  await h.command(h.haPrefix + "/status", "online");
  await h.quiet();
  assert.ok(!h.consumer.messages.slice(from).some((m) => m.topic.includes("/device/")), "a second birth at once: nothing again");
});

test("a retained birth message is left at the broker and not counted as an ignored command", async (t) => {
  const n = Date.now() % 100000;
  const ha = await Consumer.connect(broker.port, ["nothing/here"]);
  await ha.publish(`ha-retained${n}/status`, "online", true);
  await sleep(100); // close() drops what is not written yet
  await ha.close();
  const h = await Harness.start(broker, { settings: { discoveryPrefix: `ha-retained${n}` } });
  t.after(() => h.close());
  await h.quiet();
  assert.equal(h.bridge.connection.stats.replaysIgnored, 0);
  const check = await Consumer.connect(broker.port, [`ha-retained${n}/status`]);
  t.after(() => check.close());
  await sleep(200);
  assert.equal(check.last(`ha-retained${n}/status`)?.text, "online", "still retained");
});

test("a BMS an earlier boot announced that is no longer configured: its parts emptied, its topics cleared, once", async (t) => {
  const first = await Harness.start(broker);
  const flash = first.flash;
  const prefix = first.prefix, haPrefix = first.haPrefix;
  first.linkUp(first.add("house", SP04S034));
  first.linkUp(first.add("garage", SP25S003));
  await first.quiet(500, 15_000);
  assert.equal(flash.get("announced"), "house,garage");
  await first.close();

  // the next boot, with garage gone from the configuration (same flash, same topics)
  const watch = await Consumer.connect(broker.port, [prefix + "/#", haPrefix + "/#"]);
  t.after(() => watch.close());
  await sleep(200);
  const from = watch.messages.length;
  const h = await Harness.start(broker, { flash, bms: [["house", SP04S034]], settings: { prefix, discoveryPrefix: haPrefix, gatewayId: first.gateway } });
  t.after(() => h.close());
  h.linkUp(h.bms[0]);
  await until(() => h.log.lines.some((l) => l.includes("removed garage")), 15_000, "garage removed");
  await sleep(500);
  const got = watch.messages.slice(from);
  const cleared = (topic: string) => got.some((m) => m.topic === topic && m.text === "");
  for (const part of BMS_PARTS) assert.ok(cleared(`${haPrefix}/device/jbd_garage_${part.name}/config`), "garage part " + part.name);
  for (const s of ["state", "info", "diag", "availability"]) assert.ok(cleared(`${prefix}/garage/${s}`), "garage " + s);
  assert.ok(!got.some((m) => m.topic.startsWith(`${haPrefix}/device/jbd_house_`) && m.text === "" && m.topic.endsWith("f1/config")), "house kept");
  assert.ok(h.log.lines.some((l) => l.includes("Home Assistant: removed garage (no longer configured)")));
  assert.equal(flash.get("announced"), "house");
  assert.ok(!got.some((m) => m.topic.includes("/sensor/jbd_garage/")), "already migrated: no per-entity traffic");
});
