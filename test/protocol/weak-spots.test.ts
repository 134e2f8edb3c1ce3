// What the protocol core promises and the other protocol tests left open (found by mutation
// testing, npm run mutate -- protocol): every name the decode CLI gives, every status text, the
// exact boundaries of the frame check and the decoders, and the value checks of buildRequest.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeFrames } from "../../modules/protocol/describe";
import { checkFrame } from "../../modules/protocol/frame-check";
import { checksum, statusText } from "../../modules/protocol/frame";
import { buildRequest, mosFbRequest, mosRequest, FB_BOTH, FB_CHARGE, FB_DISCHARGE, FB_PRE_DISCHARGE } from "../../modules/protocol/commands";
import { ErrorCounters, decodeErrorCounters, MAX_ERROR_COUNTERS } from "../../modules/protocol/error-counters";
import { HardwareVersion, decodeHardware } from "../../modules/protocol/hardware";
import { CellVoltages, decodeCells } from "../../modules/protocol/cells";
import { parseHex } from "../../modules/protocol/hex";

/** A frame with a correct checksum: DD cmd status len data cks 77. */
function frame(cmd: number, status: number, data: number[]): Uint8Array {
  const f = new Uint8Array(data.length + 7);
  f.set([0xdd, cmd, status, data.length, ...data]);
  const sum = checksum(f, 2, 4 + data.length);
  f[4 + data.length] = sum >> 8;
  f[5 + data.length] = sum & 0xff;
  f[6 + data.length] = 0x77;
  return f;
}
const says = (bytes: Uint8Array) => describeFrames(bytes).map((line) => JSON.parse(line));
const request = (write: boolean, reg: number, data: number[] = []) => says(new Uint8Array(buildRequest(write, reg, data)))[0];

