// The login (modules/link/bms-login.ts) on its own, with a scripted link: every step's reply and its
// timeout, the passwords tried and in which order, the BMS PIN after the module part, the root login
// before a MOS write, and the words and log lines a user reads. Frames are made with the protocol
// core's own request builders; the replies are FF AA frames as the module sends them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BmsLogin, FIELD_PASSWORDS, type LoginHost, type LoginSecrets } from "../../modules/link/bms-login";
import {
  APP_KEY_NO_PASSWORD, APP_KEY_PASSWORD_REQUIRED, APP_KEY_REJECTED, FFAA_ACCEPTED, FFAA_APP_KEY, FFAA_RANDOM, FFAA_REJECTED,
  FFAA_ROOT_PASSWORD, FFAA_USER_PASSWORD, ROOT_PASSWORD, appKeyRequest, bmsPasswordRequest, randomRequest, rootPasswordRequest,
  userPasswordRequest,
} from "../../modules/protocol/auth";
import { TestLog } from "../bridge/helpers";

const MAC = new Uint8Array([0xa4, 0xc1, 0x38, 0x00, 0x00, 0x01]);
const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");

function host(secrets: Partial<LoginSecrets>, mac: Uint8Array | undefined) {
  const written: string[] = [];
  const timer: string[] = [];
  const h: LoginHost & { written: string[]; timer: string[]; secrets: LoginSecrets; failWrite: boolean } = {
    id: "house",
    written, timer, failWrite: false,
    secrets: { modulePassword: "", bmsPin: "", rootPassword: "", passkey: "", ...secrets },
    writeRequest(bytes) { if (h.failWrite) throw new Error("not connected"); written.push(hex(bytes)); },
    loginSecrets() { return h.secrets; },
    loginMac() { return mac; },
    startLoginTimer(ms) { timer.push("start " + ms); },
    stopLoginTimer() { timer.push("stop"); },
    secretSettings: { modulePassword: "bms1Password", bmsPin: "bms1Pin", passkey: "bms1Passkey" },
  };
  return h;
}

/** An FF AA reply: FF AA cmd len data... (the sum is the assembler's business, not the login's). */
const reply = (cmd: number, ...data: number[]) => new Uint8Array([0xff, 0xaa, cmd, data.length, ...data, 0]);
/** A JBD reply to the PIN register (DD 06 status ...). */
const pinReply = (status: number) => new Uint8Array([0xdd, 0x06, status, 0, 0, 0, 0x77]);

/** `mac` null: a link whose module MAC is not known. */
function login(secrets: Partial<LoginSecrets> = {}, mac?: null) {
  const h = host(secrets, mac === null ? undefined : MAC);
  const log = new TestLog();
  const l = new BmsLogin(h, log);
  const results: boolean[] = [];
  return { h, log, l, results, done: (ok: boolean) => { results.push(ok); } };
}

test("a pack of unknown needs: begin() polls at once without a PIN, answered() makes it 'none' ('not needed'), the next connect says so", () => {
  const { l, results, done, h, log } = login();
  assert.equal(l.kind, "unknown");
  assert.deepEqual([l.outcome, l.ok, l.problem, l.busy], ["", false, false, false]);
  l.begin(done);
  assert.deepEqual(results, [true]);
  assert.deepEqual(h.written, [], "nothing to send");
  assert.equal(l.outcome, "");
  l.answered();
  assert.deepEqual([l.kind, l.outcome], ["none", "not needed"]);
  l.answered();
  assert.equal(l.kind, "none");
  l.begin(done);
  assert.deepEqual([l.outcome, l.ok, l.problem], ["not needed", true, false]);
  assert.deepEqual(log.lines, ["debug BMS login:house: ", "debug BMS login:house: not needed"], "told at debug level: not a problem");
});

