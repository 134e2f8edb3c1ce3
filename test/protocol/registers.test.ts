// The EEPROM register map: the captured parameter session decodes to what the capture's source
// says, requests match the captures, and changes are refused for every reason the map names.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  FIRST_REGISTER, REGISTERS, REGISTER_COUNT, RegisterState, SettingsSet, decodeRegister, encodeRegister, planChanges,
  registerIndex, registerReadRequest, registerWriteRequest, exitAndSaveRequest, replyWord, writeSettingsValues, changeValues,
} from "../../modules/protocol/registers";
import { JsonWriter } from "../../modules/protocol/json";
import { checkFrame } from "../../modules/protocol/frame-check";
import { JBD_VECTORS, bytes } from "./vectors";

const hexOf = (buffer: ArrayBuffer) => Buffer.from(buffer).toString("hex");
/** The replies of the app's parameter session (btsnoop_hci_jbd-sp04s034-l4s-200a-b-u.log). */
const SESSION = JBD_VECTORS.filter((v) => v.kind === "response" && /parameter read/.test(v.source) && v.cmd >= 0x10 && v.cmd < 0x48);

/** A set as the captured 4S 280 Ah pack has it, the registers the capture lacks filled with plausible values. */
export function capturedSet(): SettingsSet {
  const set = new SettingsSet();
  const fill: Record<string, number> = {
    chargeOvertempRelease: 3281, chargeUndertempRelease: 2731, dischargeOvertemp: 3481, dischargeOvertempRelease: 3281,
    dischargeUndertemp: 2531, dischargeUndertempRelease: 2731, packOvervoltageRelease: 1420, packUndervoltageRelease: 1080,
    cellOvervoltageRelease: 3550, cellUndervoltageRelease: 2700, functionsRaw: 0x0002, ntcEnabledRaw: 7, ledTime: 30,
    socVoltage80: 3400, socVoltage60: 3350, socVoltage40: 3300, socVoltage20: 3100, hardwareCellOvervoltage: 3900,
    hardwareCellUndervoltage: 2000, chargeTempReleaseDelays: 0x0202, dischargeTempReleaseDelays: 0x0202,
    packVoltageReleaseDelays: 0x0202, chargeOvercurrentDelays: 0x0a1e, dischargeOvercurrentDelays: 0x0a1e,
    serialNumber: 0, cycleCount: 0,
  };
  for (const v of SESSION) {
    const frame = bytes(v.hex);
    set.raw[frame[1] - FIRST_REGISTER] = replyWord(frame);
    set.state[frame[1] - FIRST_REGISTER] = RegisterState.Ok;
  }
  for (const [key, raw] of Object.entries(fill)) { set.raw[registerIndex(key)] = raw; set.state[registerIndex(key)] = RegisterState.Ok; }
  for (let i = 0; i < REGISTER_COUNT; i++) if (set.state[i] === RegisterState.Unread) set.state[i] = RegisterState.Absent;
  return set;
}

const valuesOf = (set: SettingsSet) => {
  const w = new JsonWriter().beginObject();
  writeSettingsValues(w, set);
  return JSON.parse(w.endObject().text) as { values: Record<string, unknown>; absent: string[] };
};

