// Decoders on edge cases the captured frames do not cover: unit flag, balance bit order, extended
// block, limits, and frames they must refuse without touching the previous reading.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ALARM_NAMES, BasicInfo, FET_LARGE_UNITS, MAX_NTC, PROTECTION_NAMES, decodeBasicInfo } from "../../modules/protocol/basic-info";
import { CellVoltages, MAX_CELLS, decodeCells } from "../../modules/protocol/cells";
import { ErrorCounters, decodeErrorCounters } from "../../modules/protocol/error-counters";
import { HardwareVersion, decodeHardware } from "../../modules/protocol/hardware";
import { RESPONSES, bytes, reply } from "./vectors";

/** The DP04S007 0x03 payload: 1 NTC plus the extended block. */
const EXTENDED = bytes(RESPONSES.find((v) => v.hex.startsWith("dd030022"))!.hex);
const STANDARD = bytes(RESPONSES.find((v) => v.hex.startsWith("dd03001d0618"))!.hex);
const payloadOf = (frame: Uint8Array) => Array.from(frame.subarray(4, 4 + frame[3]));

function basicInfo(payload: number[]): BasicInfo {
  const info = new BasicInfo();
  assert.ok(decodeBasicInfo(reply(3, payload), info));
  return info;
}

describe("0x03 basic info", () => {
  test("FET bit 7 switches current and capacities to 100 mA / 100 mAh units", () => {
    const payload = payloadOf(EXTENDED);
    payload[2] = 0xff; payload[3] = 0x38; // -200 raw
    const small = basicInfo(payload);
    payload[20] |= FET_LARGE_UNITS;
    const large = basicInfo(payload);
    assert.equal(small.amps, -2);
    assert.equal(large.amps, -20);
    assert.equal(large.remainingAh, small.remainingRaw / 10);
    assert.equal(large.nominalAh, small.nominalRaw / 10);
    assert.equal(large.fullChargeAh, small.fullChargeRaw / 10);
    assert.equal(large.watts, small.voltage10mV * -200 / 1000);
    assert.equal(large.chargeOn, small.chargeOn);
  });

  test("balance bits in the spec's order: low word cells 1-16, high word cells 17-32", () => {
    const payload = payloadOf(STANDARD);
    payload.splice(12, 4, 0x80, 0x01, 0x80, 0x02); // low 0x8001, high 0x8002
    const info = basicInfo(payload);
    const balancing = Array.from({ length: 34 }, (_, i) => i).filter((cell) => info.isBalancing(cell));
    assert.deepEqual(balancing, [1, 16, 18, 32]);
  });

  test("every protection bit has its own name; bit 15 is reserved", () => {
    for (let bit = 0; bit < 16; bit++) {
      const payload = payloadOf(STANDARD);
      payload[16] = (1 << bit) >> 8;
      payload[17] = (1 << bit) & 0xff;
      const info = basicInfo(payload);
      assert.equal(info.protectionBits, 1 << bit);
      assert.deepEqual(PROTECTION_NAMES.filter((_, i) => info.isProtected(i)), bit < 15 ? [PROTECTION_NAMES[bit]] : []);
    }
    assert.equal(new Set(PROTECTION_NAMES).size, 15);
    assert.equal(new Set(ALARM_NAMES).size, 12);
  });

  test("extended block: humidity, alarm bits, full-charge and remaining capacity, balance current", () => {
    const payload = payloadOf(EXTENDED);
    payload.splice(25, 9, 45, 0x04, 0x01, 0x75, 0x30, 0x27, 0x10, 0x00, 0x96);
    const info = basicInfo(payload);
    assert.equal(info.hasExtended, true);
    assert.equal(info.humidity, 45);
    assert.equal(info.alarmBits, 0x0401);
    assert.equal(info.fullChargeAh, 300);
    assert.equal(info.extendedRemainingAh, 100);
    assert.equal(info.balanceCurrentMa, 150);
  });

  test("a partial extended block is ignored", () => {
    const info = basicInfo(payloadOf(EXTENDED).slice(0, 30));
    assert.equal(info.hasExtended, false);
    assert.equal(info.temperatureCount, 1);
  });

  test("eight temperature sensors, negative and open-circuit values", () => {
    const payload = payloadOf(STANDARD).slice(0, 22);
    payload.push(MAX_NTC);
    const raw = [2731, 2731 - 200, 0x097f, 2731 + 653, 2731 + 1, 2731 - 1, 3000, 2500];
    for (const r of raw) payload.push(r >> 8, r & 0xff);
    const info = basicInfo(payload);
    assert.deepEqual(Array.from(info.temperatures), raw.map((r) => r - 2731));
    assert.equal(info.temperatureC(2), -30);
  });

  test("refuses what is not an OK 0x03 reply of consistent length, and leaves the reading alone", () => {
    const info = new BasicInfo();
    assert.ok(decodeBasicInfo(STANDARD, info));
    const before = JSON.stringify({ ...info, temperatures: Array.from(info.temperatures) });
    const payload = payloadOf(STANDARD);
    const tooManyNtc = payload.slice(); tooManyNtc[22] = 9;
    const notEnoughForNtc = payload.slice(0, 23 + 2); // claims 3 NTCs, holds 1
    for (const frame of [reply(3, payload.slice(0, 22)), reply(3, tooManyNtc), reply(3, notEnoughForNtc),
      reply(4, payload), reply(3, payload, 0x80)]) {
      assert.equal(decodeBasicInfo(frame, info), false);
    }
    assert.equal(JSON.stringify({ ...info, temperatures: Array.from(info.temperatures) }), before);
  });
});

