// The README's broker ACL (examples/mosquitto: jbd-gateway.conf and acl), tested as shipped: mosquitto
// with those files and a password file made by mosquitto_passwd, the whole firmware on XS logging in
// as jbd-gateway, Home Assistant and a dashboard user as real MQTT clients. A command the dashboard
// publishes (a FET, a release, a console line) never reaches the gateway's subscriptions: nothing is
// switched, nothing answered; the same from Home Assistant is obeyed; an anonymous client is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { connect, type MqttClient } from "../lib/mqtt-client";
import { mosquittoPath } from "../lib/mosquitto";
import { ROOT } from "../../scripts/lib/xs";
import type { Scenario } from "./scenario";
import { bootGatewayOnXs } from "./xs-gateway";

const EXAMPLES = path.join(ROOT, "examples", "mosquitto");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jbd-mosquitto-acl-"));
fs.chmodSync(dir, 0o755); // mosquitto started as root reads its files as the user mosquitto
const PASSWORDS = { "jbd-gateway": "gw-secret", homeassistant: "ha-secret", dashboard: "dash-secret" };
let port = 0;
let mosquitto: ChildProcess | undefined;
let scenario: Scenario;
let gateway = "";
let ha: Client, dashboard: Client;

interface Client { client: MqttClient; messages: { topic: string; text: string }[] }

async function client(user: string | undefined, password?: string): Promise<Client> {
  const c = connect({ host: "127.0.0.1", port, protocolVersion: 4, reconnectPeriod: 0, clientId: (user ?? "anonymous") + "-" + Math.random().toString(16).slice(2), username: user, password });
  const messages: Client["messages"] = [];
  c.on("message", (topic, payload) => messages.push({ topic, text: payload.toString() }));
  await new Promise<void>((resolve, reject) => { c.once("connect", () => resolve()); c.once("error", reject); });
  return { client: c, messages };
}

/** Runs the device (and real time for the broker) until `done()`, or for `ms` of real time when no `done`. */
async function run(ms: number, done?: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(done?.() ?? false)) {
    await new Promise((r) => setTimeout(r, 10));
    await scenario.device.run(50);
  }
}