describe("decoding the captured parameter session", () => {
  test("the capture has the replies this test relies on", () => assert.ok(SESSION.length >= 20, `${SESSION.length} replies`));

  test("every captured register decodes to the value its source states", () => {
    const { values } = valuesOf(capturedSet());
    assert.equal(values.designCapacity, 280);
    assert.equal(values.cycleCapacity, 224);
    assert.equal(values.fullVoltage, 3.5);
    assert.equal(values.emptyVoltage, 2.8);
    assert.equal(values.selfDischargeRate, 0.2);
    assert.equal(values.manufactureDate, "2022-03-28");
    assert.equal(values.chargeOvertemp, 75);
    assert.equal(values.chargeUndertemp, -10);
    assert.equal(values.packOvervoltage, 14.6);
    assert.equal(values.packUndervoltage, 10);
    assert.equal(values.cellOvervoltage, 3.65);
    assert.equal(values.cellUndervoltage, 2.5);
    assert.equal(values.chargeOvercurrent, 230);
    assert.equal(values.dischargeOvercurrent, 230, "S16 -230.00 A, shown as its size");
    assert.equal(values.balanceStartVoltage, 3.2);
    assert.equal(values.balanceWindow, 0.03);
    assert.equal(values.shuntResistance, 0.1);
    assert.equal(values.cellCount, 4);
    assert.equal(values.fetControlTime, 30);
    assert.deepEqual(values.cellVoltageReleaseDelays, { underRelease: 2, overRelease: 2 });
    assert.equal(values.shortCircuitRaw, 0x8d5c);
    assert.equal(values.balanceMode, "off");
    assert.deepEqual((values.functions as Record<string, boolean>).loadLock, true);
  });

  test("registers the firmware lacks are absent, never 0", () => {
    const set = capturedSet();
    const { values, absent } = valuesOf(set);
    assert.deepEqual(absent, ["gpsOffVoltageRaw", "gpsOffDelayRaw", "socVoltage90", "socVoltage70", "socVoltage50", "socVoltage30", "socVoltage10", "socVoltage100"]);
    for (const key of absent) assert.equal(key in values, false, key);
    assert.equal(set.complete, true);
    set.state[0] = RegisterState.Failed;
    assert.equal(set.complete, false, "a register that failed makes the set incomplete");
  });

  test("the unit bit of 0x2D makes capacities 100 mAh and currents 100 mA", () => {
    const set = capturedSet();
    set.raw[registerIndex("functionsRaw")] |= 1 << 12;
    const { values } = valuesOf(set);
    assert.equal(values.designCapacity, 2800);
    assert.equal(values.chargeOvercurrent, 2300);
    assert.equal((values.functions as Record<string, boolean>).largeUnits, true);
  });
});

describe("requests", () => {
  test("a register read, a write and exit-and-save are well-formed frames", () => {
    assert.equal(hexOf(registerReadRequest(0x24)), "dda52400ffdc77");
    assert.equal(checkFrame(new Uint8Array(registerWriteRequest(0x24, 3600))).verdict, "ok");
    assert.equal(hexOf(registerWriteRequest(0x24, 0x0e10)), "dd5a24020e10ffbc77");
    assert.equal(hexOf(exitAndSaveRequest()), "dd5a01022828ffad77");
  });

  test("the captured read of 0x24 outside factory mode is an error status, not a word", () => {
    const refused = JBD_VECTORS.find((v) => v.hex === "dd248100ff7f77")!;
    assert.equal(replyWord(bytes(refused.hex)), -1);
  });
});

describe("encoding", () => {
  test("every writable number survives encode then decode", () => {
    const set = capturedSet();
    for (let i = 0; i < REGISTER_COUNT; i++) {
      if (!REGISTERS[i].writable || !set.has(i)) continue;
      const value = decodeRegister(i, set.raw[i], false);
      assert.equal(encodeRegister(i, value, false), set.raw[i], REGISTERS[i].key);
    }
  });

  test("a value between two steps is refused, not rounded", () => {
    assert.match(String(encodeRegister(registerIndex("cellOvervoltage"), 3.6505, false)), /not a multiple of 0.001 V/);
    assert.match(String(encodeRegister(registerIndex("packOvervoltage"), 14.605, false)), /not a multiple of 0.01 V/);
  });

  test("the discharge over-current is stored negative", () => {
    assert.equal(encodeRegister(registerIndex("dischargeOvercurrent"), 230, false), 0xa628);
  });
});