describe("the decode CLI's names", () => {
  test("every register it knows, in requests and in acks", () => {
    const names: Record<number, string> = {
      0x00: "enter factory mode", 0x01: "exit factory mode", 0x03: "basic info", 0x04: "cell voltages",
      0x05: "hardware version", 0x06: "BMS password", 0x07: "change BMS password", 0x09: "clear BMS password",
      0x0a: "control function", 0xa0: "manufacturer", 0xa1: "model", 0xa2: "barcode", 0xaa: "error counters",
      0xe1: "MOS control", 0xe3: "reset", 0xfa: "parameter read/write", 0xfb: "MOS control (0xFB)",
    };
    for (const [reg, meaning] of Object.entries(names).map(([r, m]) => [Number(r), m] as const)) {
      assert.deepEqual(request(false, reg), { type: "request", access: "read", register: "0x" + reg.toString(16).padStart(2, "0"), meaning, data: "" });
      assert.equal(request(true, reg, [0x12]).access, "write");
      assert.equal(request(true, reg, [0x12]).data, "12");
      if (reg !== 0x03 && reg !== 0x04 && reg !== 0x05 && reg !== 0xaa) {
        assert.deepEqual(says(frame(reg, 0, []))[0], { type: "ack", cmd: "0x" + reg.toString(16).padStart(2, "0"), meaning });
      }
    }
    assert.deepEqual(request(false, 0x42), { type: "request", access: "read", register: "0x42", data: "" }, "no meaning for an unknown register");
    assert.deepEqual(says(frame(0x42, 0, []))[0], { type: "ack", cmd: "0x42" });
  });

  test("0xE1 requests: both FETs for each data value; 0xFB requests: target and state", () => {
    for (const charge of [true, false]) {
      for (const discharge of [true, false]) {
        assert.deepEqual(says(new Uint8Array(mosRequest(charge, discharge)))[0].mos, { charge, discharge });
      }
    }
    const names: [number, string][] = [[FB_DISCHARGE, "discharge"], [FB_CHARGE, "charge"], [FB_PRE_DISCHARGE, "preDischarge"], [FB_BOTH, "both"]];
    for (const [target, name] of names) {
      for (const on of [true, false]) {
        const r = says(new Uint8Array(mosFbRequest(target, on)))[0];
        assert.deepEqual([r.fet, r.on, r.mos], [name, on, undefined]);
      }
    }
    assert.equal(request(true, 0xfb, [0x07, 0x00]).fet, "0x07", "an unknown target by number");
    // only a 2-byte write to that register is a MOS command
    for (const [write, reg, data] of [[false, 0xe1, [0, 1]], [true, 0xe1, [0]], [true, 0xe2, [0, 1]], [false, 0xfb, [0, 1]], [true, 0xfb, [0, 1, 2]], [true, 0xfa, [1, 0]]] as const) {
      const r = request(write, reg, [...data]);
      assert.equal(r.mos, undefined, JSON.stringify(r));
      assert.equal(r.fet, undefined, JSON.stringify(r));
    }
  });

  test("the BLE module's own FF AA commands", () => {
    const names: Record<number, string> = { 0x07: "rename module", 0x15: "app key", 0x16: "change BLE password", 0x17: "random number", 0x18: "password", 0x1d: "root password" };
    for (const [cmd, name] of Object.entries(names)) {
      const hex = "ffaa" + Number(cmd).toString(16).padStart(2, "0") + "0100";
      assert.deepEqual(says(parseHex(hex) as Uint8Array), [{ error: `not a JBD frame: ${hex} is the BLE module's own FF AA protocol (${name}), not a BMS frame` }]);
    }
    assert.match(says(parseHex("ffaa30") as Uint8Array)[0].error, /\(command 0x30\)/);
    assert.match(says(parseHex("ffab17") as Uint8Array)[0].error, /^not a JBD frame: 3 byte\(s\) ffab17 do not start with 0xdd$/);
    assert.match(says(parseHex("feaa17") as Uint8Array)[0].error, /^not a JBD frame: 3 byte\(s\)/);
  });

  test("long garbage is shown as its first 24 bytes and counted in full", () => {
    const bytes = (n: number) => new Uint8Array(n).fill(0x11);
    assert.equal(says(bytes(24))[0].error, `not a JBD frame: 24 byte(s) ${"11".repeat(24)} do not start with 0xdd`);
    assert.equal(says(bytes(25))[0].error, `not a JBD frame: 25 byte(s) ${"11".repeat(24)}... do not start with 0xdd`);
    // garbage runs up to the next 0xDD
    const mixed = new Uint8Array([0x01, 0x02, 0x03, ...frame(0xe1, 0, []), 0x04]);
    assert.deepEqual(says(mixed).map((x) => x.error ?? x.type), ["not a JBD frame: 3 byte(s) 010203 do not start with 0xdd", "ack",
      "not a JBD frame: 1 byte(s) 04 do not start with 0xdd"]);
    // a stray 0xDD with a bad header, then a good frame
    const stray = new Uint8Array([0xdd, 0x03, 0x42, 0x11, ...frame(0xe1, 0, [])]);
    assert.deepEqual(says(stray).map((x) => x.type ?? "error"), ["error", "ack"]);
  });

  test("register values and strings in other replies", () => {
    assert.deepEqual(says(frame(0x10, 0, [0x6d, 0x60]))[0], { type: "reply", cmd: "0x10", data: "6d60", value: 28000 });
    assert.deepEqual(says(frame(0x10, 0, [0x6d, 0x60, 0x01]))[0], { type: "reply", cmd: "0x10", data: "6d6001" }, "a value only for 2 bytes");
    assert.equal(says(frame(0xa1, 0, [3, 0x41, 0x42, 0x43]))[0].text, "ABC", "a string that fills the payload");
    assert.equal(says(frame(0xa1, 0, [4, 0x41, 0x42, 0x43]))[0].text, undefined, "a length byte beyond the payload: no string");
    assert.equal(says(frame(0xa2, 0, [1, 0x41, 0x42]))[0].text, "A");
    assert.equal(says(frame(0x10, 0, [1, 0x41, 0x42]))[0].text, undefined, "only string registers");
  });

  test("payload problems of 0x03, 0x04 and 0xAA are named", () => {
    const info = (length: number, ntc: number) => {
      const data = new Array(length).fill(0);
      if (length > 22) data[22] = ntc;
      return says(frame(0x03, 0, data))[0].error;
    };
    assert.equal(info(22, 0), "0x03 payload too short: 22 bytes, at least 23");
    assert.equal(info(23, 0), undefined, "23 bytes without sensors is a reading");
    assert.equal(info(23, 9), "0x03 reply claims 9 temperature sensors, at most 8");
    assert.equal(info(38, 8), "0x03 payload too short: 38 bytes for 8 temperature sensors, needs 39");
    assert.equal(info(39, 8), undefined, "39 bytes carry 8 sensors");
    assert.equal(info(24, 1), "0x03 payload too short: 24 bytes for 1 temperature sensors, needs 25");
    assert.equal(says(frame(0x04, 0, [1, 2, 3]))[0].error, "0x04 payload of 3 bytes is not 2 bytes for each of at most 32 cells");
    assert.equal(says(frame(0xaa, 0, [1, 2, 3]))[0].error, "0xaa payload of 3 bytes is not 2 bytes for each of at most 16 counters");
    assert.equal(says(frame(0x04, 0, [0x0c, 0xe4]))[0].type, "cells");
    assert.equal(says(frame(0x05, 0, [0x41]))[0].type, "hardware");
    assert.equal(says(frame(0xaa, 0, [0, 1]))[0].type, "errorCounters");
  });

  test("every status byte's meaning", () => {
    assert.equal(statusText(0x00), "ok");
    assert.equal(statusText(0x80), "command not supported");
    assert.equal(statusText(0x81), "invalid operation (not in factory mode or password mismatch)");
    assert.equal(statusText(0x82), "checksum error reported by BMS");
    assert.equal(statusText(0x83), "password error");
    assert.equal(statusText(0x84), "unknown error status");
    assert.deepEqual(says(frame(0x03, 0x82, [])), [{ error: "error status 0x82: checksum error reported by BMS, in reply to 0x03 (basic info)" }]);
    assert.deepEqual(says(frame(0x03, 0x83, [])), [{ error: "error status 0x83: password error, in reply to 0x03 (basic info)" }]);
    assert.match(says(frame(0x03, 0x84, []))[0].error, /^not a JBD frame: 0xdd followed by 0x03 0x84/);
  });
});

