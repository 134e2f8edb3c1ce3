// Login frames, for what auth.test.ts leaves open and mutation testing would find: every argument a
// frame builder refuses, with the reason a caller logs (a bad PIN from the configuration must never
// become a frame), at the edges of each range; an FF AA frame found inside a longer buffer.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  appKeyRequest, bmsPasswordRequest, changePasswordRequest, decodePassword, encodePassword, isModuleFrame, moduleRequest,
  rootPasswordRequest, userPasswordRequest,
} from "../../modules/protocol/auth";

const MAC = new Uint8Array([0xa4, 0xc1, 0x38, 0x01, 0x02, 0x03]);
const refuses = (fn: () => unknown, message: string) => assert.throws(fn, (e: unknown) => e instanceof RangeError && e.message === message, message);

test("module frames: a command and data bytes 0..255 only, at most 255 of them", () => {
  assert.deepEqual(Array.from(moduleRequest(0, [])), [0xff, 0xaa, 0, 0, 0]);
  assert.deepEqual(Array.from(moduleRequest(0xff, [0xff])), [0xff, 0xaa, 0xff, 1, 0xff, 0xff]);
  refuses(() => moduleRequest(-1, []), "command -1 is not a byte");
  refuses(() => moduleRequest(0x100, []), "command 256 is not a byte");
  refuses(() => moduleRequest(NaN, []), "command NaN is not a byte");
  refuses(() => moduleRequest(0x17, [0x100]), "data byte 256 is not a byte");
  refuses(() => moduleRequest(0x17, [-1]), "data byte -1 is not a byte");
  assert.equal(moduleRequest(0x17, new Array(255).fill(1)).length, 255 + 5);
  refuses(() => moduleRequest(0x17, new Array(256).fill(1)), "256 data bytes, at most 255");
});

test("an FF AA frame: whole, from its start, with its length and sum; inside a longer buffer", () => {
  const frame = Array.from(moduleRequest(0x17, [1, 2, 3]));
  assert.equal(isModuleFrame(frame), true);
  const buffer = [0xdd, 0x77, ...frame, 0x00];
  assert.equal(isModuleFrame(buffer, 2, frame.length), true, "at an offset, with its length");
  assert.equal(isModuleFrame(buffer, 2), false, "to the end of the buffer: one byte too many");
  assert.equal(isModuleFrame(buffer.slice(0, -1), 2), true, "to the end of the buffer, exactly");
  assert.equal(isModuleFrame(frame.slice(0, 4)), false, "shorter than a frame");
  assert.equal(isModuleFrame([0xfe, ...frame.slice(1)]), false, "first byte");
  assert.equal(isModuleFrame([0xff, 0xab, ...frame.slice(2)]), false, "second byte");
  assert.equal(isModuleFrame([...frame.slice(0, 3), 4, ...frame.slice(4)]), false, "a length that disagrees");
  assert.equal(isModuleFrame([...frame.slice(0, -1), (frame.at(-1)! + 1) & 0xff]), false, "a wrong sum");
});

test("passwords: the MAC has 6 bytes, the random byte is 0..255, text is ASCII", () => {
  assert.deepEqual(encodePassword("A", MAC, 0), [0xa4 ^ 0x41]);
  assert.deepEqual(encodePassword("A", MAC, 255), [((0xa4 ^ 0x41) + 255) & 0xff]);
  refuses(() => encodePassword("A", MAC, 256), "random 256 is not a byte");
  refuses(() => encodePassword("A", MAC, -1), "random -1 is not a byte");
  refuses(() => encodePassword("A", MAC, 1.5), "random 1.5 is not a byte");
  refuses(() => encodePassword("A", MAC.subarray(0, 5), 1), "a MAC has 6 bytes, not 5");
  refuses(() => decodePassword([1], new Uint8Array(7), 1), "a MAC has 6 bytes, not 7");
  refuses(() => decodePassword([1], MAC, 300), "random 300 is not a byte");
  refuses(() => encodePassword("é", MAC, 1), "'é' is not ASCII");
  assert.deepEqual(encodePassword("\x7f", MAC, 0), [0xa4 ^ 0x7f], "0x7F is still ASCII");
  assert.equal(decodePassword(encodePassword("JBDbtpwd!@#2023", MAC, 77), MAC, 77), "JBDbtpwd!@#2023");
});

test("each builder refuses what is not its kind of password, saying which", () => {
  refuses(() => appKeyRequest("12345"), "an app key is six letters or digits");
  refuses(() => userPasswordRequest("abc", MAC, 1), "a module password is six letters or digits");
  refuses(() => changePasswordRequest("abcdefg"), "a module password is six letters or digits");
  refuses(() => bmsPasswordRequest("12345a"), "a BMS password is six digits");
  refuses(() => rootPasswordRequest(MAC, 1, ""), "a root password has 1..255 characters");
  refuses(() => rootPasswordRequest(MAC, 1, "x".repeat(256)), "a root password has 1..255 characters");
  assert.equal(rootPasswordRequest(MAC, 1, "x".repeat(255)).length, 255 + 5);
  assert.equal(rootPasswordRequest(MAC, 1, "x").length, 1 + 5);
});
