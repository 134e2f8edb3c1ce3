import { test } from "node:test";
import assert from "node:assert/strict";
import { Config } from "../../modules/config/config";
import { FakeStore } from "./fakes";

function make(build: Record<string, unknown> = {}, store = new FakeStore()) {
  const warnings: string[] = [];
  const config = new Config({ store, build, mac: "24:6f:28:a1:b2:c3" }, (m) => warnings.push(m));
  return { config, store, warnings };
}

test("defaults, then build values (typed or strings from the command line)", () => {
  const { config, warnings } = make({ mqttPort: "8883", mqttTls: true, ssid: "My Net", pollInterval: 10, sntp: "pool.ntp.org" });
  assert.equal(config.get("mqttPort"), 8883);
  assert.equal(config.get("mqttTls"), true);
  assert.equal(config.get("ssid"), "My Net");
  assert.equal(config.get("pollInterval"), 10);
  assert.equal(config.get("topicPrefix"), "jbd");
  assert.equal(config.sourceOf("mqttPort"), "build");
  assert.equal(config.sourceOf("topicPrefix"), "default");
  assert.equal(config.gatewayName(), "jbd-gw-a1b2c3");
  assert.deepEqual(warnings, []);
});

test("a bad build value falls back to the default and says so", () => {
  const { config, warnings } = make({ mqttPort: "abc", mosControl: "perhaps", password: "x".repeat(70) });
  assert.equal(config.get("mqttPort"), 1883);
  assert.equal(config.get("mosControl"), true);
  assert.equal(config.get("password"), "");
  assert.equal(warnings.length, 3);
  assert.ok(warnings.some((w) => /build value of mqttPort ignored: must be an integer 1\.\.65535, got 'abc'; using the default/.test(w)), warnings.join("\n"));
  assert.ok(!warnings.join().includes("xxxx"));
});

test("set validates, stores in NVS types and survives a restart", () => {
  const store = new FakeStore();
  const { config } = make({ mqttHost: "build.local" }, store);
  const r = config.set("mqttport", "8883");
  assert.ok(r.ok);
  assert.equal(r.ok && r.effect, "mqtt");
  assert.equal(store.data.get("mqttPort"), 8883);
  assert.ok(config.set("mqttTls", "on").ok);
  assert.equal(store.data.get("mqttTls"), true);
  assert.ok(config.set("bms", "a4:c1:38:11:22:33=house").ok);
  assert.equal(store.data.get("bms"), "a4:c1:38:11:22:33=house");
  assert.ok(config.set("password", "s3cret-pass").ok);
  assert.equal(store.data.get("wifiPass"), "s3cret-pass");

  const again = make({ mqttHost: "build.local" }, store).config; // the restart
  assert.equal(again.get("mqttPort"), 8883);
  assert.equal(again.get("mqttTls"), true);
  assert.equal(again.get("password"), "s3cret-pass");
  assert.deepEqual(again.get("bms"), [{ match: "mac", mac: "a4c138112233", name: "house", service: "ff00" }]);
  assert.equal(again.get("mqttHost"), "build.local");
  assert.equal(again.sourceOf("mqttPort"), "stored");
});

test("set refuses bad values with the key in the message and writes nothing", () => {
  const { config, store } = make();
  const r = config.set("mqttPort", "abc");
  assert.deepEqual(r, { ok: false, message: "mqttPort: must be an integer 1..65535, got 'abc'" });
  assert.equal(store.writes, 0);
  const u = config.set("nosuch", "1");
  assert.equal(u.ok, false);
  assert.match(u.message, /unknown setting 'nosuch'/);
});

test("set reports change and effect, notifies listeners, and skips redundant writes", () => {
  const { config, store } = make();
  const seen: string[] = [];
  config.onChange((key, effect) => seen.push(`${key}:${effect}`));
  const a = config.set("pollInterval", "7");
  assert.ok(a.ok && a.changed);
  assert.match(a.message, /pollInterval = 7 \(stored; applied now\)/);
  const writes = store.writes;
  const b = config.set("pollInterval", "7");
  assert.ok(b.ok && !b.changed);
  assert.equal(store.writes, writes);
  assert.deepEqual(seen, ["pollInterval:live"]);
});

