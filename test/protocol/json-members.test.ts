// The state's members are written with a few joinText calls and the *Text number functions (cheap in
// XS); here they are checked against the same JSON written member by member through the writer's
// general methods (key, scaled, fixed, number, bool, string), for random readings of every shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ALARM_NAMES, BasicInfo, PROTECTION_NAMES } from "../../modules/protocol/basic-info";
import { CellVoltages } from "../../modules/protocol/cells";
import { JsonWriter, ReadingTexts, writeBasicInfo, writeCells, writeErrorCounters } from "../../modules/protocol/json";
import { ERROR_COUNTER_NAMES, ErrorCounters, MAX_ERROR_COUNTERS } from "../../modules/protocol/error-counters";
import { decimalArrayText, decimalText, fixedText, hundredthsText, tenthsText, thousandthsText } from "../../modules/protocol/json-writer";
import { ALARM_LABELS, balancingText, flagText, protectionText, writeProblemTexts } from "../../modules/protocol/problem-text";

function flags(w: JsonWriter, key: string, names: readonly string[], bits: number): void {
  w.key(key).beginObject();
  for (let bit = 0; bit < names.length; bit++) w.key(names[bit]).bool(((bits >> bit) & 1) === 1);
  w.endObject().key(key + "Raw").number(bits);
}

/** The reading member by member, nothing kept between readings. */
function reference(info: BasicInfo, cells: CellVoltages): string {
  const w = new JsonWriter().beginObject();
  const scale = info.unitScale;
  w.key("voltage").fixed(info.voltage10mV / 100, 2).key("current").fixed(info.currentRaw * scale / 100, 2);
  w.key("power").fixed(info.watts, 2).key("soc").number(info.soc);
  w.key("remainingCapacity").fixed(info.remainingRaw * scale / 100, 2).key("nominalCapacity").fixed(info.nominalRaw * scale / 100, 2);
  w.key("cycles").number(info.cycles);
  w.key("productionDate").string(`${info.productionYear}-${String(info.productionMonth).padStart(2, "0")}-${String(info.productionDay).padStart(2, "0")}`);
  w.key("softwareVersion").string(`${info.softwareMajor}.${info.softwareMinor}`);
  w.key("cellCount").number(info.cellCount).key("temperatures").beginArray();
  for (let i = 0; i < info.temperatureCount; i++) w.fixed(info.temperatures[i] / 10, 1);
  w.endArray();
  w.key("mos").beginObject().key("charge").bool(info.chargeOn).key("discharge").bool(info.dischargeOn).endObject().key("fetRaw").number(info.fetBits);
  w.key("balancing").beginArray();
  for (let bits = info.balanceBits >>> 0, cell = 1; bits !== 0; bits >>>= 1, cell++) if (bits & 1) w.number(cell);
  w.endArray();
  flags(w, "protection", PROTECTION_NAMES, info.protectionBits);
  if (info.hasExtended) {
    w.key("humidity").number(info.humidity);
    flags(w, "alarm", ALARM_NAMES, info.alarmBits);
    w.key("fullChargeCapacity").fixed(info.fullChargeRaw * scale / 100, 2);
    w.key("extendedRemainingCapacity").fixed(info.extendedRemainingRaw * scale / 100, 2);
    w.key("balanceCurrent").fixed(info.balanceCurrentMa / 1000, 3);
  }
  w.key("cells").beginArray();
  for (let i = 0; i < cells.count; i++) w.fixed(cells.millivolts[i] / 1000, 3);
  w.endArray();
  if (cells.count > 0) {
    // the reference finds them itself (the writer takes what decodeCells / summarize() kept)
    let min = 0, max = 0, total = 0;
    for (let i = 0; i < cells.count; i++) {
      total += cells.millivolts[i];
      if (cells.millivolts[i] < cells.millivolts[min]) min = i;
      if (cells.millivolts[i] > cells.millivolts[max]) max = i;
    }
    const minMv = cells.millivolts[min], maxMv = cells.millivolts[max];
    w.key("cellMin").fixed(minMv / 1000, 3).key("cellMax").fixed(maxMv / 1000, 3).key("cellDelta").fixed((maxMv - minMv) / 1000, 3);
    w.key("cellAverage").fixed(Math.round(total * 10 / cells.count) / 10000, 4);
    w.key("cellMinIndex").number(min + 1).key("cellMaxIndex").number(max + 1);
  }
  w.key("protectionText").string(protectionText(info.protectionBits & 0xffff, cells));
  if (info.hasExtended) w.key("alarmText").string(flagText(info.alarmBits & 0xffff, ALARM_LABELS));
  w.key("balancingText").string(balancingText(info.balanceBits));
  return w.endObject().text;
}