describe("planned changes", () => {
  const set = capturedSet();
  const plan = (values: unknown, restore = false) => planChanges(set, values, restore);

  test("a valid change plans one write per register, and names what is unchanged", () => {
    const p = plan({ cellOvervoltage: 3.6, cellUndervoltage: 2.5, balanceMode: "charging" });
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.changes.map((c) => changeValues(set, c)), [
      { key: "cellOvervoltage", from: 3.65, to: 3.6 },
      { key: "balanceMode", from: "off", to: "charging" },
    ]);
    assert.equal(p.changes[1].raw, 0x0002 | 0x0c, "the other function bits kept");
    assert.deepEqual(p.unchanged, ["cellUndervoltage"]);
  });

  const refusals: [string, unknown, RegExp][] = [
    ["not an object", [1, 2], /expected an object/],
    ["an unknown key", { cellOvervoltag: 3.6 }, /unknown setting 'cellOvervoltag'/],
    ["a read-only register", { cellCount: 8 }, /cellCount is read-only/],
    ["a register this firmware lacks", { socVoltage10: 3.0 }, /socVoltage10: this firmware lacks it/],
    ["not a number", { cellOvervoltage: "3.6" }, /expected a number in V/],
    ["beyond a cell's physical bounds", { cellOvervoltage: 5 }, /outside 1..4.5 V/],
    ["beyond a pack's bounds for its cell count", { packOvervoltage: 20 }, /outside 4..18 V \(4 cells\)/],
    ["a temperature beyond bounds", { chargeOvertemp: 120 }, /outside -40..100 °C/],
    ["an over-voltage release above its trip", { cellOvervoltageRelease: 3.7 }, /release must be below its trip: cellOvervoltageRelease 3.7 V must be below cellOvervoltage 3.65 V/],
    ["an over-voltage release equal to its trip", { cellOvervoltageRelease: 3.65 }, /release must be below its trip/],
    ["an under-voltage release below its trip", { cellUndervoltageRelease: 2.4 }, /release must be above its trip/],
    ["a temperature release on the wrong side", { chargeUndertempRelease: -15 }, /release must be above its trip/],
    ["under-voltage above over-voltage", { cellUndervoltage: 3.5, cellUndervoltageRelease: 3.6, cellOvervoltageRelease: 3.55 }, /under-voltage must be below over-voltage/],
    ["over-voltage above the hardware protection", { cellOvervoltage: 4.0 }, /trip before the hardware protection/],
    ["pack limits for another cell count", { packOvervoltage: 16.8 }, /pack and cell limits disagree for 4 cells: packOvervoltage 16.8 V should be within 1 V of 4 x cellOvervoltage 3.65 V = 14.6 V/],
    ["cell limits the pack limits do not follow", { cellUndervoltage: 2.0, cellUndervoltageRelease: 2.2 }, /pack and cell limits disagree/],
    ["a balance start outside the normal range", { balanceStartVoltage: 3.7 }, /balancing must start below over-voltage/],
    ["a capacity-voltage curve that falls", { socVoltage60: 3.45 }, /curve must rise/],
    ["a cycle capacity above the design capacity", { cycleCapacity: 300 }, /cannot exceed the design capacity/],
    ["a balance mode that does not exist", { balanceMode: "sometimes" }, /one of off, always, charging/],
  ];
  for (const [what, values, why] of refusals) {
    test(`refused: ${what}`, () => {
      const p = plan(values);
      assert.ok(p.errors.some((e) => why.test(e)), JSON.stringify(p.errors));
    });
  }

  test("a rule an unchanged pack already breaks does not block an unrelated change", () => {
    const odd = capturedSet();
    odd.raw[registerIndex("packOvervoltage")] = 1700; // 17 V on a 4S pack, set by someone else
    const p = planChanges(odd, { chargeOvertemp: 60 });
    assert.deepEqual(p.errors, []);
    assert.equal(p.changes.length, 1);
  });

  test("a restore skips read-only and absent keys but refuses another cell count", () => {
    const { values } = valuesOf(set);
    const p = plan({ ...values, cellOvervoltage: 3.6, socVoltage10: 3.0 }, true);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.changes.map((c) => REGISTERS[c.index].key), ["cellOvervoltage"]);
    assert.ok(p.skipped.includes("socVoltage10 (this firmware lacks it)"));
    assert.ok(p.skipped.includes("cellCount (read-only)") === false, "the same cell count is not worth a word");
    assert.match(plan({ ...values, cellCount: 16 }, true).errors.join(), /a backup of a 16-cell pack: this pack has 4 cells/);
  });
});
