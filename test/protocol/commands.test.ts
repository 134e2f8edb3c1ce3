// Request builders against the captured requests, and hex parsing/printing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ENTER_FACTORY, EXIT_FACTORY, FB_BOTH, FB_CHARGE, FB_DISCHARGE, FB_PRE_DISCHARGE, READ_BASIC_INFO, READ_CELLS,
  READ_ERROR_COUNTERS, READ_HARDWARE, buildRequest, mosFbRequest, mosRequest, parseHex, toHex,
} from "../../modules/protocol/commands";
import { checkFrame } from "../../modules/protocol/frame-check";
import { REQUESTS } from "./vectors";

const hexOf = (buffer: ArrayBuffer) => Buffer.from(buffer).toString("hex");
/** The captured request whose source describes it with `meaning` matching. */
const captured = (meaning: RegExp) => REQUESTS.find((v) => meaning.test(String(v.expected.meaning)))!.hex;

describe("prebuilt requests match the captures", () => {
  test("reads", () => {
    assert.equal(hexOf(READ_BASIC_INFO), captured(/read basic info/));
    assert.equal(hexOf(READ_CELLS), captured(/read cell voltages/));
    assert.equal(hexOf(READ_HARDWARE), captured(/read hardware version/));
    assert.equal(hexOf(READ_ERROR_COUNTERS), captured(/error counters/));
  });

  test("factory mode enter and exit without saving", () => {
    assert.equal(hexOf(ENTER_FACTORY), captured(/enter factory mode/));
    assert.equal(hexOf(EXIT_FACTORY), captured(/Exit factory without writing/));
  });

  test("0xE1: a set bit switches a FET off", () => {
    assert.equal(hexOf(mosRequest(true, true)), captured(/Charging on \/ Discharging on/));
    assert.equal(hexOf(mosRequest(false, true)), captured(/^Charging off/));
    assert.equal(hexOf(mosRequest(true, false)), captured(/^Discharging off/));
    assert.equal(hexOf(mosRequest(false, false)), "dd5ae1020003ff1a77");
    assert.equal(checkFrame(new Uint8Array(mosRequest(false, false))).verdict, "ok");
  });

  test("0xE1 requests are built once and handed out again", () => {
    assert.equal(mosRequest(false, true), mosRequest(false, true));
  });

  test("0xFB: target, then 0 = on, 1 = off", () => {
    assert.equal(hexOf(mosFbRequest(FB_CHARGE, false)), captured(/newer MOS control cmd 0xFB/));
    for (const fet of [FB_DISCHARGE, FB_CHARGE, FB_PRE_DISCHARGE, FB_BOTH]) {
      for (const on of [true, false]) {
        assert.equal(hexOf(mosFbRequest(fet, on)), hexOf(buildRequest(true, 0xfb, [fet, on ? 0 : 1])));
      }
    }
    assert.throws(() => mosFbRequest(2, true), /no FET target 0x2/);
  });

  test("every buffer is exactly one frame long", () => {
    for (const buffer of [READ_BASIC_INFO, EXIT_FACTORY, mosRequest(true, false), mosFbRequest(FB_BOTH, true)]) {
      assert.equal(buffer.byteLength, new Uint8Array(buffer)[3] + 7);
    }
  });
});

describe("buildRequest", () => {
  test("rebuilds every captured request", () => {
    for (const v of REQUESTS) {
      const frame = Buffer.from(v.hex, "hex");
      assert.equal(hexOf(buildRequest(frame[1] === 0x5a, frame[2], frame.subarray(4, 4 + frame[3]))), v.hex);
    }
  });

  test("rejects what is not a byte", () => {
    assert.throws(() => buildRequest(false, 256, []), RangeError);
    assert.throws(() => buildRequest(true, 1, [0, 300]), /data byte 300/);
    assert.throws(() => buildRequest(true, 1, new Uint8Array(256)), /at most 255/);
  });
});

describe("hex", () => {
  test("reads what people paste", () => {
    for (const text of ["dda50300fffd77", "DD A5 03 00 FF FD 77", "dd:a5:03:00:ff:fd:77", "0xDD 0xA5 0x03 0x00 0xFF 0xFD 0x77",
      "dd,a5,03,00,ff,fd,77", "  dd a5\t0300 fffd77\n", "dd a5 3 0 ff fd 77"]) {
      assert.deepEqual(parseHex(text), Uint8Array.of(0xdd, 0xa5, 0x03, 0x00, 0xff, 0xfd, 0x77), text);
    }
    assert.deepEqual(parseHex(""), new Uint8Array(0));
  });

  test("says what is wrong", () => {
    assert.equal(parseHex("dd a5 zz"), "not hex: 'z' at position 7");
    assert.equal(parseHex("dda"), "odd number of hex digits in 'dda'");
    assert.equal(parseHex("0x"), "'0x' has no hex digits");
  });

  test("prints lowercase pairs, optionally a range", () => {
    const b = Uint8Array.of(0xdd, 0x0a, 0xff);
    assert.equal(toHex(b), "dd0aff");
    assert.equal(toHex(b, 1, 2), "0a");
  });
});