test("the BMS PIN: sent after the module part when configured; accepted, rejected (readings go on), unanswered, not six digits, a write that throws", () => {
  const a = login({ bmsPin: "123456" });
  a.l.begin(a.done);
  assert.deepEqual(a.h.written, [hex(bmsPasswordRequest("123456"))]);
  assert.deepEqual(a.h.timer, ["start 1000"]);
  assert.equal(a.l.busy, true);
  assert.equal(a.l.onFrame(new Uint8Array([0xdd, 0x03, 0, 0, 0, 0, 0x77])), false, "another reply is not the PIN's");
  assert.equal(a.l.onFrame(pinReply(0)), true);
  assert.deepEqual(a.h.timer, ["start 1000", "stop"]);
  assert.deepEqual([a.results, a.l.outcome, a.l.ok, a.l.problem, a.l.busy], [[true], "BMS PIN accepted", true, false, false]);
  assert.equal(a.l.onFrame(pinReply(0)), false, "no step waits any more");

  const r = login({ bmsPin: "123456" });
  r.l.answered(); // a pack known to need nothing else: its outcome goes first
  r.l.begin(r.done);
  assert.equal(r.l.onFrame(pinReply(0x81)), true);
  assert.deepEqual([r.results, r.l.ok, r.l.problem], [[true], true, true]);
  assert.equal(r.l.outcome, "BMS PIN rejected (readings go on; MOS and settings writes will fail): set the PIN of house: config set bms1Pin <six digits>");
  assert.deepEqual(r.log.lines.filter((line) => line.startsWith("warn")), ["warn BMS login:house: " + r.l.outcome]);

  const n = login({ bmsPin: "123456" });
  n.l.answered();
  n.l.begin(n.done);
  n.l.onTimeout();
  assert.deepEqual([n.results, n.l.outcome, n.l.problem], [[true], "not needed; BMS PIN not answered (firmware without the register?)", false]);
  const first = login({ bmsPin: "123456" });
  first.l.begin(first.done);
  first.l.onTimeout();
  assert.equal(first.l.outcome, "BMS PIN not answered (firmware without the register?)", "no separator without an outcome before");

  const bad = login({ bmsPin: "12ab56" });
  bad.l.answered();
  bad.l.begin(bad.done);
  assert.deepEqual(bad.h.written, []);
  assert.deepEqual([bad.results, bad.l.outcome], [[true], "not needed; BMS PIN not sent: bms1Pin must be six digits"]);
  const bad2 = login({ bmsPin: "1" });
  bad2.l.begin(bad2.done);
  assert.equal(bad2.l.outcome, "BMS PIN not sent: bms1Pin must be six digits");

  const failing = login({ bmsPin: "123456" });
  failing.h.failWrite = true;
  failing.l.begin(failing.done);
  assert.deepEqual(failing.log.lines, ["warn BMS login write:Error: not connected"], "logged; the step's timer still runs");
  assert.equal(failing.l.busy, true);
});

test("detect(): an FF AA module without a password, one that refuses the app key, and silence", () => {
  const free = login();
  free.l.detect(free.done);
  assert.deepEqual(free.h.written, [hex(appKeyRequest())]);
  free.l.onModuleFrame(reply(FFAA_RANDOM, 5)); // not the app key's reply: ignored
  assert.equal(free.l.busy, true);
  free.l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_NO_PASSWORD));
  assert.deepEqual([free.l.kind, free.results, free.l.outcome, free.l.problem], ["module", [true], "FF AA module without a password", false]);

  const refused = login();
  refused.l.detect(refused.done);
  refused.l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_REJECTED));
  assert.deepEqual([refused.results, refused.l.outcome, refused.l.problem], [[false], "FF AA module refused the app key (reply 1)", true]);
  const empty = login();
  empty.l.detect(empty.done);
  empty.l.onModuleFrame(reply(FFAA_APP_KEY));
  assert.equal(empty.l.outcome, "FF AA module refused the app key (reply -1)", "a reply without data");

  const silent = login();
  silent.l.detect(silent.done);
  silent.l.onTimeout();
  assert.deepEqual([silent.results, silent.l.ok, silent.l.problem], [[true], true, false], "nothing a login can fix: poll on");
  assert.equal(silent.l.outcome, "no answer to reads or to the FF AA login (another central connected? the wrong device?)");
  assert.equal(silent.l.kind, "unknown");
  silent.l.onTimeout();
  assert.deepEqual(silent.results, [true], "a second timeout with no step does nothing");

  // a module (known) that stops answering its app key: a problem, no polling
  const quiet = login();
  quiet.l.kind = "module";
  quiet.l.begin(quiet.done);
  quiet.l.onTimeout();
  assert.deepEqual([quiet.results, quiet.l.outcome, quiet.l.problem], [[false], "FF AA module did not answer the login", true]);
});

