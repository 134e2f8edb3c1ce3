// The JSON shared by the MQTT bridge and the decode CLI: the writer's syntax and number format, and
// the keys each reading produces.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BasicInfo, decodeBasicInfo } from "../../modules/protocol/basic-info";
import { CellVoltages, decodeCells } from "../../modules/protocol/cells";
import { ErrorCounters, decodeErrorCounters } from "../../modules/protocol/error-counters";
import { HardwareVersion, decodeHardware } from "../../modules/protocol/hardware";
import {
  JsonWriter, encodeBasicInfo, encodeCells, encodeErrorCounters, encodeHardware, writeBasicInfo,
} from "../../modules/protocol/json";
import { RESPONSES, bytes } from "./vectors";

describe("JsonWriter", () => {
  test("places commas, nests objects and arrays", () => {
    const w = new JsonWriter().beginObject().key("a").number(1).key("b").beginArray().number(2).beginObject()
      .key("c").bool(true).endObject().beginArray().endArray().null().endArray().key("d").string("x").endObject();
    assert.equal(w.text, '{"a":1,"b":[2,{"c":true},[],null],"d":"x"}');
    assert.equal(w.clear().beginArray().endArray().text, "[]");
  });

  test("fixed decimals from rounded integers, no float noise, no negative zero", () => {
    const out = (v: number, d: number) => new JsonWriter().fixed(v, d).text;
    assert.equal(out(15.6, 2), "15.60");
    assert.equal(out(0.1 + 0.2, 2), "0.30");
    assert.equal(out(-20.12, 2), "-20.12");
    assert.equal(out(-0.004, 2), "0.00");
    assert.equal(out(-0.005, 2), "-0.01");
    assert.equal(out(3.9015, 4), "3.9015");
    assert.equal(out(1916.7, 2), "1916.70");
    assert.equal(out(42, 0), "42");
    assert.equal(out(NaN, 1), "null");
    assert.equal(new JsonWriter().number(Infinity).text, "null");
  });

  test("escapes string values (keys are the caller's identifier constants, written as they are)", () => {
    const text = new JsonWriter().beginObject().key("k_1").string('a"b\\c\u0001é').endObject().text;
    assert.deepEqual(JSON.parse(text), { k_1: 'a"b\\c\u0001é' });
  });

  test("raw inserts ready-made JSON as a value", () => {
    assert.equal(new JsonWriter().beginArray().raw('{"x":1}').number(2).endArray().text, '[{"x":1},2]');
  });
});

describe("readings", () => {
  const frameOf = (prefix: string) => bytes(RESPONSES.find((v) => v.hex.startsWith(prefix))!.hex);

  test("basic info: every key, in order, and the bridge can add its own", () => {
    const info = new BasicInfo();
    assert.ok(decodeBasicInfo(frameOf("dd03001d0533"), info));
    const w = new JsonWriter().beginObject().key("timestamp").number(5);
    writeBasicInfo(w, info);
    const json = JSON.parse(w.endObject().text);
    assert.deepEqual(Object.keys(json), ["timestamp", "voltage", "current", "power", "soc", "remainingCapacity",
      "nominalCapacity", "cycles", "productionDate", "softwareVersion", "cellCount", "temperatures", "mos", "fetRaw",
      "balancing", "protection", "protectionRaw"]);
    assert.deepEqual(json.mos, { charge: false, discharge: true });
    assert.equal(json.protection.mosSoftwareLock, true);
    assert.equal(Object.values(json.protection).filter(Boolean).length, 1);
    assert.equal(json.productionDate, "2022-03-28");
  });

  test("basic info with the extended block adds its keys", () => {
    const info = new BasicInfo();
    assert.ok(decodeBasicInfo(frameOf("dd030022"), info));
    const json = JSON.parse(encodeBasicInfo(info));
    assert.deepEqual(Object.keys(json).slice(-6), ["humidity", "alarm", "alarmRaw", "fullChargeCapacity",
      "extendedRemainingCapacity", "balanceCurrent"]);
    assert.equal(Object.keys(json.alarm).length, 12);
    assert.equal(json.fullChargeCapacity, 200);
    assert.equal(json.extendedRemainingCapacity, 191.67);
  });

  test("discharge current and power are negative", () => {
    const info = new BasicInfo();
    assert.ok(decodeBasicInfo(frameOf("dd03001f19df"), info));
    const text = encodeBasicInfo(info);
    assert.match(text, /"voltage":66\.23,"current":-20\.12,"power":-1332\.55,/);
  });

  test("cells with statistics; ties go to the first cell", () => {
    const cells = new CellVoltages();
    assert.ok(decodeCells(frameOf("dd0400200e10"), cells));
    assert.equal(encodeCells(cells), '{"cells":[3.600,3.600,3.600,3.600,3.600,3.600,3.600,3.600,3.600,3.600,3.600,' +
      '3.600,3.600,3.600,3.600,0.000],"cellMin":0.000,"cellMax":3.600,"cellDelta":3.600,"cellAverage":3.3750,' +
      '"cellMinIndex":16,"cellMaxIndex":1}');
    assert.equal(encodeCells(new CellVoltages()), '{"cells":[]}');
  });

  test("hardware version and named error counters", () => {
    const hw = new HardwareVersion();
    assert.ok(decodeHardware(frameOf("dd050019"), hw));
    assert.equal(encodeHardware(hw), '{"hardwareVersion":"JBD-SP04S034-L4S-200A-B-U"}');
    const counters = new ErrorCounters();
    assert.ok(decodeErrorCounters(bytes("ddaa001c000100020003000400050006000700080009000a000b000c000d000eff7b77"), counters));
    const json = JSON.parse(encodeErrorCounters(counters));
    assert.equal(json.shortCircuit, 1);
    assert.equal(json.packUndervoltage, 11);
    assert.equal(json.restarts, 12);
    assert.deepEqual([json.counter13, json.counter14], [13, 14]);
  });
});

test("a reused writer's kept parts (flags, identity, MOS, balancing) follow every change of what they are made of", () => {
  const info = new BasicInfo();
  const reused = new JsonWriter();
  const fresh = (i: BasicInfo) => { const w = new JsonWriter().beginObject(); writeBasicInfo(w, i); return w.endObject().text; };
  const kept = (i: BasicInfo) => { reused.beginObject(); writeBasicInfo(reused, i); return reused.endObject().text; };
  info.cellCount = 4;
  const changes: ((i: BasicInfo) => void)[] = [
    () => {}, (i) => { i.protectionBits = 0x5; }, (i) => { i.protectionBits = 0; }, (i) => { i.fetBits = 1; },
    (i) => { i.balanceBits = 0x80000009; }, (i) => { i.productionDateRaw = 0x2c7c; }, (i) => { i.softwareVersionRaw = 0x80; },
    (i) => { i.hasExtended = true; i.alarmBits = 0x10; }, (i) => { i.alarmBits = 0; }, (i) => { i.protectionBits = 0x5; },
    ...Array.from({ length: 6 }, (_, n) => (i: BasicInfo) => { i.protectionBits = n; }), // more values than are kept
    (i) => { i.balanceBits = 0; i.fetBits = 3; },
  ];
  for (const change of changes) {
    change(info);
    assert.equal(kept(info), fresh(info));
  }
  const last = JSON.parse(kept(info));
  assert.equal(last.protectionRaw, 5);
  assert.deepEqual(last.balancing, []);
  assert.deepEqual(last.mos, { charge: true, discharge: true });
});
