// Protection, alarm and balancing flags as words (issue 12 part 3: "cell 3 overvoltage").
import { test } from "node:test";
import assert from "node:assert/strict";
import { ALARM_NAMES, BasicInfo, PROTECTION_NAMES } from "../../modules/protocol/basic-info";
import { CellVoltages } from "../../modules/protocol/cells";
import { JsonWriter } from "../../modules/protocol/json-writer";
import { ALARM_LABELS, MAX_STATE_TEXT, PROTECTION_LABELS, balancingText, flagText, protectionText, writeProblemTexts } from "../../modules/protocol/problem-text";

function cells(...mv: number[]): CellVoltages {
  const c = new CellVoltages();
  c.count = mv.length;
  mv.forEach((v, i) => { c.millivolts[i] = v; });
  return c.summarize();
}

test("one label per protocol bit, in bit order", () => {
  assert.equal(PROTECTION_LABELS.length, PROTECTION_NAMES.length);
  assert.equal(ALARM_LABELS.length, ALARM_NAMES.length);
  assert.ok(Object.isFrozen(PROTECTION_LABELS) && Object.isFrozen(ALARM_LABELS), "preloaded tables stay in flash");
});

test("protection: none; the set bits in order; a cell protection names the extreme cell of the reading and its voltage", () => {
  assert.equal(protectionText(0), "none");
  assert.equal(protectionText((1 << 8) | (1 << 2)), "Pack overvoltage, Charge overcurrent");
  const c = cells(3401, 3398, 3652, 3410);
  assert.equal(protectionText(1 << 0, c), "Cell 3 overvoltage (3.652 V)");
  assert.equal(protectionText(1 << 1, c), "Cell 2 undervoltage (3.398 V)");
  assert.equal(protectionText(1 << 0, cells(3005)), "Cell 1 overvoltage (3.005 V)", "zero-padded millivolts");
  assert.equal(protectionText(1 << 0), "Cell overvoltage", "no cell voltages: no cell named");
  assert.equal(protectionText(1 << 12), "MOS software lock (a FET switched off by command)", "the lock is named for what it is");
  assert.equal(protectionText(1 << 15), "bit 15", "an unnamed bit is not hidden");
});

test("alarm and balancing text", () => {
  assert.equal(flagText(0, ALARM_LABELS), "none");
  assert.equal(flagText((1 << 10) | (1 << 11), ALARM_LABELS), "Cell voltage difference, Low capacity");
  assert.equal(balancingText(0), "none");
  assert.equal(balancingText(1 << 2), "cell 3");
  assert.equal(balancingText((1 << 2) | (1 << 4) | (1 << 31)), "cells 3, 5, 32", "the high word's bit 31 is cell 32");
});

test("never longer than the 255 characters Home Assistant keeps of a state", () => {
  const all = protectionText(0xffff, cells(4200, 2500));
  assert.ok(all.length <= MAX_STATE_TEXT, String(all.length));
  assert.ok(all.startsWith("Cell 1 overvoltage (4.200 V), Cell 2 undervoltage (2.500 V), Pack overvoltage"));
  assert.ok(balancingText(0xffffffff).length <= MAX_STATE_TEXT);
});

test("written into a state payload; nothing kept between readings: the same bits with another extreme cell name that cell", () => {
  const info = new BasicInfo();
  const w = new JsonWriter();
  const payload = (c: CellVoltages) => { w.clear().beginObject(); writeProblemTexts(w, info, c); return JSON.parse(w.endObject().text); };
  assert.deepEqual(payload(cells(3300, 3310)), { protectionText: "none", balancingText: "none" }, "no alarm text without the extended block");
  info.hasExtended = true;
  info.alarmBits = 1 << 11;
  info.balanceBits = 1 << 1;
  assert.deepEqual(payload(cells(3300, 3310)), { protectionText: "none", alarmText: "Low capacity", balancingText: "cell 2" });
  info.protectionBits = 1 << 0;
  assert.equal(payload(cells(3650, 3310)).protectionText, "Cell 1 overvoltage (3.650 V)");
  assert.equal(payload(cells(3310, 3660)).protectionText, "Cell 2 overvoltage (3.660 V)", "the same bits, another cell");
});