test("the user password: the configured one, then the PIN; random byte, password, accepted", () => {
  const { l, h, done, results } = login({ modulePassword: "Xy12ab", bmsPin: "654321" });
  l.kind = "module";
  l.begin(done);
  l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_PASSWORD_REQUIRED));
  assert.deepEqual(h.written.slice(1), [hex(randomRequest())]);
  l.onModuleFrame(reply(FFAA_RANDOM)); // no random byte: ignored
  l.onModuleFrame(reply(FFAA_APP_KEY, 0)); // another step's reply: ignored
  l.onModuleFrame(reply(FFAA_RANDOM, 0x37));
  assert.deepEqual(h.written.slice(2), [hex(userPasswordRequest("Xy12ab", MAC, 0x37))]);
  l.onModuleFrame(reply(FFAA_RANDOM, 0x38)); // not the password's reply
  l.onModuleFrame(reply(FFAA_USER_PASSWORD, FFAA_ACCEPTED));
  assert.deepEqual(h.written.slice(3), [hex(bmsPasswordRequest("654321"))], "then the BMS PIN");
  l.onFrame(pinReply(0));
  assert.deepEqual([results, l.outcome, l.ok], [[true], "FF AA login accepted; BMS PIN accepted", true]);
});

test("no password configured: the field's defaults in turn, once per boot; rejected ones logged; then what to set", () => {
  const { l, h, done, results, log } = login();
  l.kind = "module";
  l.begin(done);
  l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_PASSWORD_REQUIRED));
  l.onModuleFrame(reply(FFAA_RANDOM, 1));
  assert.equal(h.written.at(-1), hex(userPasswordRequest(FIELD_PASSWORDS[0], MAC, 1)));
  l.onModuleFrame(reply(FFAA_USER_PASSWORD, FFAA_REJECTED));
  assert.equal(h.written.at(-1), hex(randomRequest()), "the next one, with a new random byte");
  l.onModuleFrame(reply(FFAA_RANDOM, 2));
  assert.equal(h.written.at(-1), hex(userPasswordRequest(FIELD_PASSWORDS[1], MAC, 2)));
  l.onModuleFrame(reply(FFAA_USER_PASSWORD, FFAA_ACCEPTED));
  assert.deepEqual([results, l.outcome, l.problem], [[true], "FF AA login accepted with a factory default password", false]);
  assert.deepEqual(log.lines.filter((line) => line.startsWith("warn")), ["warn BMS login:house: module password rejected (a factory default)"]);

  // the next connect: the defaults are not tried again
  l.begin(done);
  l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_PASSWORD_REQUIRED));
  assert.deepEqual([results, l.outcome], [[true, false], "the module wants a password: set the password of house: config set bms1Password <six letters or digits>"]);
});

test("a configured password rejected: no defaults tried; one that is not a module password is not sent", () => {
  const r = login({ modulePassword: "Xy12ab" });
  r.l.kind = "module";
  r.l.begin(r.done);
  r.l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_PASSWORD_REQUIRED));
  r.l.onModuleFrame(reply(FFAA_RANDOM, 9));
  r.l.onModuleFrame(reply(FFAA_USER_PASSWORD, FFAA_REJECTED));
  assert.deepEqual([r.results, r.l.outcome, r.l.problem], [[false], "module password rejected: set the password of house: config set bms1Password <six letters or digits>", true]);
  assert.deepEqual(r.log.lines.filter((line) => line.startsWith("warn")), ["warn BMS login:house: module password rejected", "warn BMS login:house: " + r.l.outcome]);

  const invalid = login({ modulePassword: "toolongpassword" });
  invalid.l.kind = "module";
  invalid.l.begin(invalid.done);
  invalid.l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_PASSWORD_REQUIRED));
  assert.deepEqual(invalid.h.written, [hex(appKeyRequest())], "nothing more sent");
  assert.equal(invalid.l.outcome, "the module wants a password: set the password of house: config set bms1Password <six letters or digits>");
});

test("the module stops answering mid-login; the MAC unknown", () => {
  for (const stage of ["random", "password"] as const) {
    const t = login({ modulePassword: "Xy12ab" });
    t.l.kind = "module";
    t.l.begin(t.done);
    t.l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_PASSWORD_REQUIRED));
    if (stage === "password") t.l.onModuleFrame(reply(FFAA_RANDOM, 3));
    t.l.onTimeout();
    assert.deepEqual([t.results, t.l.outcome], [[false], "FF AA login: the module stopped answering"], stage);
  }
  const m = login({ modulePassword: "Xy12ab" }, null);
  m.l.kind = "module";
  m.l.begin(m.done);
  m.l.onModuleFrame(reply(FFAA_APP_KEY, APP_KEY_PASSWORD_REQUIRED));
  m.l.onModuleFrame(reply(FFAA_RANDOM, 3));
  assert.deepEqual([m.results, m.l.outcome], [[false], "FF AA login: the module's MAC is not known"]);
});

