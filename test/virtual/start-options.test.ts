// npm start's command line: every option checked with a message a user can act on, exit 2, and
// the broker URL carried into the firmware's own MQTT settings.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { parseStartOptions, parseBrokerUrl, brokerConfig, OptionError } from "../../scripts/lib/start-options";
import { ROOT } from "../../scripts/lib/xs";

const error = (argv: string[]) => {
  try {
    parseStartOptions(argv);
  } catch (e) {
    assert.ok(e instanceof OptionError, `an OptionError, not ${e}`);
    return e.message;
  }
  assert.fail(`accepted: ${argv.join(" ")}`);
};

test("start options: defaults, every option, --opt=value", () => {
  const d = parseStartOptions([]);
  assert.deepEqual({ ...d }, { broker: undefined, bms: 1, node: false, duration: 0, quietMqtt: false, ca: undefined, caFile: undefined, insecure: false, linger: 2, keepRunning: false, help: false });
  const o = parseStartOptions(["--bms", "3", "--node", "--duration=60", "--quiet-mqtt", "--linger", "0", "--keep-running", "--broker", "mqtt://10.0.0.5:1884"]);
  assert.equal(o.bms, 3);
  assert.equal(o.node, true);
  assert.equal(o.duration, 60);
  assert.equal(o.quietMqtt, true);
  assert.equal(o.linger, 0);
  assert.equal(o.keepRunning, true);
  assert.deepEqual(o.broker, { host: "10.0.0.5", port: 1884, tls: false, user: "", password: "" });
  assert.equal(parseStartOptions(["-h"]).help, true);
  assert.equal(parseStartOptions(["--help", "--bms", "abc"]).help, true); // help wins
});

test("start options: bad values are refused with what was expected", () => {
  assert.match(error(["--bms", "abc"]), /--bms must be a whole number from 1 to 3, got 'abc'/);
  for (const bad of ["0", "4", "1.5", "-1", "2x"]) assert.match(error(["--bms", bad]), /--bms must be a whole number from 1 to 3/);
  assert.match(error(["--bms"]), /--bms needs a value/);
  assert.match(error(["--bms", "--node"]), /--bms needs a value/);
  assert.match(error(["--duration", "soon"]), /--duration must be a number of seconds above 0, got 'soon'/);
  assert.match(error(["--duration", "0"]), /above 0/);
  assert.match(error(["--linger", "-1"]), /--linger must be a number of seconds/);
  assert.match(error(["--brokr", "mqtt://x"]), /unknown option --brokr \(see --help\)/);
  assert.match(error(["3"]), /unexpected argument '3'/);
  assert.match(error(["--node=yes"]), /--node takes no value/);
  assert.match(error(["--bms", "1", "--bms", "2"]), /--bms given twice/);
  assert.match(error(["--insecure"]), /--insecure is for a TLS broker/);
  assert.match(error(["--broker", "mqtt://h", "--ca", "x.pem"]), /--ca is for a TLS broker/);
  assert.match(error(["--broker", "mqtts://h", "--ca", "/nonexistent/ca.pem"]), /--ca: cannot read '\/nonexistent\/ca.pem' \(ENOENT\)/);
  const notPem = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jbd-opt-")), "ca.txt");
  fs.writeFileSync(notPem, "hello");
  assert.match(error(["--broker", "mqtts://h", "--ca", notPem]), /is not a PEM certificate file/);
  fs.rmSync(path.dirname(notPem), { recursive: true });
});

test("broker URL: schemes, default ports, login, and the firmware's limits", () => {
  assert.deepEqual(parseBrokerUrl("mqtt://broker.lan"), { host: "broker.lan", port: 1883, tls: false, user: "", password: "" });
  assert.deepEqual(parseBrokerUrl("mqtts://broker.lan"), { host: "broker.lan", port: 8883, tls: true, user: "", password: "" });
  assert.deepEqual(parseBrokerUrl("mqtts://ha:s3cr%40t%3Ax@192.168.1.10:8884/"), { host: "192.168.1.10", port: 8884, tls: true, user: "ha", password: "s3cr@t:x" });
  assert.deepEqual(parseBrokerUrl("mqtt://only-user@h"), { host: "h", port: 1883, tls: false, user: "only-user", password: "" });
  const bad = (url: string, message: RegExp) => assert.throws(() => parseBrokerUrl(url), (e: Error) => e instanceof OptionError && message.test(e.message), url);
  bad("notaurl", /'notaurl' is not a URL \(expected mqtt:\/\/host\[:port\]/);
  bad("localhost:1883", /unsupported scheme 'localhost'/);
  bad("http://h", /unsupported scheme 'http'/);
  bad("ws://h:9001", /unsupported scheme 'ws'/);
  bad("mqtt://h:99999", /not a URL/);
  bad("mqtt://h:0", /port must be 1\.\.65535/);
  bad("mqtt://h/topic", /no path/);
  bad("mqtt://h?x=1", /no query/);
  bad("mqtt://:pw@h", /a password needs a user name/);
  bad("mqtt://under_score.lan", /host must be a host name or IPv4 address/);
  bad(`mqtt://${"u".repeat(65)}@h`, /user name must be at most 64 bytes/);
  bad(`mqtt://u:${"p".repeat(129)}@h`, /password must be at most 128 bytes$/); // the secret is not echoed
  bad("mqtt://u:%E0%A4%A@h", /bad percent-encoding/);
});

test("broker URL -> the firmware's mc/config strings", () => {
  assert.deepEqual(brokerConfig(parseBrokerUrl("mqtts://ha:pw@core-mosquitto")), {
    mqttHost: "core-mosquitto", mqttPort: "8883", mqttTls: "true", mqttUser: "ha", mqttPassword: "pw",
  });
  assert.deepEqual(brokerConfig({ host: "127.0.0.1", port: 1883 }), {
    mqttHost: "127.0.0.1", mqttPort: "1883", mqttTls: "false", mqttUser: "", mqttPassword: "",
  });
});

test("the CLI: a usage error is one line on stderr and exit 2, no stack trace; --help exits 0", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts", ...args], {
    cwd: ROOT, encoding: "utf8", env: { ...process.env, TSX_TSCONFIG_PATH: "test/tsconfig.json" }, timeout: 60_000,
  });
  for (const [args, message] of [
    [["--broker", "notaurl"], /^npm start: --broker: 'notaurl' is not a URL/],
    [["--bms", "abc"], /^npm start: --bms must be a whole number from 1 to 3, got 'abc'/],
    [["--duration"], /^npm start: --duration needs a value/],
  ] as [string[], RegExp][]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /\bat .*\.ts:\d+|NaN/);
    assert.equal(r.stdout, "");
  }
  const help = run("--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: npm start -- \[options\]/);
  for (const option of ["--broker", "--ca", "--insecure", "--bms", "--node", "--duration", "--quiet-mqtt", "--linger", "--keep-running"]) assert.ok(help.stdout.includes(option), option);
});