let seed = 12345;
const random = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; };
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(values: T[]): T => values[int(0, values.length - 1)];

function randomReading(): { info: BasicInfo; cells: CellVoltages } {
  const info = new BasicInfo(), cells = new CellVoltages();
  const u16 = () => pick([0, 1, 9, 10, 99, 100, 101, 999, 1000, 1001, 65535, int(0, 65535)]);
  info.voltage10mV = u16();
  info.currentRaw = pick([0, -1, 1, -9, -10, -100, -32768, 32767, int(-32768, 32767)]);
  info.remainingRaw = u16(); info.nominalRaw = u16(); info.cycles = u16(); info.productionDateRaw = u16();
  info.balanceBits = pick([0, 1, 0x80000000, 0xffffffff, int(0, 0xffffffff)]) | 0;
  info.protectionBits = pick([0, 0, 1, 2, 0x1000, 0xffff, int(0, 0xffff)]);
  info.softwareVersionRaw = int(0, 255); info.soc = int(0, 255); info.fetBits = int(0, 255);
  info.cellCount = int(0, 32); info.temperatureCount = int(0, 8);
  for (let i = 0; i < 8; i++) info.temperatures[i] = pick([0, -1, -9, -10, -11, -2731, 250, 2731, int(-32768, 32767)]);
  info.hasExtended = random() < 0.5; info.humidity = int(0, 255);
  info.alarmBits = pick([0, 0, 1, 0xffff, int(0, 0xffff)]);
  info.fullChargeRaw = u16(); info.extendedRemainingRaw = u16();
  info.balanceCurrentMa = pick([0, 5, 50, 500, 5000, -5, int(-32768, 32767)]);
  cells.count = pick([0, 1, 4, 16, 32, int(0, 32)]);
  for (let i = 0; i < 32; i++) cells.millivolts[i] = pick([0, 5, 50, 3300, 3301, 65535, int(0, 65535)]);
  cells.summarize();
  return { info, cells };
}

test("the state's members are the JSON written member by member, for 3,000 random readings (one writer: its kept fragments reused)", () => {
  const w = new JsonWriter();
  for (let n = 0; n < 3000; n++) {
    const { info, cells } = randomReading();
    w.clear().beginObject();
    writeBasicInfo(w, info);
    writeCells(w, cells);
    writeProblemTexts(w, info, cells);
    const text = w.endObject().text;
    assert.equal(text, reference(info, cells), `reading ${n}`);
    JSON.parse(text);
  }
});