describe("frame check boundaries", () => {
  test("verdicts at every length of a short input", () => {
    const good = frame(0x03, 0, [1, 2]);
    assert.deepEqual(checkFrame(new Uint8Array([])), { verdict: "notFrame", length: 0, available: 0 });
    assert.deepEqual(checkFrame(new Uint8Array([0xdd])), { verdict: "truncated", length: 0, available: 1 });
    assert.deepEqual(checkFrame(new Uint8Array([0xdd, 0x03])), { verdict: "truncated", length: 0, available: 2 });
    assert.deepEqual(checkFrame(new Uint8Array([0xdd, 0x03, 0x00])), { verdict: "truncated", length: 0, available: 3 });
    assert.deepEqual(checkFrame(new Uint8Array([0xdd, 0x03, 0x42])), { verdict: "badHeader", length: 0, available: 3 });
    assert.deepEqual(checkFrame(new Uint8Array([0xdd, 0x03, 0x42, 0x00])), { verdict: "badHeader", length: 0, available: 4 });
    assert.deepEqual(checkFrame(good.subarray(0, 4)), { verdict: "truncated", length: 9, available: 4 });
    assert.deepEqual(checkFrame(good.subarray(0, 8)), { verdict: "truncated", length: 9, available: 8 });
    assert.deepEqual(checkFrame(good), { verdict: "ok", length: 9, available: 9 });
    // at an offset: available counts from there
    const padded = new Uint8Array([0x00, 0x11, ...good]);
    assert.deepEqual(checkFrame(padded, 2), { verdict: "ok", length: 9, available: 9 });
    assert.deepEqual(checkFrame(padded, 1), { verdict: "notFrame", length: 0, available: 10 });
    assert.deepEqual(checkFrame(padded, 11), { verdict: "notFrame", length: 0, available: 0 });
    const bad = good.slice();
    bad[6] ^= 1;
    assert.deepEqual(checkFrame(bad), { verdict: "badChecksum", length: 9, available: 9, expectedChecksum: checksum(good, 2, 6), foundChecksum: (bad[6] << 8) | bad[7] });
    // requests (A5/5A) and every reply status 0x80..0x83 are headers; 0x7f and 0x84 are not
    for (const [cmd, status, ok] of [[0xa5, 0x42, true], [0x5a, 0x42, true], [0x03, 0x80, true], [0x03, 0x83, true], [0x03, 0x7f, false], [0x03, 0x84, false]] as const) {
      assert.equal(checkFrame(new Uint8Array([0xdd, cmd, status, 0x00])).verdict !== "badHeader", ok, `${cmd} ${status}`);
    }
  });
});

