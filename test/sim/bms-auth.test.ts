// The simulated BMS's three login generations (bms-auth.ts names the sources), right and wrong
// passwords, and that nothing of it is needed without the `auth` option. The gateway's own frame
// builders (modules/protocol/auth.ts) write the requests: the sim re-implements the derivation, so
// these tests cross-check the two; the captured frames are replayed byte for byte where the sim's
// random byte can be made the captured one (a seed found for it).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "./clock";
import { SimulatedBms, type BmsSimOptions } from "./bms";
import type { BmsAuth } from "./bms-auth";
import { Recorder, decodeBasicInfo, fromHex, hex, request } from "./bms-harness";
import {
  appKeyRequest, bmsPasswordRequest, changeBmsPasswordRequest, changePasswordRequest, clearPasswordRequest,
  macBytes, randomRequest, rootPasswordRequest, userPasswordRequest,
} from "../../modules/protocol/auth";

const READ_BASIC = request(false, 0x03);
const READ_CELLS = request(false, 0x04);
const READ_HARDWARE = request(false, 0x05);
const ENTER_FACTORY = request(true, 0x00, [0x56, 0x78]);
const EXIT_FACTORY = request(true, 0x01, [0x00, 0x00]);
const CHARGE_OFF = request(true, 0xe1, [0x00, 0x01]);
const CAPTURE_MAC = "A4:C1:37:04:2D:BE"; // esphome-jbd-bms docs/ffaa-auth-flow/root-password.txt

function setup(options: BmsSimOptions = {}) {
  const clock = new VirtualClock();
  const bms = new SimulatedBms(clock, options);
  const notifications: Uint8Array[] = [];
  /** Every notification since the start, with its clock time. */
  const log: { at: number; hex: string }[] = [];
  bms.onNotify = (chunk) => { notifications.push(chunk); log.push({ at: clock.now(), hex: hex(chunk) }); };
  /** Write one value, let every reply out, return what came back as one hex string ("" = nothing). */
  const send = (bytes: Uint8Array, waitMs = 2000) => {
    notifications.length = 0;
    bms.write(bytes);
    clock.advance(waitMs);
    return hex(Buffer.concat(notifications));
  };
  const mac = macBytes(bms.address)!;
  /** 0x17, and the random byte of its reply. */
  const random = () => {
    const reply = send(randomRequest());
    assert.match(reply, /^ffaa1701[0-9a-f]{4}$/);
    return parseInt(reply.slice(8, 10), 16);
  };
  const login = (password: string) => {
    assert.equal(send(appKeyRequest()), "ffaa15010016");
    return send(userPasswordRequest(password, mac, random()));
  };
  const fet = () => decodeBasicInfo(fromHex(send(READ_BASIC))).fet;
  return { clock, bms, send, mac, random, login, fet, log };
}

const ffaa = (userPassword: string | undefined, rootGate = false): BmsAuth => ({ kind: "ffaa", userPassword, rootGate });