test("each pack's kept texts (ReadingTexts): 3 packs, 3,000 readings whose rarely changing parts change now and then, each as the reference writes it", () => {
  const w = new JsonWriter();
  const packs = [0, 1, 2].map(() => ({ texts: new ReadingTexts(), ...randomReading() }));
  // the parts the texts are kept for, copied from another random reading (or left as they are)
  const rare = (info: BasicInfo, from: BasicInfo) => {
    if (random() < 0.1) { info.productionDateRaw = from.productionDateRaw; info.softwareVersionRaw = from.softwareVersionRaw; }
    if (random() < 0.1) info.fetBits = from.fetBits;
    if (random() < 0.1) info.balanceBits = from.balanceBits;
    if (random() < 0.1) info.protectionBits = from.protectionBits;
    if (random() < 0.1) info.alarmBits = from.alarmBits;
    if (random() < 0.05) info.hasExtended = from.hasExtended;
  };
  for (let n = 0; n < 3000; n++) {
    const pack = packs[int(0, 2)];
    const next = randomReading();
    // what changes every reading: the measurements; the rest now and then (or from another pack's)
    const { info } = pack;
    info.voltage10mV = next.info.voltage10mV; info.currentRaw = next.info.currentRaw; info.remainingRaw = next.info.remainingRaw;
    info.temperatures.set(next.info.temperatures);
    rare(info, random() < 0.3 ? packs[int(0, 2)].info : next.info);
    pack.cells = next.cells;
    w.clear().beginObject();
    writeBasicInfo(w, info, pack.texts);
    writeCells(w, pack.cells);
    writeProblemTexts(w, info, pack.cells);
    assert.equal(w.endObject().text, reference(info, pack.cells), `reading ${n}`);
  }
});

test("tenths, hundredths and thousandths as fixed() prints them: signs, leading zeros, int32 edges and beyond", () => {
  const values = [0, -0, 1, -1, 5, -5, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 1560, -1560, 65535, -32768,
    2147483647, -2147483647, -2147483648, 2147483648, -2147483649, 3e9, -3e9, 1.5, -2.5, 12.25,
    // halves where the engine's toFixed (binary value) and fixedText (rounding the scaled value) differ
    22189.5, 12753.5, 8999.5, -8999.5];
  for (let i = 0; i < 2000; i++) values.push(int(-2147483648, 2147483647));
  for (const value of values) {
    assert.equal(tenthsText(value), fixedText(value / 10, 1), `tenths ${value}`);
    assert.equal(hundredthsText(value), fixedText(value / 100, 2), `hundredths ${value}`);
    assert.equal(thousandthsText(value), fixedText(value / 1000, 3), `thousandths ${value}`);
    assert.equal(decimalText(value, 2), hundredthsText(value));
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 31) {
      assert.equal(hundredthsText(value), (value / 100).toFixed(2).replace(/^-(0\.00)$/, "$1"), `toFixed ${value}`);
    }
  }
  assert.equal(hundredthsText(-5), "-0.05");
  assert.equal(thousandthsText(3007), "3.007");
  assert.equal(tenthsText(-2731), "-273.1");
});

test("decimalArrayText: each element as decimalText prints it, for every integer array type and its edges, every count to 32", () => {
  const arrays = [new Int16Array([0, -5, 1560, 3007, -2731, 32767, -32768]), new Uint16Array([0, 5, 65535, 3007, 100]),
    new Int32Array([0, -5, 2147483647, -2147483648, 1560]), Uint16Array.from({ length: 32 }, (_, i) => 3000 + 37 * i)];
  for (const values of arrays) {
    for (const decimals of [1, 2, 3] as const) {
      // every count: pieces of eight, of four, and single elements, each alone and together
      for (let count = 0; count <= values.length; count++) {
        const expected = "[" + [...values.subarray(0, count)].map((v) => decimalText(v, decimals)).join(",") + "]";
        assert.equal(decimalArrayText(values, count, decimals), expected, `${values.constructor.name}, ${count} elements, ${decimals} places`);
      }
    }
  }
  assert.equal(decimalArrayText(new Int16Array([-2731, 250]), 2, 1), "[-273.1,25.0]");
  assert.equal(decimalArrayText(new Uint16Array(0), 0, 3), "[]");
});

test("error counters: the first 11 in one text, then the rest, as key() and number() write them, for every count", () => {
  for (let count = 0; count <= MAX_ERROR_COUNTERS; count++) {
    const counters = new ErrorCounters();
    counters.count = count;
    for (let i = 0; i < MAX_ERROR_COUNTERS; i++) counters.values[i] = int(0, 65535);
    const expected = new JsonWriter().beginObject();
    for (let i = 0; i < count; i++) expected.key(i < ERROR_COUNTER_NAMES.length ? ERROR_COUNTER_NAMES[i] : "counter" + (i + 1)).number(counters.values[i]);
    const written = new JsonWriter().beginObject();
    writeErrorCounters(written, counters);
    assert.equal(written.endObject().text, expected.endObject().text, `${count} counters`);
  }
});

