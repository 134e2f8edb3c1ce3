import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandRegistry } from "../../modules/console/registry";
import { CaptureOutput } from "../../modules/console/output";
import { registerConfigCommands, registerLogCommands, applyLogLevel } from "../../modules/console/config-commands";
import { runCaptured } from "../../modules/console/capture";
import { Config } from "../../modules/config/config";
import { Log } from "../../modules/console/log";
import { FakeStore } from "../config/fakes";

function setup(build: Record<string, unknown> = { mqttHost: "broker.local", password: "wifi-secret" }, store = new FakeStore()) {
  const config = new Config({ store, build, mac: "24:6f:28:a1:b2:c3" });
  const log = new Log();
  const registry = new CommandRegistry();
  registerConfigCommands(registry, config);
  registerLogCommands(registry, log);
  const run = (line: string) => runCaptured(registry, line, 4096) as string;
  return { config, log, registry, store, run };
}

test("config lists every setting, secrets masked, sources marked", () => {
  const t = setup();
  t.config.set("mqttPassword", "mqtt-secret");
  const text = t.run("config");
  assert.ok(!text.includes("wifi-secret") && !text.includes("mqtt-secret"));
  assert.match(text, /password +\*\*\*\* +\[build\]/);
  assert.match(text, /mqttPassword +\*\*\*\* +\[stored\]/);
  assert.match(text, /mqttHost +broker\.local +\[build\]/);
  assert.match(text, /gatewayName +jbd-gw-a1b2c3 \(derived\)\n/);
  assert.match(text, /topicPrefix +jbd\n/);
});

test("config get / set / reset", () => {
  const t = setup();
  assert.equal(t.run("config get mqttport"), "mqttPort = 1883  [default]\n  MQTT broker port (8883 for TLS); integer 1..65535\n");
  assert.equal(t.run("config get password"), "password = ****  [build]\n  Wi-Fi password; text, up to 64 bytes\n");
  assert.equal(t.run("config set mqttPort 8883"), "mqttPort = 8883 (stored; MQTT reconnects); note: 8883 is usually TLS (config set mqttTls on)\n");
  assert.equal(t.run("config set mqttPort abc"), "error: mqttPort: must be an integer 1..65535, got 'abc'\n");
  assert.equal(t.run("config set ssid \"My Net\""), "ssid = My Net (stored; Wi-Fi reconnects)\n");
  assert.equal(t.run("config set bms a4:c1:38:11:22:33=house"), "bms = a4:c1:38:11:22:33=house (stored; takes effect after reboot)\ntype 'reboot' to apply\n");
  const pw = t.run("config set password hunter2-long");
  assert.equal(pw, "password = **** (stored; Wi-Fi reconnects)\n");
  assert.equal(t.run("config set mqttUser \"\""), "mqttUser = (empty) (stored)\n");
  assert.equal(t.run("config reset ssid"), "ssid = (empty) (default; Wi-Fi reconnects)\n");
  assert.equal(t.run("config reset ssid"), "ssid is not stored; nothing to reset\n");
  const all = t.run("config reset");
  assert.match(all, /mqttPort = 1883 \(default; MQTT reconnects\)/);
  assert.equal(t.store.data.size, 0);
  assert.equal(t.run("config reset"), "nothing stored; all settings are build values or defaults\n");
});

test("config argument errors get usage lines", () => {
  const t = setup();
  assert.equal(t.run("config get"), "usage: config [get <key> | set <key> <value> | reset [key]]\n");
  assert.equal(t.run("config get nosuch"), "unknown setting 'nosuch' (see 'config')\nusage: config [get <key> | set <key> <value> | reset [key]]\n");
  assert.match(t.run("config set mqttHost"), /^missing value for mqttHost .*use "" for empty\)\nusage: /);
  assert.match(t.run("config frob"), /^unknown subcommand 'frob'\nusage: /);
  assert.equal(t.run("config set nosuch 1"), "error: unknown setting 'nosuch' (see 'config')\n");
});

test("stored settings survive a restart of the console and config", () => {
  const store = new FakeStore();
  setup(undefined, store).run("config set pollInterval 30");
  const again = setup(undefined, store);
  assert.equal(again.config.get("pollInterval"), 30);
  assert.match(again.run("config get pollInterval"), /pollInterval = 30 {2}\[stored\]/);
});

test("log level and recent lines", () => {
  const t = setup();
  assert.equal(t.run("log level"), "log level info\n");
  assert.equal(t.run("log level debug"), "log level debug\n");
  t.log.warn("mqtt: closed");
  assert.equal(t.run("log"), "log level debug; errors 0, warnings 1\nW mqtt: closed\n");
  assert.equal(t.run("log level loud"), "unknown level 'loud'\nusage: log [level [error|warn|info|debug]]\n");
  assert.equal(t.run("log foo"), "usage: log [level [error|warn|info|debug]]\n");
});

test("the same handlers answer a serial Output", () => {
  const t = setup();
  const out = new CaptureOutput(100);
  t.registry.run("config", out);
  assert.ok(out.truncated);
  assert.ok(out.text().endsWith("…(truncated)"));
});

test("the logger follows the logLevel setting", () => {
  const t = setup({ logLevel: "warn" });
  applyLogLevel(t.config, t.log);
  assert.equal(t.log.levelName, "warn");
  t.run("config set logLevel debug");
  assert.equal(t.log.levelName, "debug");
});