describe("no auth option: today's behaviour, no login step ever needed", () => {
  it("answers DD requests from the first write; FF AA frames, setEncrypted and 0x06 change nothing", () => {
    const { bms, send, fet } = setup();
    assert.equal(send(READ_BASIC).slice(0, 4), "dd03");
    assert.equal(send(appKeyRequest()), "");
    assert.equal(send(randomRequest()), "");
    assert.equal(bms.stats.ignored, 2);
    // firmware 0x21 and later: the password register is gone (smagicld/xiaoxiangBMS #195)
    assert.equal(send(bmsPasswordRequest("000000")), "dd068000ff8077");
    bms.setEncrypted(false);
    assert.equal(send(ENTER_FACTORY), "dd000000000077");
    assert.equal(send(CHARGE_OFF), "dde10000000077");
    assert.equal(fet(), 0x02);
    bms.disconnected();
    assert.equal(send(READ_CELLS).slice(0, 4), "dd04", "no login after a reconnect either");
    assert.deepEqual(Object.values(bms.stats.auth).filter((n) => n !== 0), []);
    assert.equal(bms.auth, undefined);
  });

  it("an auth option does not shift the seeded streams: the same replies at the same times as without", () => {
    const run = (options: BmsSimOptions) => {
      const clock = new VirtualClock();
      const bms = new SimulatedBms(clock, { seed: 8, ...options });
      const seen: string[] = [];
      bms.onNotify = (chunk) => seen.push(`${clock.now().toFixed(3)} ${hex(chunk)}`);
      Object.assign(bms.faults, { stray: 0.2, corrupt: 0.1, slow: 0.05 });
      for (let i = 0; i < 50; i++) {
        bms.write(i % 2 ? READ_CELLS : READ_BASIC);
        clock.advance(1000);
      }
      return seen;
    };
    assert.deepEqual(run({ auth: { kind: "bms-password", password: "123456" } }), run({}));
    assert.deepEqual(run({ address: "10:A5:62:32:75:36" }), run({}));
  });
});

describe("bms-password: the BMS password register (firmware 0x16-0x20)", () => {
  const auth: BmsAuth = { kind: "bms-password", password: "765828" };

  it("reads are answered before and after the password, right or wrong", () => {
    const { send } = setup({ auth });
    for (const read of [READ_BASIC, READ_CELLS, READ_HARDWARE]) assert.notEqual(send(read), "");
    assert.equal(send(bmsPasswordRequest("111111")), "dd068300ff7d77");
    for (const read of [READ_BASIC, READ_CELLS, READ_HARDWARE]) assert.notEqual(send(read), "");
    assert.equal(send(bmsPasswordRequest("765828")), "dd060000000077");
    for (const read of [READ_BASIC, READ_CELLS, READ_HARDWARE]) assert.notEqual(send(read), "");
  });

  it("the V11 example frame is the right password; factory mode is refused (0x82) until it is sent", () => {
    const { bms, send } = setup({ auth });
    assert.equal(send(ENTER_FACTORY), "dd008200ff7e77"); // as logged in smagicld/xiaoxiangBMS #218
    assert.equal(bms.factoryMode, false);
    assert.equal(send(fromHex("dd5a060706070605080208ffc977")), "dd060000000077");
    assert.equal(send(ENTER_FACTORY), "dd000000000077");
    assert.equal(bms.factoryMode, true);
    assert.equal(send(EXIT_FACTORY), "dd010000000077");
    assert.deepEqual([bms.stats.auth.logins, bms.stats.auth.loginFailures, bms.stats.auth.factoryRefused], [1, 0, 1]);
    assert.equal(bms.authState.bmsPassword, true);
  });

  it("a wrong password: status 0x83, factory mode stays shut, counted", () => {
    const { bms, send } = setup({ auth });
    assert.equal(send(fromHex("dd5a060706000000000000ffed77")), "dd068300ff7d77"); // the app's '000000'
    assert.equal(send(ENTER_FACTORY), "dd008200ff7e77");
    assert.equal(send(bmsPasswordRequest("765828")), "dd060000000077");
    assert.equal(send(bmsPasswordRequest("765829")), "dd068300ff7d77", "a wrong one after a right one");
    assert.equal(send(ENTER_FACTORY), "dd008200ff7e77", "clears it");
    assert.deepEqual([bms.stats.auth.logins, bms.stats.auth.loginFailures, bms.stats.auth.factoryRefused], [3, 2, 2]);
  });

  it("malformed password writes are wrong passwords", () => {
    const { send } = setup({ auth });
    for (const data of [[7, 6, 5, 8, 2, 8], [5, 7, 6, 5, 8, 2, 8], [6, 7, 6, 5, 8, 2, 0x38], [6, 7, 6, 5, 8, 2, 8, 0]]) {
      assert.equal(send(request(true, 0x06, data)), "dd068300ff7d77", JSON.stringify(data));
    }
  });

  it("the password is asked again on every connection", () => {
    const { bms, send } = setup({ auth });
    send(bmsPasswordRequest("765828"));
    bms.disconnected();
    assert.equal(send(ENTER_FACTORY), "dd008200ff7e77");
    assert.equal(bms.authState.bmsPassword, false);
  });

  it("MOS writes are not gated by the password (no source says a bare 0xE1 is)", () => {
    const { send, fet } = setup({ auth });
    assert.equal(send(CHARGE_OFF), "dde10000000077");
    assert.equal(fet(), 0x02);
  });

  it("0x07 changes it (V11 example 765828 -> 123456), only with the old one", () => {
    const { bms, send } = setup({ auth });
    assert.equal(send(changeBmsPasswordRequest("111111", "222222")), "dd078300ff7d77");
    assert.equal(send(fromHex("dd5a070d0c070605080208010203040506ffa777")), "dd070000000077");
    assert.equal(bms.bmsPassword, "123456");
    assert.equal(send(bmsPasswordRequest("765828")), "dd068300ff7d77");
    assert.equal(send(bmsPasswordRequest("123456")), "dd060000000077");
  });

  it("0x09 'J1B2D4' (the captured frame) clears it: factory mode open, any 0x06 accepted", () => {
    const { bms, send } = setup({ auth });
    assert.equal(send(request(true, 0x09, [6, ...Buffer.from("J1B2D5")])), "dd098300ff7d77");
    assert.equal(send(fromHex("dd5a0907064a3142324434fe8377")), "dd090000000077");
    assert.equal(bms.bmsPassword, undefined);
    assert.equal(send(ENTER_FACTORY), "dd000000000077");
    assert.equal(send(bmsPasswordRequest("000000")), "dd060000000077");
    assert.equal(hex(clearPasswordRequest()), "dd5a0907064a3142324434fe8377");
  });

  it("no password set: the app's connect write is accepted as in the capture", () => {
    const { send } = setup({ auth: { kind: "bms-password", password: undefined } });
    assert.equal(send(fromHex("dd5a060706000000000000ffed77")), "dd060000000077");
    assert.equal(send(ENTER_FACTORY), "dd000000000077");
  });
});

