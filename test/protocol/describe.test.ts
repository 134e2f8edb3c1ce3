// What the decode CLI and the console say about pasted frames, and the CLI itself.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { describeFrames } from "../../modules/protocol/describe";
import { bytes } from "./vectors";

const BASIC_INFO = "dd03001d0618000001f201f400002c7c00000000000080640304030b8b0b8a0b84fa8d77";
const says = (hex: string) => describeFrames(bytes(hex)).map((line) => JSON.parse(line));

describe("describeFrames", () => {
  test("a good reply is decoded, a request is named", () => {
    const [info, request] = says(BASIC_INFO + "dda50300fffd77");
    assert.equal(info.type, "basicInfo");
    assert.equal(info.voltage, 15.6);
    assert.deepEqual(request, { type: "request", access: "read", register: "0x03", meaning: "basic info", data: "" });
  });

  test("MOS requests say which FETs they switch", () => {
    assert.deepEqual(says("dd5ae1020002ff1b77")[0].mos, { charge: true, discharge: false });
    const [fb] = says("dd5afb020101ff0177");
    assert.equal(fb.fet, "charge");
    assert.equal(fb.on, false);
  });

  test("acks, register values and length-prefixed strings", () => {
    assert.deepEqual(says("dde10000000077")[0], { type: "ack", cmd: "0xe1", meaning: "MOS control" });
    assert.equal(says("dd1000026d60ff3177")[0].value, 28000);
    assert.equal(says("dda000060544474a4244fe9a77")[0].text, "DGJBD");
  });

  test("errors name what is wrong", () => {
    const error = (hex: string) => says(hex).map((x) => x.error);
    assert.deepEqual(error(BASIC_INFO.replace(/fa8d77$/, "fa8e77")), ["bad checksum: expected 0xfa8d, got 0xfa8e"]);
    assert.deepEqual(error(BASIC_INFO.replace(/77$/, "78")),
      ["wrong end byte: byte 36 is 0x78, expected 0x77 (length byte 0x1d = 29 data bytes, so the frame is 36 bytes)"]);
    assert.deepEqual(error(BASIC_INFO.slice(0, 40)),
      ["truncated: have 20 of 36 bytes (length byte 0x1d = 29 data bytes, so the frame is 36 bytes)"]);
    assert.deepEqual(error("dd03"), ["truncated: have 2 bytes, a frame has at least 7"]);
    assert.deepEqual(error("dd248100ff7f77"),
      ["error status 0x81: invalid operation (not in factory mode or password mismatch), in reply to 0x24"]);
    assert.deepEqual(error("dde38000ff8077"), ["error status 0x80: command not supported, in reply to 0xe3 (reset)"]);
    assert.deepEqual(error("ffaa1701374e"),
      ["not a JBD frame: ffaa1701374e is the BLE module's own FF AA protocol (random number), not a BMS frame"], "a bad sum");
    assert.deepEqual(error("0102"), ["not a JBD frame: 2 byte(s) 0102 do not start with 0xdd"]);
    assert.deepEqual(error("dd0342"), ["not a JBD frame: 0xdd followed by 0x03 0x42 is neither a reply " +
      "(status 0x00, 0x80-0x83) nor a request (0xa5 read, 0x5a write): dd0342"]);
    assert.deepEqual(error("dd0300020000fffe77"), ["0x03 payload too short: 2 bytes, at least 23"]);
  });

  test("the BLE module's FF AA login frames (captured, jbd-frames.json) say which step and what came of it", () => {
    assert.deepEqual(says("ffaa15063030303030303b"), [{ module: "app key", cmd: "0x15", request: "000000" }]);
    assert.deepEqual(says("ffaa15010016"), [{ module: "app key", cmd: "0x15", reply: "password required" }]);
    assert.deepEqual(says("ffaa170017"), [{ module: "random number", cmd: "0x17", request: true }]);
    assert.deepEqual(says("ffaa1701374f"), [{ module: "random number", cmd: "0x17", random: 0x37 }]);
    assert.deepEqual(says("ffaa1806cc2a3b6c56c4d5"), [{ module: "password", cmd: "0x18", request: "cc2a3b6c56c4" }], "derived bytes, not decoded");
    assert.deepEqual(says("ffaa18010019"), [{ module: "password", cmd: "0x18", reply: "accepted" }]);
    assert.deepEqual(says("ffaa1801011a"), [{ module: "password", cmd: "0x18", reply: "rejected" }]);
    assert.deepEqual(says("ffaa1d01001e"), [{ module: "root password", cmd: "0x1d", reply: "accepted" }]);
    assert.deepEqual(says("ffaa16010017"), [{ module: "change BLE password", cmd: "0x16", reply: "accepted" }]);
    assert.deepEqual(says("ffaa15010016" + BASIC_INFO).map((x) => x.module ?? x.type), ["app key", "basicInfo"], "mixed with JBD frames");
  });

  test("garbage around frames is reported separately and the frames still decode", () => {
    const lines = says("0102" + BASIC_INFO + "ffaa");
    assert.deepEqual(lines.map((x) => x.type ?? "error"), ["error", "basicInfo", "error"]);
  });
});

describe("npm run decode", () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const run = (args: string[], input?: string) => spawnSync(process.execPath, ["--import", "tsx", "scripts/decode.ts", ...args],
    { cwd: root, input, encoding: "utf8", env: { ...process.env, TSX_TSCONFIG_PATH: "test/tsconfig.json" } });

  test("arguments: one JSON object per frame; spaced single bytes form one frame; exit 1 on errors", () => {
    const ok = run([BASIC_INFO, "dd", "a5", "03", "00", "ff", "fd", "77"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(ok.stdout.trim().split("\n").map((l) => JSON.parse(l).type), ["basicInfo", "request"]);
    const bad = run(["dd248100ff7f77", "xyz"]);
    assert.equal(bad.status, 1);
    assert.deepEqual(bad.stdout.trim().split("\n").map((l) => JSON.parse(l).error.split(":")[0]), ["error status 0x81", "not hex"]);
  });

  test("standard input: hex lines, blank and # lines skipped", () => {
    const result = run([], `# captured\n\nDD:E1:00:00:00:00:77\n0xdd 0x04 0x00 0x02 0x0d 0x03 0xff 0xee 0x77\n`);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((x) => x.type), ["ack", "cells"]);
    assert.deepEqual(lines[1].cells, [3.331]);
  });
});