test("fixedText beyond 2^52 (the engine's toFixed would no longer be exact): digits, fraction, leading zeros, sign", () => {
  assert.equal(fixedText(2 ** 52, 0), "4503599627370496");
  assert.equal(fixedText(2 ** 52, 1), "4503599627370496.0");
  assert.equal(fixedText(-(2 ** 52), 3), "-4503599627370496.000");
  assert.equal(fixedText(2 ** 49 + 0.5, 1), "562949953421312.5");
  assert.equal(fixedText(2 ** 46 + 0.25, 2), "70368744177664.25");
  assert.equal(fixedText(-(2 ** 46) - 0.0625, 2), "-70368744177664.06", "a leading zero in the fraction");
  assert.equal(fixedText(NaN, 2), "null");
  assert.equal(fixedText(-Infinity, 2), "null");
  assert.equal(fixedText(-0.001, 2), "0.00", "no sign when it rounds to zero");
});

test("kept fragments: per table, the last four keys, the scratch writer cleared by keep()", () => {
  const w = new JsonWriter();
  const a = {}, b = {};
  assert.equal(w.cached(a, 1), undefined, "nothing kept yet");
  assert.equal(w.keep(a, 1, "one"), "one", "keep() before any fragment(): returns the text");
  assert.equal(w.cached(a, 1), "one");
  assert.equal(w.cached(b, 1), undefined, "another table");
  assert.equal(w.cached(a, 2), undefined, "another key");
  w.keep(a, 2, "two"); w.keep(a, 3, "three"); w.keep(a, 4, "four");
  assert.deepEqual([1, 2, 3, 4].map((k) => w.cached(a, k)), ["one", "two", "three", "four"]);
  w.keep(a, 5, "five");
  assert.deepEqual([1, 2, 3, 4, 5].map((k) => w.cached(a, k)), [undefined, "two", "three", "four", "five"], "the oldest goes first");
  w.keep(a, 6, "six");
  assert.deepEqual([2, 3, 6].map((k) => w.cached(a, k)), [undefined, "three", "six"]);
  const f = w.fragment().key("x").number(1);
  assert.equal(w.keep(b, 0, f.text), "\"x\":1");
  assert.equal(w.fragment().key("y").number(2).text, "\"y\":2", "a fragment starts empty");
  w.fragment().key("z");
  w.keep(b, 9, "nine");
  assert.equal(w.fragment().text, "", "keep() clears what was left in the scratch writer");
});

test("members(\"\") adds nothing, not even a comma", () => {
  assert.equal(new JsonWriter().beginObject().members("").key("a").number(1).members("").endObject().text, "{\"a\":1}");
  assert.equal(new JsonWriter().beginObject().key("a").number(1).members("\"b\":2").endObject().text, "{\"a\":1,\"b\":2}");
});

test("a production date and software version kept per value, not mixed up with another's (date 256 and 0, version 0 and 1)", () => {
  const w = new JsonWriter();
  const info = new BasicInfo();
  const texts: string[] = [];
  for (const [date, version] of [[0, 1], [256, 0], [0, 1], [1, 0], [0, 256 & 0xff]]) {
    info.productionDateRaw = date;
    info.softwareVersionRaw = version;
    w.clear().beginObject();
    writeBasicInfo(w, info);
    const parsed = JSON.parse(w.endObject().text);
    texts.push(parsed.productionDate + " " + parsed.softwareVersion);
  }
  assert.deepEqual(texts, ["2000-00-00 0.1", "2000-08-00 0.0", "2000-00-00 0.1", "2000-00-01 0.0", "2000-00-00 0.0"]);
});