describe("ffaa: the BLE module's FF AA login", () => {
  it("answers no DD request at all before the login", () => {
    const { bms, send } = setup({ auth: ffaa("123456") });
    for (const bytes of [READ_BASIC, READ_CELLS, ENTER_FACTORY, CHARGE_OFF, bmsPasswordRequest("000000")]) assert.equal(send(bytes), "");
    assert.equal(bms.stats.auth.locked, 5);
    assert.deepEqual(bms.stats.requests, {});
    assert.equal(send(appKeyRequest()), "ffaa15010016");
    assert.equal(send(READ_BASIC), "", "the app key alone is no login");
  });

  it("the right password: 00, then DD requests answered; module replies come within 11..52 ms", () => {
    const { clock, bms, send, login, log } = setup({ auth: ffaa("123456") });
    for (let i = 0; i < 50; i++) {
      const start = clock.now();
      send(appKeyRequest());
      const latency = log[log.length - 1].at - start;
      assert.ok(latency >= 11 && latency <= 52, `${latency} ms`);
    }
    assert.equal(login("123456"), "ffaa18010019");
    assert.equal(send(READ_BASIC).slice(0, 4), "dd03");
    assert.equal(send(CHARGE_OFF), "dde10000000077", "no root gate: writes pass");
    assert.deepEqual([bms.stats.auth.logins, bms.stats.auth.loginFailures, bms.stats.auth.appKeys, bms.stats.auth.randoms], [1, 0, 51, 1]);
    assert.equal(bms.stats.auth.moduleReplies, 53);
    assert.deepEqual(bms.authState, { bmsPassword: false, loggedIn: true, root: false, paired: false });
  });

  it("a wrong password: 01 (the NACK of communications2.txt), still nothing answered; a retry works", () => {
    const { bms, send, login } = setup({ auth: ffaa("123456") });
    assert.equal(login("000000"), "ffaa1801011a");
    assert.equal(login("123123"), "ffaa1801011a");
    assert.equal(send(READ_BASIC), "");
    assert.equal(login("123456"), "ffaa18010019");
    assert.notEqual(send(READ_BASIC), "");
    assert.deepEqual([bms.stats.auth.logins, bms.stats.auth.loginFailures], [3, 2]);
  });

  it("the password derives from the sim's address option (the MAC in printed order)", () => {
    const { send, random } = setup({ auth: ffaa("123456"), address: "10:A5:62:32:75:36" });
    send(appKeyRequest());
    assert.equal(send(userPasswordRequest("123456", macBytes(CAPTURE_MAC)!, random())), "ffaa1801011a", "another MAC's derivation");
    assert.equal(send(userPasswordRequest("123456", macBytes("10:a5:62:32:75:36")!, random())), "ffaa18010019");
    const reversed = macBytes("36:75:32:62:a5:10")!; // the SDK's little-endian order is wrong
    assert.equal(send(userPasswordRequest("123456", reversed, random())), "ffaa1801011a");
    assert.equal(send(READ_BASIC).slice(0, 4), "dd03", "a NACK after the login does not log out");
  });

  it("a password made with an older random byte, or with none on this connection, is refused", () => {
    const { bms, send, mac, random } = setup({ auth: ffaa("123456") });
    const old = random();
    let fresh = random();
    while (fresh === old) fresh = random();
    assert.equal(send(userPasswordRequest("123456", mac, old)), "ffaa1801011a");
    bms.disconnected();
    assert.equal(send(userPasswordRequest("123456", mac, fresh)), "ffaa1801011a");
  });

  it("replays the captured login byte for byte when the sim's random byte is the captured 0x37", () => {
    // root-password.txt: app key, random 0x37, '123123', root password, all with MAC a4:c1:37:04:2d:be
    let seed = 1;
    for (;; seed++) {
      const { send } = setup({ seed, address: CAPTURE_MAC, auth: ffaa("123123", true) });
      if (send(randomRequest()) === "ffaa1701374f") break;
    }
    const { bms, send } = setup({ seed, address: CAPTURE_MAC, auth: ffaa("123123", true) });
    assert.equal(send(fromHex("ffaa15063030303030303b")), "ffaa15010016");
    assert.equal(send(fromHex("ffaa170017")), "ffaa1701374f");
    assert.equal(send(fromHex("ffaa1806cc2a3b6c56c4d5")), "ffaa18010019");
    assert.equal(send(fromHex("ffaa1d0f25baaa9d9005ae9b58775a6967696afc")), "ffaa1d01001e");
    assert.equal(send(fromHex("dd5a0907064a3142324434fe8377")).slice(0, 4), "dd09"); // answered once root
    assert.equal(send(READ_BASIC).slice(0, 4), "dd03");
    assert.equal(send(fromHex("ffaa160631323331323348")), "ffaa16010017"); // change to 123123 (the same)
    assert.equal(bms.stats.auth.rootLogins, 1);
  });

  it("no user password: app key answers 02 and that is the login", () => {
    const { bms, send } = setup({ auth: ffaa(undefined) });
    assert.equal(send(READ_BASIC), "");
    assert.equal(send(appKeyRequest()), "ffaa15010218");
    assert.equal(send(READ_BASIC).slice(0, 4), "dd03");
    assert.equal(bms.authState.loggedIn, true);
  });

  it("another app key: 01 rejected, no login", () => {
    const { bms, send } = setup({ auth: ffaa(undefined) });
    assert.equal(send(appKeyRequest("123456")), "ffaa15010117");
    assert.equal(send(READ_BASIC), "");
    assert.deepEqual([bms.stats.auth.appKeys, bms.stats.auth.appKeyFailures], [1, 1]);
    const { send: send2 } = setup({ auth: { kind: "ffaa", userPassword: undefined, rootGate: false, appKey: "123456" } });
    assert.equal(send2(appKeyRequest("123456")), "ffaa15010218");
  });

  it("root gate: writes silently ignored, reads answered, until the 0x1D root login", () => {
    const { bms, send, mac, random, login, fet } = setup({ auth: ffaa("123456", true) });
    login("123456");
    assert.equal(send(ENTER_FACTORY), "", "factory enter ignored, as in the V1.3 capture");
    assert.equal(bms.factoryMode, false);
    assert.equal(send(CHARGE_OFF), "");
    assert.equal(send(EXIT_FACTORY), "");
    assert.equal(fet(), 0x03, "the E1 was not applied");
    assert.equal(bms.stats.auth.rootGated, 3);
    assert.equal(send(rootPasswordRequest(mac, (random() + 1) & 0xff)), "ffaa1d01011f", "wrong random: refused");
    assert.equal(send(CHARGE_OFF), "");
    assert.equal(send(rootPasswordRequest(mac, random())), "ffaa1d01001e");
    assert.equal(send(ENTER_FACTORY), "dd000000000077");
    assert.equal(send(CHARGE_OFF), "dde10000000077");
    assert.equal(fet(), 0x02);
    assert.deepEqual([bms.stats.auth.rootLogins, bms.stats.auth.rootFailures], [2, 1]);
  });

  it("root login with the random byte of the user login (communications2.txt attempt 3)", () => {
    const { send, mac, random } = setup({ auth: ffaa("123456", true) });
    send(appKeyRequest());
    const r = random();
    assert.equal(send(userPasswordRequest("123456", mac, r)), "ffaa18010019");
    assert.equal(send(rootPasswordRequest(mac, r)), "ffaa1d01001e");
    assert.equal(send(CHARGE_OFF), "dde10000000077");
  });

  it("root login before the user login is refused", () => {
    const { send, mac, random } = setup({ auth: ffaa("123456", true) });
    assert.equal(send(rootPasswordRequest(mac, random())), "ffaa1d01011f");
    assert.equal(send(READ_BASIC), "");
  });

  it("0x16 changes the user password (after the login only); a reconnect needs the new one", () => {
    const { bms, send, login } = setup({ auth: ffaa("123456") });
    assert.equal(send(changePasswordRequest("654321")), "ffaa16010118");
    login("123456");
    assert.equal(send(changePasswordRequest("654321")), "ffaa16010017");
    assert.equal(bms.userPassword, "654321");
    bms.disconnected();
    assert.equal(login("123456"), "ffaa1801011a");
    assert.equal(login("654321"), "ffaa18010019");
  });

  it("a disconnect ends the login, the root login and the random byte", () => {
    const { bms, send, mac, random, login } = setup({ auth: ffaa("123456", true) });
    login("123456");
    send(rootPasswordRequest(mac, random()));
    assert.deepEqual(bms.authState, { bmsPassword: false, loggedIn: true, root: true, paired: false });
    bms.disconnected();
    assert.deepEqual(bms.authState, { bmsPassword: false, loggedIn: false, root: false, paired: false });
    assert.equal(send(READ_BASIC), "");
  });

  it("FF AA frames with a wrong sum or length, and unknown commands, get no answer", () => {
    const { bms, send } = setup({ auth: ffaa("123456") });
    for (const text of ["ffaa15063030303030303c", "ffaa1506303030303030", "ffaa170018", "ffaa420042", "ff"]) assert.equal(send(fromHex(text)), "", text);
    assert.equal(bms.stats.ignored, 5);
  });
});

