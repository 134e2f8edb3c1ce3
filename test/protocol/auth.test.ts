// Login frames of the three generations against the real captures: jbd-frames.json (login of
// esphome-jbd-bms docs/ffaa-auth-flow/root-password.txt, MAC a4:c1:37:04:2d:be, random 0x37), the other
// attempts of that session (communications2.txt) and the V1.3 module's two sessions
// (JBD-SP04S034L4S200A-V1.3-btsnoop_hci.log, MAC 10:a5:62:32:75:36), and the worked examples of facts §4.7.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  APP_KEY_NO_PASSWORD, APP_KEY_PASSWORD_REQUIRED, APP_KEY_REJECTED, FFAA_APP_KEY, FFAA_CHANGE_PASSWORD, FFAA_RANDOM,
  FFAA_RENAME, FFAA_ROOT_PASSWORD, FFAA_USER_PASSWORD, ROOT_PASSWORD, appKeyRequest, bmsPasswordRequest,
  changeBmsPasswordRequest, changePasswordRequest, clearPasswordRequest, decodePassword, isBmsPassword,
  isModuleFrame, isModulePassword, macBytes, moduleRequest, randomRequest, rootPasswordRequest, sum8,
  userPasswordRequest,
} from "../../modules/protocol/auth";
import { checkFrame } from "../../modules/protocol/frame-check";
import { VECTORS, bytes } from "./vectors";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const vector = (meaning: RegExp) => {
  const found = VECTORS.filter((v) => meaning.test(String(v.expected.meaning)));
  assert.equal(found.length, 1, `one vector for ${meaning}`);
  return found[0].hex;
};

const CAPTURE_MAC = "a4:c1:37:04:2d:be"; // root-password.txt, communications2.txt
const V13_MAC = "10:a5:62:32:75:36"; // the V1.3 module (PR #148 and its btsnoop log)

describe("constants", () => {
  test("commands, reply bytes and the root password as the facts give them", () => {
    assert.deepEqual([FFAA_APP_KEY, FFAA_CHANGE_PASSWORD, FFAA_RANDOM, FFAA_USER_PASSWORD, FFAA_ROOT_PASSWORD], [0x15, 0x16, 0x17, 0x18, 0x1d]);
    assert.deepEqual([APP_KEY_PASSWORD_REQUIRED, APP_KEY_REJECTED, APP_KEY_NO_PASSWORD], [0, 1, 2]);
    assert.equal(ROOT_PASSWORD, "JBDbtpwd!@#2023");
    assert.equal(ROOT_PASSWORD.length, 15);
  });
});

describe("FF AA requests: the captured login (jbd-frames.json)", () => {
  const mac = macBytes(CAPTURE_MAC)!;

  test("app key '000000' (default and explicit)", () => {
    assert.equal(hex(appKeyRequest()), vector(/^app key '000000'$/));
    assert.equal(hex(appKeyRequest("000000")), "ffaa15063030303030303b");
  });

  test("get random", () => {
    assert.equal(hex(randomRequest()), vector(/^get random byte$/));
  });

  test("user password '123123' with random 0x37", () => {
    const random = bytes(vector(/^random = 0x37$/))[4];
    assert.equal(random, 0x37);
    assert.equal(hex(userPasswordRequest("123123", mac, random)), vector(/^user password '123123' encrypted/));
  });

  test("root password with random 0x37", () => {
    assert.equal(hex(rootPasswordRequest(mac, 0x37)), vector(/^root password \(15 bytes\)/));
    assert.equal(hex(rootPasswordRequest(mac, 0x37, ROOT_PASSWORD)), vector(/^root password \(15 bytes\)/));
  });

  test("change password to '123123'", () => {
    assert.equal(hex(changePasswordRequest("123123")), vector(/^change BLE password to 123123$/));
  });

  test("every FF AA frame of the file, request or reply, has a right sum", () => {
    const ffaa = VECTORS.filter((v) => v.hex.startsWith("ffaa"));
    assert.ok(ffaa.length >= 11);
    for (const v of ffaa) assert.ok(isModuleFrame(bytes(v.hex)), v.hex);
    // replies: app key 00, random, password ok / NACK, root ok, change ok
    assert.deepEqual(ffaa.filter((v) => v.kind === "response").map((v) => v.hex),
      ["ffaa15010016", "ffaa1701374f", "ffaa18010019", "ffaa1801011a", "ffaa1d01001e", "ffaa16010017"]);
  });
});

