// The simulated BMS's parameter EEPROM through its UART (bms-eeprom.ts): factory mode gates reads and
// writes (0x81), writes stay in a working copy until exit-and-save, the two firmware layouts differ
// in 0x40-0x47 (0x80 on reads, a write acknowledged but not kept), and the FF AA module's root gate
// drops factory writes until the root login. Frames are built from the spec (bms-harness).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VirtualClock } from "./clock";
import { SimulatedBms } from "./bms";
import { Recorder, exchange, hex, request } from "./bms-harness";
import { encodeModuleFrame, expectedPassword, parseMac, ROOT_PASSWORD_TEXT, FFAA } from "./bms-auth";

const ENTER = request(true, 0x00, [0x56, 0x78]);
const DISCARD = request(true, 0x01, [0x00, 0x00]);
const SAVE = request(true, 0x01, [0x28, 0x28]);
const read = (reg: number) => request(false, reg);
const write = (reg: number, value: number) => request(true, reg, [value >> 8, value & 0xff]);

function setup(options: ConstructorParameters<typeof SimulatedBms>[1] = {}) {
  const clock = new VirtualClock();
  const bms = new SimulatedBms(clock, { seed: 3, ...options });
  const recorder = new Recorder(clock, bms);
  /** The single reply frame to `bytes`, as hex ("" when none). */
  const send = (bytes: Uint8Array) => exchange(clock, bms, recorder, bytes).frames.map(hex).join(" ");
  return { bms, send };
}

describe("SimulatedBms: parameter EEPROM and factory mode", () => {
  it("reads and writes outside factory mode are refused with 0x81 (the captured DD 24 81 00 FF 7F 77)", () => {
    const { bms, send } = setup();
    assert.equal(send(read(0x24)), "dd248100ff7f77");
    assert.equal(send(write(0x24, 3600)).slice(0, 6), "dd2481");
    assert.equal(bms.eeprom.stats.refused, 2);
    assert.equal(bms.eeprom.saved(0x24), 3650, "nothing written");
  });

  it("inside factory mode: the defaults of a 4S pack, a write read back from the working copy", () => {
    const { bms, send } = setup({ cellCount: 4, capacityAh: 280 });
    assert.equal(send(ENTER), "dd000000000077");
    assert.equal(bms.factoryMode, true);
    assert.equal(send(read(0x10)), "dd1000026d60ff3177", "280.00 Ah as in the capture");
    assert.equal(send(read(0x24)), "dd2400020e42ffae77", "3650 mV as in the capture");
    assert.equal(send(read(0x2f)), "dd2f00020004fffa77");
    assert.equal(send(write(0x24, 3600)), "dd240000000077");
    assert.equal(send(read(0x24)).slice(8, 12), "0e10");
    assert.equal(bms.eeprom.saved(0x24), 3650, "not saved yet");
  });

  it("exit without saving drops the writes; exit-and-save keeps them", () => {
    const { bms, send } = setup();
    send(ENTER); send(write(0x24, 3600));
    assert.equal(send(DISCARD), "dd010000000077");
    assert.equal(bms.factoryMode, false);
    assert.equal(bms.eeprom.saved(0x24), 3650);
    send(ENTER);
    assert.equal(send(read(0x24)).slice(8, 12), "0e42", "the dropped write is gone from the working copy too");
    send(write(0x24, 3600));
    assert.equal(send(SAVE), "dd010000000077");
    assert.equal(bms.eeprom.saved(0x24), 3600);
    assert.deepEqual([bms.eeprom.stats.saves, bms.eeprom.stats.discards], [1, 1]);
  });

  it("an exit word that is neither save nor discard is refused (0x80) and factory mode stays", () => {
    const { bms, send } = setup();
    send(ENTER);
    assert.equal(send(request(true, 0x01, [0x12, 0x34])).slice(0, 6), "dd0180");
    assert.equal(bms.factoryMode, true);
  });

  it("factory mode and its unsaved writes survive a BLE drop (the BMS never hears of it)", () => {
    const { bms, send } = setup();
    send(ENTER); send(write(0x24, 3600));
    bms.disconnected();
    assert.equal(bms.factoryMode, true);
    assert.equal(bms.eeprom.working(0x24), 3600);
    send(DISCARD);
    assert.equal(bms.eeprom.saved(0x24), 3650);
  });

  it("firmware 0x20 layout: the 10 % capacity-voltage registers 0x42-0x47 exist", () => {
    const { send } = setup({ eeprom: "fw20" });
    send(ENTER);
    assert.equal(send(read(0x47)), "dd4700020d48ffa977", "100 %: 3400 mV");
  });

  it("firmware 0x16 layout: 0x40-0x47 answer 0x80; a write there is acknowledged and not kept", () => {
    const { bms, send } = setup({ eeprom: "fw16" });
    send(ENTER);
    assert.equal(send(read(0x3f)).slice(0, 6), "dd3f00");
    assert.equal(send(read(0x42)), "dd428000ff8077");
    assert.equal(send(write(0x42, 3350)), "dd420000000077", "acknowledged");
    assert.equal(send(read(0x42)), "dd428000ff8077", "but not kept");
    send(SAVE);
    assert.equal(bms.eeprom.saved(0x42), undefined);
    assert.equal(bms.eeprom.stats.lost, 1);
  });

  it("a pack over 655 Ah keeps capacities in 100 mAh and sets the unit bit of 0x2D", () => {
    const { bms } = setup({ capacityAh: 1000 });
    assert.equal(bms.eeprom.saved(0x10), 10000);
    assert.equal(bms.eeprom.saved(0x2d)! & 0x1000, 0x1000);
  });

  it("FF AA root gate: factory enter and writes are dropped until the root login, reads need factory mode", () => {
    const { bms, send } = setup({ auth: { kind: "ffaa", userPassword: undefined, rootGate: true } });
    const mac = parseMac(bms.address)!;
    assert.equal(send(encodeModuleFrame(FFAA.appKey, Array.from("000000", (c) => c.charCodeAt(0)))).slice(8, 10), "02", "no password: logged in");
    assert.equal(send(ENTER), "", "dropped silently");
    assert.equal(bms.factoryMode, false);
    assert.equal(send(read(0x24)), "dd248100ff7f77", "forwarded, refused by the BMS");
    const random = parseInt(send(encodeModuleFrame(FFAA.random, [])).slice(8, 10), 16);
    assert.equal(send(encodeModuleFrame(FFAA.rootPassword, expectedPassword(ROOT_PASSWORD_TEXT, mac, random))).slice(8, 10), "00");
    assert.equal(send(ENTER), "dd000000000077");
    assert.equal(send(write(0x24, 3600)), "dd240000000077");
    assert.ok(bms.stats.auth.rootGated >= 1);
  });
});