describe("decoder and request boundaries", () => {
  test("0xAA: the number of counters follows the payload, at most 16, even length only", () => {
    const c = new ErrorCounters();
    assert.equal(decodeErrorCounters(frame(0xaa, 0, new Array(2 * MAX_ERROR_COUNTERS).fill(0).map((_, i) => i)), c), true);
    assert.equal(c.count, 16);
    assert.equal(c.values[15], (30 << 8) | 31);
    assert.equal(c.values[1], (2 << 8) | 3);
    assert.equal(decodeErrorCounters(frame(0xaa, 0, new Array(2 * MAX_ERROR_COUNTERS + 2).fill(0)), c), false, "17 counters");
    assert.equal(decodeErrorCounters(frame(0xaa, 0, [1, 2, 3]), c), false, "odd length");
    assert.equal(decodeErrorCounters(frame(0xaa, 0x80, []), c), false, "error status");
    assert.equal(decodeErrorCounters(frame(0x03, 0, [0, 1]), c), false, "another register");
    assert.equal(decodeErrorCounters(frame(0xaa, 0, [0, 7]), c), true);
    assert.deepEqual([c.count, c.values[0]], [1, 7]);
  });

  test("0x05 text stops at a NUL and only a 0x05 reply with status 0 is decoded", () => {
    const h = new HardwareVersion();
    assert.equal(decodeHardware(frame(0x05, 0, [0x41, 0x42, 0, 0x43]), h), true);
    assert.equal(h.text(), "AB");
    assert.equal(decodeHardware(frame(0x05, 0, [0x41, 0x42, 0x43]), h), true);
    assert.equal(h.text(), "ABC");
    assert.equal(decodeHardware(frame(0x05, 0x80, [0x41]), h), false);
    assert.equal(decodeHardware(frame(0x04, 0, [0x41]), h), false);
    assert.equal(h.text(), "ABC", "a refused frame leaves the last text");
  });

  test("0x04: the lowest cell is the first of equals", () => {
    const cells = new CellVoltages();
    assert.equal(decodeCells(frame(0x04, 0, [0x0c, 0xe4, 0x0c, 0xe0, 0x0c, 0xe0]), cells), true);
    assert.deepEqual(Array.from(cells.millivolts.slice(0, cells.count)), [3300, 3296, 3296]);
  });

  test("buildRequest takes bytes only: register 0..255, at most 255 data bytes 0..255", () => {
    assert.equal(new Uint8Array(buildRequest(false, 0xff, []))[2], 0xff);
    assert.equal(new Uint8Array(buildRequest(true, 0, [0xff]))[4], 0xff);
    assert.equal(new Uint8Array(buildRequest(true, 0, new Array(255).fill(0xff))).length, 262);
    assert.throws(() => buildRequest(false, 256, []), RangeError);
    assert.throws(() => buildRequest(false, -1, []), RangeError);
    assert.throws(() => buildRequest(true, 0, new Array(256).fill(0)), RangeError);
    assert.throws(() => buildRequest(true, 0, [256]), RangeError);
    assert.throws(() => buildRequest(true, 0, [-1]), RangeError);
    assert.throws(() => buildRequest(true, 0, [Number.NaN]), RangeError);
  });
});
