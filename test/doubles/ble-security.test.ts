// The bleclient and sm doubles' security path against the SDK source (bleclient.js securityParameters
// and callback(), nimble/modBLEClient.c xs_ble_client_set_security_parameters, passkeyEvent,
// encryptionChangeEvent, nimble_gap_event, nimble/modBLESM.c deleteBonding). A tiny host stands in
// for NimBLE, as in ble-record.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { attachHost, type HostOp } from "./runtime";
import { ev, turn } from "./host-turns";
import BLEClient, { type Client } from "./bleclient";
import SM from "./sm";
import { address, type Bytes } from "./btutils";

const bonds = new Set<string>(["33221138c1a4:0"]);
attachHost((op) => {
  switch (op[0]) {
    case "ble.connActive": return false;
    case "ble.random": return 41;
    case "ble.deleteBond": {
      const key = op[1] === null ? [...bonds][0] : `${op[1]}:${op[2]}`;
      return key !== undefined && bonds.delete(key);
    }
    default: return null;
  }
});

const WIRE = "33221138c1a4";
const target = { address: address`A4:C1:38:11:22:33`, addressType: 0 };

class Probe extends BLEClient {
  calls: string[] = [];
  answer: unknown = 123456;
  override onConnected(_c: Client) { this.calls.push("connected"); }
  override onSecurityParameters(p: object) { this.calls.push("securityParameters " + JSON.stringify(p)); }
  override onPasskeyRequested(p: { address: Bytes }) { this.calls.push("passkeyRequested " + String(p.address)); return this.answer; }
  override onPasskeyDisplay(p: { passkey: number }) { this.calls.push("passkeyDisplay " + p.passkey); }
  override onPasskeyConfirm(p: { passkey: number }) { this.calls.push("passkeyConfirm " + p.passkey); }
  override onAuthenticated(p: { bonded: boolean }) { this.calls.push("authenticated " + p.bonded); }
  override onBondingDeleted(p: { address: Bytes; addressType: number }) { this.calls.push("bondingDeleted " + String(p.address) + " " + p.addressType); }
}

const ble = new Probe();
turn();

test("securityParameters: {} turns encryption on (bleclient.js defaults); mitm posts onSecurityParameters on a later turn", () => {
  ble.securityParameters = {};
  const ops = turn();
  assert.deepEqual(ops.find((op) => op[0] === "ble.security"), ["ble.security", true, false, false, 0]);
  assert.deepEqual(ble.calls, [], "no onSecurityParameters without mitm");
  ble.connect(target);
  assert.deepEqual(turn().find((op) => op[0] === "ble.connect"), ["ble.connect", WIRE, 0, true], "the connect starts security");
  ble.securityParameters = { encryption: true, bonding: true, mitm: true, ioCapability: 3 };
  turn();
  assert.deepEqual(ble.calls, ['securityParameters {"encryption":true,"bonding":true,"mitm":true}']);
  ble.securityParameters = { encryption: false };
  turn();
  ev("ble.connectEvent", 0, 7, WIRE, 0);
  assert.deepEqual(ble.calls.slice(1), ["connected"]);
  ble.calls.length = 0;
});

test("a passkey request injects onPasskeyRequested's return value as an integer; KeyboardOnly drops the request", () => {
  ble.securityParameters = { encryption: true, mitm: true, ioCapability: 3 };
  turn();
  ble.calls.length = 0;
  ev("ble.passkeyAction", 7, "input", 0);
  assert.deepEqual(turn().find((op) => op[0] === "ble.passkeyInject"), ["ble.passkeyInject", 7, "input", 123456]);
  assert.deepEqual(ble.calls, ["passkeyRequested A4:C1:38:11:22:33"]);
  ble.answer = "000042"; // xsmcToInteger of a string
  ev("ble.passkeyAction", 7, "input", 0);
  assert.deepEqual(turn().find((op) => op[0] === "ble.passkeyInject"), ["ble.passkeyInject", 7, "input", 42]);
  ble.answer = undefined; // the SDK's default callback returns nothing: 0 is injected
  ev("ble.passkeyAction", 7, "input", 0);
  assert.deepEqual(turn().find((op) => op[0] === "ble.passkeyInject"), ["ble.passkeyInject", 7, "input", 0]);
  ble.securityParameters = { encryption: true, mitm: true, ioCapability: 2 };
  turn();
  ble.calls.length = 0;
  ev("ble.passkeyAction", 7, "input", 0);
  assert.equal(turn().find((op) => op[0] === "ble.passkeyInject"), undefined, "KeyboardOnly: onPasskeyInput, which the client drops");
  assert.deepEqual(ble.calls, []);
  ev("ble.passkeyAction", 7, "display", 0);
  assert.deepEqual(turn().find((op) => op[0] === "ble.passkeyInject"), ["ble.passkeyInject", 7, "display", 42], "(c_rand() % 999999) + 1");
  ev("ble.passkeyAction", 7, "numcmp", 654321);
  assert.deepEqual(ble.calls, ["passkeyDisplay 42", "passkeyConfirm 654321"]);
  ev("ble.passkeyAction", 9, "input", 0);
  const fatal = turn().find((op) => op[0] === "fatal");
  assert.match(String(fatal?.[2]), /connection not found/, "an unknown connection throws out of the event: the VM aborts");
  ble.calls.length = 0;
});

test("only a successful encryption change reaches JavaScript: a failed pairing calls nothing", () => {
  ev("ble.encChange", 7, 0x504, false, false);
  ev("ble.encChange", 7, 0x206, false, false);
  assert.deepEqual(ble.calls, []);
  ev("ble.encChange", 7, 0, true, true);
  assert.deepEqual(ble.calls, ["authenticated true"]);
  assert.throws(() => ble.passkeyReply(address`A4:C1:38:00:00:09`, true), /connection not found/);
  ble.passkeyReply(target.address, true);
  assert.deepEqual(turn().find((op) => op[0] === "ble.passkeyInject"), ["ble.passkeyInject", 7, "numcmp", true]);
  ble.calls.length = 0;
});

test("SM.deleteBonding: onBondingDeleted on a later turn when a bond matched, nothing when none; deleteAllBondings panics", () => {
  SM.deleteBonding(target.address, 1);
  turn();
  assert.deepEqual(ble.calls, [], "the address type must match too");
  SM.deleteBonding(target.address);
  assert.deepEqual(ble.calls, [], "not at once");
  turn();
  assert.deepEqual(ble.calls, ["bondingDeleted A4:C1:38:11:22:33 0"]);
  SM.deleteBonding(target.address);
  turn();
  assert.equal(ble.calls.length, 1, "no second callback: the bond is gone");
  bonds.add("00:0");
  SM.deleteAllBondings();
  assert.ok(turn().some((op) => op[0] === "panic"), "one bond deleted, then the NULL address is copied");
});