test("root login before a MOS write: only on a module, not while busy; accepted, refused, unanswered, the MAC unknown; stop() drops it silently", () => {
  const none = login();
  assert.equal(none.l.authorizeWrite(() => assert.fail("no root login")), false, "not a module");

  const { l, h } = login({ rootPassword: "" });
  l.kind = "module";
  const errors: (string | undefined)[] = [];
  assert.equal(l.authorizeWrite((e) => errors.push(e)), true);
  assert.deepEqual(h.written, [hex(randomRequest())]);
  assert.equal(l.authorizeWrite(() => assert.fail("busy")), false, "one at a time");
  l.onModuleFrame(reply(FFAA_RANDOM, 0x21));
  assert.equal(h.written.at(-1), hex(rootPasswordRequest(MAC, 0x21, ROOT_PASSWORD)), "the vendor's root password");
  l.onModuleFrame(reply(FFAA_RANDOM, 0x22)); // not its reply
  l.onModuleFrame(reply(FFAA_ROOT_PASSWORD, FFAA_ACCEPTED));
  assert.deepEqual(errors, [undefined]);

  const own = login({ rootPassword: "MyRoot#1" });
  own.l.kind = "module";
  const ownErrors: (string | undefined)[] = [];
  own.l.authorizeWrite((e) => ownErrors.push(e));
  own.l.onModuleFrame(reply(FFAA_RANDOM, 0x05));
  assert.equal(own.h.written.at(-1), hex(rootPasswordRequest(MAC, 0x05, "MyRoot#1")), "the configured root password");
  own.l.onModuleFrame(reply(FFAA_ROOT_PASSWORD, FFAA_REJECTED));
  assert.deepEqual(ownErrors, ["the module refused the root password (set it: config set bmsRootPassword ...)"]);
  assert.deepEqual(own.log.lines, ["warn BMS root login:house: " + ownErrors[0]]);

  for (const stage of ["random", "password"] as const) {
    const t = login();
    t.l.kind = "module";
    const e: (string | undefined)[] = [];
    t.l.authorizeWrite((x) => e.push(x));
    if (stage === "password") t.l.onModuleFrame(reply(FFAA_RANDOM, 1));
    t.l.onTimeout();
    assert.deepEqual(e, ["the module did not answer the root login"], stage);
  }
  const noMac = login({}, null);
  noMac.l.kind = "module";
  const e2: (string | undefined)[] = [];
  noMac.l.authorizeWrite((x) => e2.push(x));
  noMac.l.onModuleFrame(reply(FFAA_RANDOM, 1));
  assert.deepEqual(e2, ["the module's MAC is not known"]);
  assert.deepEqual(noMac.results, [], "the link's login callback is not called");

  const stopped = login();
  stopped.l.kind = "module";
  stopped.l.authorizeWrite(() => assert.fail("dropped with the link"));
  stopped.l.stop();
  assert.equal(stopped.l.busy, false);
  assert.deepEqual(stopped.h.timer, ["start 1000", "stop"]);
  stopped.l.onModuleFrame(reply(FFAA_RANDOM, 1));
  stopped.l.onTimeout();
});

test("pairing: an echo asks for the PIN (or says pairing did not help), paired() records the bond, begin() then polls or refuses", () => {
  const e = login();
  e.l.echoed();
  assert.deepEqual([e.l.kind, e.l.ok, e.l.problem], ["pairing", false, true]);
  assert.equal(e.l.outcome, "pairing needed: this module echoes every request until the link is paired with its PIN: set its PIN: config set bms1Passkey <six digits>, then reconnect house");
  assert.deepEqual(e.log.lines, ["warn BMS login:house: " + e.l.outcome]);
  e.l.begin(e.done);
  assert.deepEqual(e.results, [false], "not paired: no polling");

  const p = login({ passkey: "123456" });
  p.l.echoed();
  assert.equal(p.l.outcome, "the module still echoes after pairing");
  p.l.paired(true);
  assert.deepEqual([p.l.kind, p.l.ok, p.l.problem, p.l.outcome], ["pairing", true, false, "paired with its PIN (bonded)"]);
  p.l.begin(p.done);
  assert.deepEqual([p.results, p.l.outcome], [[true], "paired with its PIN (bonded)"]);
  p.l.paired(false);
  assert.equal(p.l.outcome, "paired with its PIN (no bond kept: NimBLE's 3 bonds are taken)");

  const blank = login();
  blank.l.kind = "pairing";
  blank.l.begin(blank.done);
  assert.deepEqual([blank.results, blank.l.outcome], [[false], "pairing needed: this module echoes every request until the link is paired with its PIN"]);
});
