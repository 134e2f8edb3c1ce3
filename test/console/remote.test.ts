// The console over MQTT is a privilege (issue 11): remoteConsole off / read (the default) / full,
// secrets never over MQTT, every remote line logged, the serial console unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandRegistry } from "../../modules/console/registry";
import { registerConfigCommands, registerLogCommands } from "../../modules/console/config-commands";
import { runCaptured, runRemote } from "../../modules/console/capture";
import { Config } from "../../modules/config/config";
import { Log } from "../../modules/console/log";
import { FakeStore } from "../config/fakes";

function setup() {
  const config = new Config({ store: new FakeStore(), build: { mqttHost: "broker.local", password: "wifi-secret" }, mac: "24:6f:28:a1:b2:c3" });
  const log = new Log();
  const logged: string[] = [];
  log.addSink((_level, line) => logged.push(line));
  const registry = new CommandRegistry();
  registerConfigCommands(registry, config);
  registerLogCommands(registry, log);
  const ran: string[] = [];
  registry.register("mos", "mos ...", "switch a FET", (args) => { ran.push("mos " + args.join(" ")); });
  registry.register("status", "status", "status", () => { ran.push("status"); }, "read");
  const remote = (line: string) => runRemote(registry, line, config.get("remoteConsole"), log, 4096) as string;
  const serial = (line: string) => runCaptured(registry, line, 4096) as string;
  return { config, registry, ran, logged, remote, serial };
}

test("read (the default): read-only commands run, anything that changes is refused with the reason", () => {
  const t = setup();
  assert.equal(t.config.get("remoteConsole"), "read");
  t.remote("status");
  assert.match(t.remote("config"), /mqttHost +broker\.local/);
  assert.match(t.remote("config get mqttHost"), /broker\.local/);
  assert.match(t.remote("log"), /^log level info/);
  assert.match(t.remote("mos house charge off"), /^refused: 'mos' changes the gateway; over MQTT only read-only commands run/);
  assert.match(t.remote("config set mqttHost evil.example"), /^refused: 'config' changes the gateway/);
  assert.match(t.remote("log level debug"), /^refused: 'log' changes/);
  assert.deepEqual(t.ran, ["status"], "the MOS command did not run");
  assert.equal(t.config.get("mqttHost"), "broker.local");
  assert.ok(t.logged.some((l) => l.includes("MQTT console: status")));
  assert.ok(t.logged.some((l) => l.includes("MQTT console refused: mos house charge off")));
});

test("secrets and remoteConsole itself are never set over MQTT, whatever the mode; the serial console can", () => {
  const t = setup();
  t.serial("config set remoteConsole full");
  assert.equal(t.config.get("remoteConsole"), "full");
  for (const line of ["config set mqttPassword hunter2", "config set wifiPass hunter2", "config set bms1Passkey 123456", "config reset", "config reset password", "config set remoteConsole read",
    "config set settingsWrite on", "config set maintenance all", "config reset maintenance"]) {
    assert.match(t.remote(line), /^refused: secrets, remoteConsole, settingsWrite and maintenance are set on the serial console only/, line);
  }
  assert.equal(t.config.get("maintenance"), "", "nothing allowed from MQTT");
  assert.equal(t.config.get("mqttPassword"), "");
  assert.equal(t.config.get("remoteConsole"), "full");
  assert.ok(!t.logged.some((l) => l.includes("hunter2")), "a refused secret's value is not logged");
  assert.ok(t.logged.some((l) => l.includes("MQTT console refused: config set mqttPassword ****")));
  assert.match(t.remote("config get mqttPassword"), /\(not set\)|\*\*\*\*/, "read: masked as on the serial console");
});

test("full: every command but secrets; off: nothing at all", () => {
  const t = setup();
  t.serial("config set remoteConsole full");
  t.remote("mos house charge off");
  assert.match(t.remote("config set pollInterval 7"), /pollInterval = 7/);
  assert.deepEqual(t.ran, ["mos house charge off"]);
  t.serial("config set remoteConsole off");
  assert.match(t.remote("status"), /^refused: the console over MQTT is off/);
  assert.deepEqual(t.ran, ["mos house charge off"]);
  assert.match(t.serial("config set remoteConsole nonsense"), /must be one of off, read, full/);
});

test("a command that does not say what it does counts as a change", () => {
  const t = setup();
  t.registry.register("frob", "frob", "does something", () => { t.ran.push("frob"); });
  assert.match(t.remote("frob"), /^refused: 'frob' changes the gateway/);
  assert.match(t.remote("nosuch"), /^unknown command 'nosuch'/, "an unknown command only prints its error");
  assert.deepEqual(t.ran, []);
});