test("a listener that throws does not break set", () => {
  const { config, warnings } = make();
  config.onChange(() => { throw new Error("boom"); });
  assert.ok(config.set("logLevel", "debug").ok);
  assert.match(warnings[0], /listener failed/);
});

test("a failing flash write leaves the value unchanged", () => {
  const { config, store } = make();
  store.failWrites = true;
  const r = config.set("pollInterval", "9");
  assert.equal(r.ok, false);
  assert.match(r.message, /could not store \(nvs set fail\)/);
  assert.equal(config.get("pollInterval"), 5);
});

test("bad stored values are ignored with a warning (never bricks)", () => {
  const store = new FakeStore();
  store.data.set("mqttPort", "1883");      // wrong type
  store.data.set("pollInterval", 0);       // out of range
  store.data.set("bms", "a;b;c;d");       // too many
  store.data.set("wifiPass", 12345);       // wrong type, secret
  store.data.set("oldKey", 1);             // unknown
  store.data.set("haPrefix", "ha");        // fine
  const { config, warnings } = make({ pollInterval: "30" }, store);
  assert.equal(config.get("mqttPort"), 1883);
  assert.equal(config.get("pollInterval"), 30);
  assert.equal(config.sourceOf("pollInterval"), "build");
  assert.equal(config.get("bms").length, 1);
  assert.equal(config.get("haPrefix"), "ha");
  assert.equal(warnings.length, 5);
  assert.ok(warnings.some((w) => /stored pollInterval ignored: must be an integer 1\.\.3600, got '0'; using the build value/.test(w)));
  assert.ok(warnings.some((w) => /unknown stored key 'oldKey'/.test(w)));
  assert.ok(!warnings.join().includes("12345"));
});

test("unreadable storage falls back to build values", () => {
  const store = new FakeStore();
  store.data.set("ssid", "stored-net");
  store.failReads = true;
  const { config, warnings } = make({ ssid: "net" }, store);
  assert.equal(config.get("ssid"), "net");
  assert.match(warnings[0], /stored ssid unreadable \(nvs get fail\); using the build value/);
});

test("reset deletes stored keys (one or all) and reports what changed", () => {
  const { config, store } = make({ mqttPort: 1884 });
  config.set("mqttPort", "8883");
  config.set("topicPrefix", "home/jbd");
  store.data.set("oldKey", 1);
  const one = config.reset("topicPrefix");
  assert.equal(one.length, 1);
  assert.ok(one[0].ok && one[0].changed);
  assert.equal(config.get("topicPrefix"), "jbd");
  assert.equal(config.get("mqttPort"), 8883);
  const all = config.reset();
  assert.equal(all.length, 1);
  assert.equal(config.get("mqttPort"), 1884);
  assert.equal(config.sourceOf("mqttPort"), "build");
  assert.equal(store.data.size, 0);
  assert.equal(config.reset("nope")[0].ok, false);
});

test("describe masks secrets and shows the derived gateway name", () => {
  const { config } = make({ password: "wifi-secret", mqttPassword: "" });
  config.set("mqttPassword", "mqtt-secret");
  const rows = config.describe();
  const text = JSON.stringify(rows);
  assert.ok(!text.includes("wifi-secret"));
  assert.ok(!text.includes("mqtt-secret"));
  const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
  assert.equal(byKey.password.value, "****");
  assert.equal(byKey.mqttPassword.value, "****");
  assert.equal(byKey.mqttUser.value, "(empty)");
  assert.equal(byKey.gatewayName.value, "jbd-gw-a1b2c3 (derived)");
  assert.equal(byKey.bms.value, "*");
  assert.equal(config.display("PASSWORD"), "****");
  assert.equal(config.display("mqttPort"), "1883");
  assert.equal(config.display("x"), undefined);
  const set = config.set("password", "new-secret");
  assert.ok(!set.message.includes("new-secret"));
});

test("values() is a frozen snapshot", () => {
  const { config } = make();
  const v = config.values();
  assert.ok(Object.isFrozen(v));
  config.set("pollInterval", "8");
  assert.equal(v.pollInterval, 5);
  assert.equal(config.values().pollInterval, 8);
});