describe("pairing: echo until an authenticated (passkey) pairing", () => {
  const auth: BmsAuth = { kind: "pairing" };

  it("every written value comes back unchanged and nothing is answered or applied", () => {
    const { bms, send, fet } = setup({ auth });
    for (const bytes of [READ_BASIC, CHARGE_OFF, appKeyRequest(), randomRequest(), Uint8Array.of(1, 2, 3)]) assert.equal(send(bytes), hex(bytes));
    assert.equal(bms.stats.echoes, 5);
    assert.deepEqual(bms.stats.requests, {});
    bms.setEncrypted(true);
    assert.equal(fet(), 0x03, "the echoed E1 was not applied");
  });

  it("a Just Works pairing (not authenticated) changes nothing", () => {
    const { bms, send } = setup({ auth });
    bms.setEncrypted(false);
    assert.equal(send(READ_BASIC), hex(READ_BASIC));
    assert.equal(bms.stats.auth.pairings, 0);
  });

  it("after the passkey pairing plain DD requests are answered, no FF AA needed (or answered)", () => {
    const { bms, send } = setup({ auth: { kind: "pairing", passkey: 123456 } });
    bms.setEncrypted(true);
    assert.equal(send(READ_BASIC).slice(0, 4), "dd03");
    assert.equal(send(CHARGE_OFF), "dde10000000077");
    assert.equal(send(appKeyRequest()), "");
    assert.equal(bms.stats.auth.pairings, 1);
    assert.equal(bms.authState.paired, true);
  });

  it("disconnected() ends the encryption: echoes again until the next pairing", () => {
    const { bms, send } = setup({ auth });
    bms.setEncrypted(true);
    assert.notEqual(send(READ_BASIC), hex(READ_BASIC));
    bms.disconnected();
    assert.equal(send(READ_BASIC), hex(READ_BASIC));
    bms.setEncrypted(true); // a bond's keys
    assert.equal(send(READ_BASIC).slice(0, 4), "dd03");
  });

  it("a value written before the pairing completes is still echoed", () => {
    const { clock, bms } = setup({ auth });
    const seen: string[] = [];
    bms.onNotify = (chunk) => seen.push(hex(chunk));
    bms.write(READ_BASIC);
    bms.setEncrypted(true);
    clock.advance(1000);
    assert.deepEqual(seen, [hex(READ_BASIC)]);
  });
});

