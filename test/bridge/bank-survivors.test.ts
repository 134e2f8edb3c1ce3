// A bank of packs, for what bank.test.ts leaves open and mutation testing would find: the setting's
// words, which packs count (a member online with a reading; a stranger never), when a reading is due,
// the lowest and highest cell of the bank named by pack and cell whichever pack holds them, a pack
// without cell voltages, a series bank's mean current, SOC without nominal capacities, and the
// bank device's units and classes as Home Assistant shows them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BANK_ENTITIES, Bank, bankTopology } from "../../modules/bridge/bank";
import { type FakeBms, SP04S034 } from "./fake-bms";
import { bankFigures, bankMember } from "./bank-helpers";

const pack = (id: string, online = true) => bankMember(id, SP04S034, online);
const figures = bankFigures;
function cells(bms: FakeBms, ...mv: number[]): void {
  bms.cells.count = mv.length;
  mv.forEach((v, i) => { bms.cells.millivolts[i] = v; });
  bms.cells.summarize();
}

test("the bank setting: parallel or series; anything else is off", () => {
  assert.equal(bankTopology("parallel"), "parallel");
  assert.equal(bankTopology("series"), "series");
  for (const off of ["", "off", "Parallel", "serial", " series"]) assert.equal(bankTopology(off), "", off);
});

test("a new bank is not due; a stranger's reading or availability changes nothing", () => {
  const a = pack("a"), b = pack("b"), stranger = pack("x");
  const bank = new Bank("parallel", [a, b]);
  assert.equal(bank.due, false, "nothing to publish before a reading");
  bank.reading(stranger);
  assert.equal(bank.due, false);
  bank.availability(stranger);
  assert.equal(bank.due, false);
  bank.reading(a);
  assert.equal(bank.due, true, "the online set changed since the last bank reading (none yet)");
  figures(bank);
  assert.equal(bank.due, false);
  bank.reading(a);
  assert.equal(bank.due, false, "b has not reported yet");
  bank.reading(b);
  assert.equal(bank.due, true);
});

test("with every pack offline, a reading makes no bank reading due", () => {
  const a = pack("a", false), b = pack("b", false);
  const bank = new Bank("parallel", [a, b]);
  figures(bank);
  bank.reading(a);
  assert.equal(bank.due, false);
  assert.equal(bank.online, false);
});

test("a pack online without a reading yet is not counted", () => {
  const a = pack("a"), b = pack("b");
  b.infoAt = -1;
  const bank = new Bank("parallel", [a, b]);
  const f = figures(bank);
  assert.equal(f.packsOnline, 1);
  assert.deepEqual(f.offline, ["b"]);
});

test("the bank's lowest and highest cell, named by pack and cell, in whichever pack they are; a pack without cells", () => {
  const a = pack("a"), b = pack("b");
  cells(a, 3300, 3350, 3310, 3320);
  cells(b, 3340, 3360, 3305, 3330);
  let f = figures(new Bank("parallel", [a, b]));
  assert.deepEqual([f.cellMin, f.cellMinPack, f.cellMinIndex, f.cellMax, f.cellMaxPack, f.cellMaxIndex, f.cellDelta], [3.3, "a", 1, 3.36, "b", 2, 0.06]);
  f = figures(new Bank("parallel", [b, a]));
  assert.deepEqual([f.cellMinPack, f.cellMinIndex, f.cellMaxPack, f.cellMaxIndex], ["a", 1, "b", 2], "the order of the packs does not matter");
  cells(b, 3290, 3400, 3305, 3330);
  f = figures(new Bank("series", [a, b]));
  assert.deepEqual([f.cellMin, f.cellMinPack, f.cellMinIndex, f.cellMax, f.cellMaxPack, f.cellMaxIndex], [3.29, "b", 1, 3.4, "b", 2]);
  // a pack without cell voltages: the other's cells only
  cells(a);
  f = figures(new Bank("parallel", [a, b]));
  assert.deepEqual([f.cellMinPack, f.cellMaxPack], ["b", "b"]);
  cells(b);
  f = figures(new Bank("parallel", [a, b]));
  assert.equal(f.cellMin, undefined, "no cells anywhere: no cell figures");
  assert.equal(f.cellDelta, undefined);
});

test("series: the string's current is the packs' mean; SOC without nominal capacities is the lowest pack's", () => {
  const a = pack("a"), b = pack("b");
  a.info.currentRaw = 1000 / a.info.unitScale;
  b.info.currentRaw = 1200 / b.info.unitScale;
  assert.equal(figures(new Bank("series", [a, b])).current, 11);
  assert.equal(figures(new Bank("parallel", [a, b])).current, 22);
  a.info.nominalRaw = 0;
  b.info.nominalRaw = 0;
  a.info.soc = 40;
  b.info.soc = 60;
  assert.equal(figures(new Bank("parallel", [a, b])).soc, 40);
});

test("the bank device: each entity's unit and class as Home Assistant shows them", () => {
  const expected: Record<string, [string | undefined, string | undefined, string | undefined]> = {
    voltage: ["V", "voltage", undefined], current: ["A", "current", undefined], power: ["W", "power", undefined],
    soc: ["%", "battery", undefined], soc_min: ["%", "battery", undefined],
    remaining_capacity: ["Ah", undefined, "mdi:battery-50"], nominal_capacity: ["Ah", undefined, "mdi:battery"],
    remaining_energy: ["kWh", "energy_storage", undefined], cell_min: ["V", "voltage", undefined], cell_max: ["V", "voltage", undefined],
    cell_delta: ["V", "voltage", undefined], packs_online: [undefined, undefined, "mdi:battery-sync"],
  };
  assert.deepEqual(BANK_ENTITIES.map((e) => e.object), Object.keys(expected));
  for (const e of BANK_ENTITIES) {
    assert.deepEqual([e.unit, e.deviceClass, e.icon], expected[e.object], e.object);
    assert.equal(e.stateClass, "measurement", e.object);
  }
  const attributes = Object.fromEntries(BANK_ENTITIES.filter((e) => e.attributes).map((e) => [e.object, e.attributes]));
  assert.deepEqual(attributes, {
    cell_min: "{{{'pack':value_json.cellMinPack,'cell':value_json.cellMinIndex}|tojson}}",
    cell_max: "{{{'pack':value_json.cellMaxPack,'cell':value_json.cellMaxIndex}|tojson}}",
    packs_online: "{{{'offline':value_json.offline}|tojson}}",
  });
});