describe("0x04 cells", () => {
  test("32 cells, the most the balance bits can describe", () => {
    const mv = Array.from({ length: MAX_CELLS }, (_, i) => 3000 + i * 7);
    const cells = new CellVoltages();
    assert.ok(decodeCells(reply(4, mv.flatMap((v) => [v >> 8, v & 0xff])), cells));
    assert.deepEqual(Array.from(cells.millivolts.subarray(0, cells.count)), mv);
    assert.equal(cells.minIndex, 0);
    assert.equal(cells.maxIndex, 31);
    assert.equal(cells.totalMillivolts, mv.reduce((a, b) => a + b));
  });

  test("the summary kept by the decoder: first lowest and highest on a tie, over this reading's cells only", () => {
    const cells = new CellVoltages();
    const decode = (mv: number[]) => { assert.ok(decodeCells(reply(4, mv.flatMap((v) => [v >> 8, v & 0xff])), cells)); };
    decode([3300, 3200, 3400, 3200, 3400, 3300]);
    assert.deepEqual([cells.minIndex, cells.maxIndex, cells.totalMillivolts], [1, 2, 19800]);
    decode([5, 5, 5]);
    assert.deepEqual([cells.minIndex, cells.maxIndex, cells.totalMillivolts], [0, 0, 15]);
    decode([0xffff, 0, 0xffff]);
    assert.deepEqual([cells.minIndex, cells.maxIndex, cells.totalMillivolts], [1, 0, 0x1fffe]);
    // summarize() finds the same for any values written by hand
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 4;
    for (let round = 0; round < 200; round++) {
      const mv = Array.from({ length: 1 + (round % MAX_CELLS) }, () => 3300 + next());
      decode(mv);
      const decoded = [cells.minIndex, cells.maxIndex, cells.totalMillivolts];
      cells.minIndex = cells.maxIndex = -2;
      cells.summarize();
      assert.deepEqual([cells.minIndex, cells.maxIndex, cells.totalMillivolts], decoded);
      assert.deepEqual(decoded, [mv.indexOf(Math.min(...mv)), mv.indexOf(Math.max(...mv)), mv.reduce((a, b) => a + b)]);
    }
  });

  test("refuses odd lengths, more than 32 cells, other replies; keeps the previous reading", () => {
    const cells = new CellVoltages();
    assert.ok(decodeCells(reply(4, [0x0d, 0x03]), cells));
    for (const frame of [reply(4, [1, 2, 3]), reply(4, new Array(66).fill(1)), reply(3, [1, 2]), reply(4, [1, 2], 0x81)]) {
      assert.equal(decodeCells(frame, cells), false);
    }
    assert.equal(cells.count, 1);
    assert.equal(cells.millivolts[0], 0x0d03);
  });

  test("no cells: no min or max", () => {
    const cells = new CellVoltages();
    assert.ok(decodeCells(reply(4, []), cells));
    assert.deepEqual([cells.minIndex, cells.maxIndex, cells.totalMillivolts], [-1, -1, 0]);
    assert.deepEqual([new CellVoltages().summarize().minIndex, new CellVoltages().summarize().maxIndex], [-1, -1]);
  });
});

describe("0x05 hardware and 0xAA counters", () => {
  test("hardware text stops at a NUL and is made only when asked for", () => {
    const hw = new HardwareVersion();
    assert.ok(decodeHardware(reply(5, [0x4a, 0x42, 0x44, 0, 0x58]), hw));
    assert.equal(hw.length, 5);
    assert.equal(hw.text(), "JBD");
    assert.equal(decodeHardware(reply(4, [0x41]), hw), false);
    assert.equal(hw.text(), "JBD");
  });

  test("counters: whole U16s only, up to 16", () => {
    const counters = new ErrorCounters();
    assert.ok(decodeErrorCounters(reply(0xaa, [0, 1, 0xff, 0xfe]), counters));
    assert.deepEqual(Array.from(counters.values.subarray(0, counters.count)), [1, 0xfffe]);
    assert.equal(decodeErrorCounters(reply(0xaa, [0, 1, 2]), counters), false);
    assert.equal(decodeErrorCounters(reply(0xaa, new Array(34).fill(0)), counters), false);
    assert.equal(counters.count, 2);
  });
});
