// Protection, alarm and balancing texts, for what problem-text.test.ts leaves open and mutation
// testing would find: every label a person reads (a typo in one is a bug on the dashboard), the
// millivolt padding, unnamed bits, the 255-character cut at its edge, bits above the 16 the
// protocol has.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BasicInfo } from "../../modules/protocol/basic-info";
import { CellVoltages } from "../../modules/protocol/cells";
import { JsonWriter } from "../../modules/protocol/json-writer";
import { ALARM_LABELS, MAX_STATE_TEXT, NOTHING, balancingText, flagText, protectionText, writeProblemTexts } from "../../modules/protocol/problem-text";

function cells(...mv: number[]): CellVoltages {
  const c = new CellVoltages();
  c.count = mv.length;
  mv.forEach((v, i) => { c.millivolts[i] = v; });
  return c.summarize();
}

test("every protection bit in words, as the dashboard shows it", () => {
  const expected = [
    "Cell overvoltage", "Cell undervoltage", "Pack overvoltage", "Pack undervoltage",
    "Charge overtemperature", "Charge undertemperature", "Discharge overtemperature", "Discharge undertemperature",
    "Charge overcurrent", "Discharge overcurrent", "Short circuit", "Front-end IC error",
    "MOS software lock (a FET switched off by command)", "Charge MOS fault", "Discharge MOS fault", "bit 15",
  ];
  for (let bit = 0; bit < 16; bit++) assert.equal(protectionText(1 << bit), expected[bit], "bit " + bit);
  // with the cell voltages only the two cell protections change
  const c = cells(3300, 3400);
  for (let bit = 2; bit < 16; bit++) assert.equal(protectionText(1 << bit, c), expected[bit], "bit " + bit);
  assert.equal(protectionText(1 << 0, cells()), "Cell overvoltage", "no cells in the reading: none named");
  assert.equal(protectionText(3, c), "Cell 2 overvoltage (3.400 V), Cell 1 undervoltage (3.300 V)");
});

test("every alarm bit in words; bits without a name as their number", () => {
  const expected = [
    "Cell high voltage", "Cell low voltage", "Pack high voltage", "Pack low voltage",
    "Charge high temperature", "Charge low temperature", "Discharge high temperature", "Discharge low temperature",
    "Charge high current", "Discharge high current", "Cell voltage difference", "Low capacity",
  ];
  for (let bit = 0; bit < 12; bit++) assert.equal(flagText(1 << bit, ALARM_LABELS), expected[bit], "bit " + bit);
  assert.equal(flagText((1 << 12) | (1 << 15), ALARM_LABELS), "bit 12, bit 15");
  assert.equal(flagText(1 | (1 << 13), ALARM_LABELS), "Cell high voltage, bit 13");
  assert.equal(flagText(1 << 16, ALARM_LABELS), NOTHING, "above the 16 bits of the field: nothing");
  assert.equal(protectionText(1 << 16), "none");
});

test("cell voltages: millivolts padded to three places", () => {
  const one = (mv: number) => protectionText(1, cells(mv));
  assert.equal(one(3005), "Cell 1 overvoltage (3.005 V)");
  assert.equal(one(3050), "Cell 1 overvoltage (3.050 V)");
  assert.equal(one(3099), "Cell 1 overvoltage (3.099 V)");
  assert.equal(one(3100), "Cell 1 overvoltage (3.100 V)");
  assert.equal(one(3010), "Cell 1 overvoltage (3.010 V)");
  assert.equal(one(3000), "Cell 1 overvoltage (3.000 V)");
  assert.equal(one(999), "Cell 1 overvoltage (0.999 V)");
});

test("balancing: one cell or several, 1-based, all 32", () => {
  assert.equal(balancingText(1), "cell 1");
  assert.equal(balancingText(0b11), "cells 1, 2");
  assert.equal(balancingText(1 << 31), "cell 32");
  assert.equal(balancingText(-1).startsWith("cells 1, 2, 3"), true, "a negative 32-bit word is the same bits");
  assert.equal(balancingText(0xffffffff), balancingText(-1));
  assert.equal(balancingText(0xffffffff).endsWith(", 31, 32"), true);
});

test("the cut: 255 characters kept whole, a longer text cut to 254 and an ellipsis", () => {
  const all = protectionText(0xffff, cells(4200, 2500));
  assert.equal(all.length, MAX_STATE_TEXT);
  assert.ok(all.endsWith("…"));
  assert.equal(all.slice(0, 254), (
    "Cell 1 overvoltage (4.200 V), Cell 2 undervoltage (2.500 V), Pack overvoltage, Pack undervoltage, Charge overtemperature, " +
    "Charge undertemperature, Discharge overtemperature, Discharge undertemperature, Charge overcurrent, Discharge overcurrent, " +
    "Short circuit, Front-end IC error, MOS software lock (a FET switched off by command), Charge MOS fault, Discharge MOS fault, bit 15"
  ).slice(0, 254));
  assert.equal(MAX_STATE_TEXT, 255);
  const shorter = protectionText(0x0fff);
  assert.ok(shorter.length < 255 && !shorter.endsWith("…"), "a shorter text is not cut");
});

test("a state payload: the high bits of the fields are no flags", () => {
  const info = new BasicInfo();
  info.hasExtended = true;
  info.protectionBits = 0x10000;
  info.alarmBits = 0x10000;
  info.balanceBits = 0;
  const w = new JsonWriter().beginObject();
  writeProblemTexts(w, info, cells(3300));
  assert.deepEqual(JSON.parse(w.endObject().text), { protectionText: "none", alarmText: "none", balancingText: "none" });
  info.protectionBits = 0x10004;
  info.alarmBits = 0x10002;
  info.balanceBits = 0x80000000;
  const w2 = new JsonWriter().beginObject();
  writeProblemTexts(w2, info, cells(3300));
  assert.deepEqual(JSON.parse(w2.endObject().text), { protectionText: "Pack overvoltage", alarmText: "Cell low voltage", balancingText: "cell 32" });
});
