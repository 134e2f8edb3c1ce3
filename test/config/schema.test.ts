import { test } from "node:test";
import assert from "node:assert/strict";
import {
  SETTINGS, findSetting, globMatch, normalizeMac, parseBmsEntry, formatBmsEntry, deriveGatewayName, utf8Length, MAX_BMS,
} from "../../modules/config/schema";
import manifest from "../../manifest.json" with { type: "json" };

test("every preference name fits NVS (≤ 15 characters) and is unique", () => {
  const seen = new Set<string>();
  for (const s of SETTINGS) {
    assert.ok(s.pref.length >= 1 && s.pref.length <= 15, s.pref);
    assert.ok(!seen.has(s.pref.toLowerCase()), s.pref);
    seen.add(s.pref.toLowerCase());
  }
});

test("defaults survive a format/parse round trip", () => {
  for (const s of SETTINGS) {
    const text = (s.format as (v: unknown) => string)(s.defaultValue);
    const r = s.parse(text);
    assert.equal(r.error, undefined, `${s.key}: ${r.error}`);
    assert.deepEqual(r.value, s.defaultValue, s.key);
  }
});

test("manifest.json config has a default for every setting, equal to the table's", () => {
  const config = (manifest as { config: Record<string, unknown> }).config;
  for (const s of SETTINGS) {
    assert.ok(s.key in config, `manifest config lacks ${s.key}`);
    const raw = config[s.key];
    const value = typeof raw === "string" ? s.parse(raw).value : raw;
    assert.deepEqual(value, s.defaultValue, s.key);
  }
});

test("integer parsing gives clear messages", () => {
  const port = findSetting("mqttPort")!;
  assert.equal(port.parse("8883").value, 8883);
  assert.equal(port.parse(" 1883 ").value, 1883);
  assert.equal(port.parse("abc").error, "must be an integer 1..65535, got 'abc'");
  assert.match(port.parse("0").error!, /1\.\.65535/);
  assert.match(port.parse("1.5").error!, /integer/);
  assert.match(port.parse("70000").error!, /got '70000'/);
  assert.match(port.parse("").error!, /integer/);
  const poll = findSetting("pollinterval")!;
  assert.equal(poll.parse("3600").value, 3600);
  assert.ok(poll.parse("3601").error);
});

test("booleans accept the usual words", () => {
  const tls = findSetting("mqttTls")!;
  for (const t of ["on", "ON", "true", "1", "yes"]) assert.equal(tls.parse(t).value, true, t);
  for (const t of ["off", "false", "0", "no"]) assert.equal(tls.parse(t).value, false, t);
  assert.match(tls.parse("maybe").error!, /on or off/);
});

test("secrets never appear in messages", () => {
  const pw = findSetting("password")!;
  const long = "x".repeat(65) + "SECRETVALUE";
  const r = pw.parse(long);
  assert.ok(r.error);
  assert.ok(!r.error!.includes("SECRETVALUE"));
  assert.equal(pw.parse("hunter22").value, "hunter22");
});

test("SSID length is counted in UTF-8 bytes", () => {
  const ssid = findSetting("ssid")!;
  assert.equal(utf8Length("ä😀a"), 2 + 4 + 1);
  assert.ok(ssid.parse("ä".repeat(16)).value);
  assert.ok(ssid.parse("ä".repeat(17)).error);
});

test("topic prefix and gateway name reject wildcards and empty levels", () => {
  const prefix = findSetting("topicPrefix")!;
  assert.equal(prefix.parse("home/jbd").value, "home/jbd");
  for (const bad of ["", "a/#", "a/+/b", "/jbd", "jbd/", "a//b", "with space"]) assert.ok(prefix.parse(bad).error, bad);
  const gw = findSetting("gatewayName")!;
  assert.equal(gw.parse("").value, "");
  assert.equal(gw.parse("garage-gw").value, "garage-gw");
  assert.ok(gw.parse("a/b").error);
  assert.equal(deriveGatewayName("24:6f:28:A1:B2:C3"), "jbd-gw-a1b2c3");
  assert.equal(deriveGatewayName(undefined), "jbd-gw");
});

test("host names", () => {
  const host = findSetting("mqttHost")!;
  for (const good of ["", "broker.local", "192.168.1.10", "mqtt-1.example.com"]) assert.equal(host.parse(good).value, good);
  for (const bad of ["has space", "-x", "a_b", "mqtt://x"]) assert.ok(host.parse(bad).error, bad);
});

test("BMS entries: MAC, pattern, scan, variant and name", () => {
  assert.deepEqual(parseBmsEntry("A4:C1:38:11:22:33").value, { match: "mac", mac: "a4c138112233", service: "ff00" });
  assert.deepEqual(parseBmsEntry("a4c138112233@fff0=house").value, { match: "mac", mac: "a4c138112233", name: "house", service: "fff0" });
  assert.deepEqual(parseBmsEntry("JBD-*=shed").value, { match: "name", pattern: "JBD-*", name: "shed", service: "ff00" });
  assert.deepEqual(parseBmsEntry("").value, { match: "scan", service: "ff00" });
  assert.deepEqual(parseBmsEntry("*@FFF0").value, { match: "scan", service: "fff0" });
  assert.match(parseBmsEntry("x@ffe0").error!, /@ff00 or @fff0/);
  assert.match(parseBmsEntry("x=bad name").error!, /BMS name/);
  assert.equal(formatBmsEntry(parseBmsEntry("A4-C1-38-11-22-33@fff0=house").value!), "a4:c1:38:11:22:33@fff0=house");
  assert.equal(normalizeMac("a4:c1:38:11:22"), undefined);
});

test("BMS list: default, limits and duplicates", () => {
  const bms = findSetting("bms")!;
  assert.deepEqual(bms.parse("").value, [{ match: "scan", service: "ff00" }]);
  assert.equal((bms.parse("a4:c1:38:11:22:33=house; JBD-*=shed;").value as readonly unknown[]).length, 2);
  const tooMany = Array.from({ length: MAX_BMS + 1 }, (_, i) => `JBD-${i}*`).join(";");
  assert.match(bms.parse(tooMany).error!, /at most/);
  assert.match(bms.parse("a4:c1:38:11:22:33;A4C138112233").error!, /twice/);
  assert.match(bms.parse("x*=a;y*=a").error!, /used twice/);
  assert.match(bms.parse("JBD-*;x@zz").error!, /^entry 2: /);
});

test("glob matching", () => {
  assert.ok(globMatch("JBD-*", "jbd-SP04S034"));
  assert.ok(globMatch("xiaoxiang?", "xiaoxiangA"));
  assert.ok(!globMatch("xiaoxiang?", "xiaoxiang"));
  assert.ok(globMatch("*BMS*", "My BMS 1"));
  assert.ok(!globMatch("JBD-*", "SP04S034"));
  assert.ok(globMatch("*", ""));
});