describe("FF AA requests: the other captured attempts", () => {
  // communications2.txt: attempts 1-3 (NACK, NACK, ACK); the root password of attempt 3 reuses random 0x61
  const cases: [string, string, number, string][] = [
    [CAPTURE_MAC, "000000", 0x62, "ffaa1806f65369967ff0d5"],
    [CAPTURE_MAC, "111111", 0x21, "ffaa1806b6112756 3db04f"],
    [CAPTURE_MAC, "123412", 0x61, "ffaa1806f65465917dedc8"],
    // V1.3 module: PR #148 / btsnoop session 1 (0x24) and session 2 (0x45), both "123456"
    [V13_MAC, "123456", 0x24, "ffaa180645bb752a642445"],
    [V13_MAC, "123456", 0x45, "ffaa180666dc964b85450b"],
  ];
  for (const [address, password, random, expected] of cases) {
    test(`user password '${password}', random 0x${random.toString(16)}, MAC ${address}`, () => {
      const frame = userPasswordRequest(password, macBytes(address)!, random);
      assert.equal(hex(frame), expected.replace(/ /g, ""));
      assert.equal(decodePassword(frame.subarray(4, 10), macBytes(address)!, random), password);
    });
  }

  const roots: [string, number, string][] = [
    [CAPTURE_MAC, 0x61, "ffaa1d0f4fe4d4c7ba2fd8c582a18493919394 72"],
    [V13_MAC, 0xc9, "ffaa1d0f23b0ef19ca0f402dea09ecfbf9fbfc17"],
    [V13_MAC, 0xf3, "ffaa1d0f4dda1943f4396a5714331625232526 8d"],
  ];
  for (const [address, random, expected] of roots) {
    test(`root password, random 0x${random.toString(16)}, MAC ${address}`, () => {
      const frame = rootPasswordRequest(macBytes(address)!, random);
      assert.equal(hex(frame), expected.replace(/ /g, ""));
      assert.equal(decodePassword(frame.subarray(4, 19), macBytes(address)!, random), ROOT_PASSWORD);
    });
  }

  test("the sum wraps modulo 256 (the annotated capture's % 255 arithmetic is one off)", () => {
    // communications2.txt byte 2 of '000000': (0xC1 ^ 0x30) + 0x62 = 0x153 -> 0x53 as captured, not 0x54
    assert.equal(userPasswordRequest("000000", macBytes(CAPTURE_MAC)!, 0x62)[5], 0x53);
  });
});

describe("FF AA frames: worked examples of facts §4.7", () => {
  test("rename module 'XYZ' -> FF AA 07 03 'XYZ' 15", () => {
    assert.equal(hex(moduleRequest(FFAA_RENAME, [0x58, 0x59, 0x5a])), "ffaa070358595a15");
  });

  test("replies: app key 00, random, password ok / NACK, root ok", () => {
    for (const h of ["ffaa15010016", "ffaa18010019", "ffaa1801011a", "ffaa1d01001e", "ffaa16010017", "ffaa070007"]) {
      assert.ok(isModuleFrame(bytes(h)), h);
      assert.equal(hex(moduleRequest(bytes(h)[2], bytes(h).subarray(4, 4 + bytes(h)[3]))), h);
    }
  });

  test("sum8 over cmd, len and data only", () => {
    assert.equal(sum8([0xff, 0xaa, 0x17, 0x00], 2, 4), 0x17);
    assert.equal(sum8([0xff, 0xff], 0, 2), 0xfe);
  });

  test("isModuleFrame refuses a wrong sum, a wrong length, a DD frame", () => {
    assert.equal(isModuleFrame(bytes("ffaa1801011b")), false);
    assert.equal(isModuleFrame(bytes("ffaa18010119")), false);
    assert.equal(isModuleFrame(bytes("ffaa180100")), false);
    assert.equal(isModuleFrame(bytes("ffaa1802000019")), false);
    assert.equal(isModuleFrame(bytes("dd060000000077")), false);
    assert.equal(isModuleFrame(bytes("ffab18010019")), false);
  });

  test("builders refuse what no module takes", () => {
    const mac = macBytes(CAPTURE_MAC)!;
    assert.throws(() => moduleRequest(0x100, []), RangeError);
    assert.throws(() => moduleRequest(0x15, new Array(256).fill(0)), RangeError);
    assert.throws(() => moduleRequest(0x15, [256]), RangeError);
    assert.throws(() => userPasswordRequest("12345", mac, 1), RangeError);
    assert.throws(() => userPasswordRequest("123456", mac, 256), RangeError);
    assert.throws(() => userPasswordRequest("123456", mac, 1.5), RangeError);
    assert.throws(() => userPasswordRequest("123456", mac.subarray(0, 5), 1), RangeError);
    assert.throws(() => rootPasswordRequest(mac, -1), RangeError);
    assert.throws(() => rootPasswordRequest(mac, 1, ""), RangeError);
    assert.throws(() => appKeyRequest("00000"), RangeError);
    assert.throws(() => changePasswordRequest("12 456"), RangeError);
  });
});