describe("options", () => {
  it("rejects a bad address or auth option", () => {
    const clock = new VirtualClock();
    const bad: BmsSimOptions[] = [
      { address: "A4:C1:37:04:2D" }, { address: "A4C137042DBE" },
      { auth: { kind: "bms-password", password: "12345" } }, { auth: { kind: "bms-password", password: "12345a" } },
      { auth: { kind: "ffaa", userPassword: "12345!", rootGate: false } }, { auth: { kind: "ffaa", userPassword: "123456", rootGate: false, appKey: "0" } },
      { auth: { kind: "pairing", passkey: 1_000_000 } }, { auth: { kind: "other" } as unknown as BmsAuth },
    ];
    for (const options of bad) assert.throws(() => new SimulatedBms(clock, options), RangeError, JSON.stringify(options));
  });

  it("the default address is the captured module's", () => {
    assert.equal(new SimulatedBms(new VirtualClock()).address, CAPTURE_MAC);
  });
});

describe("harness", () => {
  it("Recorder.frames() cuts FF AA frames (len + 5) and JBD frames (len + 7) apart", () => {
    const clock = new VirtualClock();
    const bms = new SimulatedBms(clock, { auth: ffaa(undefined) });
    const recorder = new Recorder(clock, bms);
    bms.write(appKeyRequest());
    bms.write(READ_CELLS);
    clock.advance(2000);
    assert.deepEqual(recorder.frames().map((f) => hex(f.subarray(0, 4))), ["ffaa1501", "dd040008"]);
  });
});