before(async () => {
  const binary = mosquittoPath();
  if (!binary) throw new Error("mosquitto is not installed (apt-get install mosquitto; .ci/run does it)");
  const passwd = path.join(dir, "jbd-passwd");
  Object.entries(PASSWORDS).forEach(([user, password], i) => {
    const made = spawnSync("mosquitto_passwd", [...(i === 0 ? ["-c"] : []), "-b", passwd, user, password], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
  });
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  // the example as shipped; only the port and the two file paths are this test's
  const conf = fs.readFileSync(path.join(EXAMPLES, "jbd-gateway.conf"), "utf8")
    .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
    .replace(/^password_file \/etc\/mosquitto\/jbd-passwd$/m, "password_file " + passwd)
    .replace(/^acl_file \/etc\/mosquitto\/jbd-acl$/m, "acl_file " + path.join(EXAMPLES, "acl"));
  const directives = conf.split("\n").filter((line) => line && !line.startsWith("#"));
  assert.deepEqual(directives, [`listener ${port} 127.0.0.1`, "allow_anonymous false", "password_file " + passwd, "acl_file " + path.join(EXAMPLES, "acl")]);
  fs.writeFileSync(path.join(dir, "mosquitto.conf"), conf + "persistence false\n");
  mosquitto = spawn(binary, ["-c", path.join(dir, "mosquitto.conf")], { stdio: "ignore" });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => { socket.destroy(); resolve(true); });
      socket.on("error", () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error("mosquitto did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  ({ scenario, gateway } = await bootGatewayOnXs(port, 13, { mqttUser: "jbd-gateway", mqttPassword: PASSWORDS["jbd-gateway"], remoteConsole: "full", maintenance: "counters" }));
  ha = await client("homeassistant", PASSWORDS.homeassistant);
  await ha.client.subscribeAsync("jbd/#");
  dashboard = await client("dashboard", PASSWORDS.dashboard);
  await dashboard.client.subscribeAsync("jbd/#");
  await run(10_000, () => ha.messages.some((m) => m.topic === "jbd/house/state"));
  await run(1_500); // past the replay guard's settle time
});

after(async () => {
  await ha?.client.endAsync(true);
  await dashboard?.client.endAsync(true);
  await scenario?.device.close();
  if (mosquitto && mosquitto.exitCode === null) {
    mosquitto.kill("SIGTERM");
    await new Promise((resolve) => mosquitto!.once("exit", resolve));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const e1 = () => scenario.sims[0].stats.requests[0xe1] ?? 0;
const fets = () => scenario.sims[0].pack.read().fet;

test("the gateway logs in with its user and publishes; Home Assistant and the dashboard read its state", () => {
  assert.ok(ha.messages.some((m) => m.topic === "jbd/house/state"), "Home Assistant reads the state");
  assert.ok(dashboard.messages.some((m) => m.topic === "jbd/house/state"), "the dashboard reads the state");
});

test("the dashboard's commands (FET, release, maintenance, settings, console) never reach the gateway: nothing switched, nothing answered", async () => {
  const haSince = ha.messages.length, writes = e1(), serial = scenario.device.serialOutput.length;
  const controls = scenario.sims[0].stats.controls[0x0200] ?? 0, enters = scenario.sims[0].stats.requests[0x00] ?? 0;
  await dashboard.client.publishAsync("jbd/house/maintenance/set", "counters", { qos: 0 });
  await dashboard.client.publishAsync("jbd/house/settings/read", "PRESS", { qos: 0 });
  await dashboard.client.publishAsync("jbd/house/mos/charge/set", "OFF", { qos: 0 });
  await dashboard.client.publishAsync("jbd/house/mos/discharge/set", "OFF", { qos: 1 });
  await dashboard.client.publishAsync("jbd/house/release/set", "5", { qos: 0 });
  await dashboard.client.publishAsync(`jbd/${gateway}/console`, "mos house charge off", { qos: 0 });
  await run(3_000);
  const seen = ha.messages.slice(haSince).map((m) => m.topic);
  for (const topic of ["jbd/house/mos/charge/set", "jbd/house/mos/discharge/set", "jbd/house/release/set", "jbd/house/maintenance/set", "jbd/house/settings/read", `jbd/${gateway}/console`]) {
    assert.ok(!seen.includes(topic), topic + ": not delivered (Home Assistant, subscribed to jbd/#, did not get it either)");
  }
  assert.ok(!seen.includes("jbd/house/mos/result") && !seen.includes("jbd/house/release/result") && !seen.includes(`jbd/${gateway}/console/out`), "nothing answered");
  const log = scenario.device.serialOutput.slice(serial);
  assert.doesNotMatch(log, /MOS command|MQTT console|released/);
  assert.equal(e1(), writes, "no MOS write reached the BMS");
  assert.equal(scenario.sims[0].stats.controls[0x0200] ?? 0, controls, "no maintenance function reached the BMS");
  assert.equal(scenario.sims[0].stats.requests[0x00] ?? 0, enters, "no settings session was started");
  assert.ok(!seen.includes("jbd/house/maintenance/result") && !seen.includes("jbd/house/settings/result"), "nothing answered");
  assert.deepEqual(fets(), { charge: true, discharge: true });
});

test("the same commands from Home Assistant are obeyed", async () => {
  let since = ha.messages.length;
  await ha.client.publishAsync("jbd/house/mos/charge/set", "OFF", { qos: 0 });
  await run(10_000, () => ha.messages.slice(since).some((m) => m.topic === "jbd/house/mos/result"));
  const result = JSON.parse(ha.messages.slice(since).find((m) => m.topic === "jbd/house/mos/result")!.text);
  assert.deepEqual([result.fet, result.ok], ["charge", true]);
  assert.equal(fets().charge, false);
  since = ha.messages.length;
  await ha.client.publishAsync(`jbd/${gateway}/console`, "mos house charge on", { qos: 0 });
  await run(10_000, () => ha.messages.slice(since).some((m) => m.topic === `jbd/${gateway}/console/out`));
  assert.match(ha.messages.slice(since).find((m) => m.topic === `jbd/${gateway}/console/out`)!.text, /^ok: charge FET on confirmed/);
  assert.equal(fets().charge, true);
  since = ha.messages.length;
  await ha.client.publishAsync("jbd/house/maintenance/set", "counters", { qos: 0 });
  await run(10_000, () => ha.messages.slice(since).some((m) => m.topic === "jbd/house/maintenance/result"));
  assert.deepEqual(JSON.parse(ha.messages.slice(since).find((m) => m.topic === "jbd/house/maintenance/result")!.text).after, { errorCounters: 0 });
  assert.equal(scenario.sims[0].stats.controls[0x0200], 1);
});

test("an anonymous client, or a wrong password, is refused by the broker", async () => {
  await assert.rejects(client(undefined), /Not authorized|Connection refused/i);
  await assert.rejects(client("homeassistant", "wrong"), /Not authorized|Bad username or password|Connection refused/i);
});