describe("BMS password register (generation 1)", () => {
  test("DD 5A 06 with '765828' is the V11 example, '000000' the app's connect write", () => {
    assert.equal(hex(bmsPasswordRequest("765828")), vector(/^BMS password pairing with password 765828/));
    assert.equal(hex(bmsPasswordRequest("000000")), vector(/^app writes BMS password register 0x06/));
  });

  test("DD 5A 07 change 765828 -> 123456 is the V11 example", () => {
    assert.equal(hex(changeBmsPasswordRequest("765828", "123456")), vector(/^change password 765828 -> 123456$/));
  });

  test("DD 5A 09 'J1B2D4' is what the app writes after the root login", () => {
    assert.equal(hex(clearPasswordRequest()), vector(/^app writes clear_password register 0x09/));
  });

  test("all three are valid JBD requests", () => {
    for (const frame of [bmsPasswordRequest("123456"), changeBmsPasswordRequest("000000", "999999"), clearPasswordRequest()]) {
      assert.equal(checkFrame(frame).verdict, "ok", hex(frame));
    }
  });

  test("only six digits", () => {
    for (const bad of ["12345", "1234567", "12345a", "12 456", "١٢٣٤٥٦"]) assert.throws(() => bmsPasswordRequest(bad), RangeError, bad);
    assert.throws(() => changeBmsPasswordRequest("123456", "abcdef"), RangeError);
  });
});

describe("password syntax", () => {
  test("module passwords: six letters or digits (esphome-jbd-bms validate_password)", () => {
    for (const ok of ["123456", "000000", "abcDEF", "a1B2c3", "zzzzzz", "ZZZZZZ"]) assert.ok(isModulePassword(ok), ok);
    for (const bad of ["", "12345", "1234567", "12345!", "12 456", "12345é", "ß23456", "@23456", "[23456", "`23456", "{23456", "/23456", ":23456"]) {
      assert.equal(isModulePassword(bad), false, bad);
    }
  });

  test("BMS passwords: six digits", () => {
    for (const ok of ["123456", "000000", "765828", "999999"]) assert.ok(isBmsPassword(ok), ok);
    for (const bad of ["", "12345", "1234567", "12345a", "abcdef", "/23456", ":23456", "12345 "]) assert.equal(isBmsPassword(bad), false, bad);
  });
});

describe("macBytes", () => {
  test("printed order, either case, ':' or '-'", () => {
    assert.deepEqual(Array.from(macBytes("a4:c1:38:5a:00:01")!), [0xa4, 0xc1, 0x38, 0x5a, 0x00, 0x01]);
    assert.deepEqual(Array.from(macBytes("A4:C1:37:04:2D:BE")!), [0xa4, 0xc1, 0x37, 0x04, 0x2d, 0xbe]);
    assert.deepEqual(Array.from(macBytes("10-a5-62-32-75-36")!), [0x10, 0xa5, 0x62, 0x32, 0x75, 0x36]);
    assert.deepEqual(Array.from(macBytes("ff:FF:fF:00:09:aF")!), [0xff, 0xff, 0xff, 0x00, 0x09, 0xaf]);
  });

  test("undefined for anything else", () => {
    for (const bad of ["", "a4:c1:38:5a:00", "a4:c1:38:5a:00:01:02", "a4c1385a0001", "a4:c1-38:5a:00:01", "a4:c1:38:5a:00:0g",
      "a4.c1.38.5a.00.01", " a4:c1:38:5a:00:1", "a4:c1:38:5a:00:01 ", "a4::1:38:5a:00:01", "g4:c1:38:5a:00:01", "a4:c1:38:5a:00:/1"]) {
      assert.equal(macBytes(bad), undefined, bad);
    }
  });
});
