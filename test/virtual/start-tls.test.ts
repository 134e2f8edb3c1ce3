// npm start against a broker that needs a login, with and without TLS, as Home Assistant's
// Mosquitto add-on does: a real mosquitto with a password file, a TLS listener whose certificate
// comes from a test CA made here with openssl, and a plain listener.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect, type MqttClient } from "../lib/mqtt-client";
import { accepting, freePort, mosquittoPath } from "../lib/mosquitto";
import { startGateway, waitSessionGone, killSession } from "./start-harness";

const USER = "ha", PASSWORD = "s3cr@t:x"; // '@' and ':' must travel percent-encoded in the URL
const URL_LOGIN = `${USER}:${encodeURIComponent(PASSWORD)}`;
const missing = !mosquittoPath() ? "mosquitto is not installed" : spawnSync("openssl", ["version"]).error ? "openssl is not installed" : undefined;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jbd-tls-"));
let mosquitto: ChildProcess | undefined;
let tlsPort = 0, plainPort = 0;

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${r.stderr}`);
}

before(async () => {
  if (missing) return;
  // a test CA, and a broker certificate it signs for 127.0.0.1
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=jbd-gateway test CA"]);
  run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "broker.key", "-out", "broker.csr", "-subj", "/CN=127.0.0.1"]);
  fs.writeFileSync(path.join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("openssl", ["x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "broker.pem", "-days", "2", "-extfile", "san.cnf"]);
  // the SDK checks the host name only on a certificate that comes with its issuer: send leaf + CA
  fs.writeFileSync(path.join(dir, "broker-chain.pem"), fs.readFileSync(path.join(dir, "broker.pem"), "utf8") + fs.readFileSync(path.join(dir, "ca.pem"), "utf8"));
  run("mosquitto_passwd", ["-c", "-b", "passwd", USER, PASSWORD]);
  tlsPort = await freePort();
  plainPort = await freePort();
  fs.writeFileSync(path.join(dir, "mosquitto.conf"), [
    "per_listener_settings false", "allow_anonymous false", `password_file ${dir}/passwd`, "persistence false",
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    `listener ${plainPort} 127.0.0.1`,
    `listener ${tlsPort} 127.0.0.1`, `cafile ${dir}/ca.pem`, `certfile ${dir}/broker-chain.pem`, `keyfile ${dir}/broker.key`,
  ].join("\n") + "\n");
  mosquitto = spawn(mosquittoPath()!, ["-c", path.join(dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  mosquitto.stderr!.on("data", (d) => { log += d; });
  for (let i = 0; ; i++) {
    if (await accepting(tlsPort)) break;
    if (i > 100 || mosquitto.exitCode !== null) throw new Error(`mosquitto did not start: ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

after(async () => {
  if (mosquitto && mosquitto.exitCode === null) {
    mosquitto.kill("SIGTERM");
    await new Promise((resolve) => mosquitto!.once("exit", resolve));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What Home Assistant sees: a client of the same broker with the same login. */
async function observer(tls: boolean): Promise<{ client: MqttClient; seen: Map<string, string> }> {
  const client = connect({
    host: "127.0.0.1", port: tls ? tlsPort : plainPort, username: USER, password: PASSWORD, reconnectPeriod: 200,
    ...(tls ? { protocol: "mqtts" as const, ca: fs.readFileSync(path.join(dir, "ca.pem"), "utf8") } : {}),
  });
  const seen = new Map<string, string>();
  client.on("message", (topic, payload) => seen.set(topic, payload.toString()));
  await new Promise((resolve, reject) => { client.once("connect", resolve); client.once("error", reject); });
  await client.subscribeAsync("jbd/#");
  return { client, seen };
}

async function until(what: string, check: () => boolean, output: () => string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen in time\n--- npm start output ---\n${output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const gatewayOnline = (seen: Map<string, string>) => [...seen].some(([t, v]) => /^jbd\/[^/]+\/availability$/.test(t) && !t.startsWith("jbd/house/") && v === "online");

async function gatewayOnBroker(url: string, extra: string[], tls: boolean): Promise<void> {
  const { client, seen } = await observer(tls);
  const gw = startGateway(["--broker", url, ...extra]);
  try {
    await until("gateway online", () => gatewayOnline(seen) && seen.has("jbd/house/state"), gw.output);
    // the host's own echo of MQTT traffic logs in too
    await gw.waitForOutput(/mqtt jbd\/house\/state \{/);
    process.kill(gw.sid, "SIGTERM");
    await gw.exited;
    await waitSessionGone(gw.sid);
  } finally {
    killSession(gw.sid);
    await client.endAsync(true);
  }
}

test("mqtt://user:password@ logs in to a broker that refuses anonymous clients", { skip: missing, timeout: 120_000 }, () =>
  gatewayOnBroker(`mqtt://${URL_LOGIN}@127.0.0.1:${plainPort}`, [], false));

test("mqtts:// with --ca: TLS to the broker, certificate checked against the test CA, with a login", { skip: missing, timeout: 120_000 }, () =>
  gatewayOnBroker(`mqtts://${URL_LOGIN}@127.0.0.1:${tlsPort}`, ["--ca", path.join(dir, "ca.pem")], true));

test("mqtts:// with --insecure: a self-signed broker is accepted without its CA", { skip: missing, timeout: 120_000 }, () =>
  gatewayOnBroker(`mqtts://${URL_LOGIN}@127.0.0.1:${tlsPort}`, ["--insecure"], true));

test("mqtts:// without --ca or --insecure: the unknown CA is refused, and said so", { skip: missing, timeout: 120_000 }, async () => {
  const gw = startGateway(["--broker", `mqtts://${URL_LOGIN}@127.0.0.1:${tlsPort}`, "--quiet-mqtt"]);
  try {
    await gw.waitForOutput(/MQTT TLS: no CA certificate to check the broker against: paste it with 'tls ca'/);
    process.kill(gw.sid, "SIGTERM");
    await gw.exited;
    await waitSessionGone(gw.sid);
  } finally {
    killSession(gw.sid);
  }
});

test("a wrong password is refused by the broker, and said so", { skip: missing, timeout: 120_000 }, async () => {
  const gw = startGateway(["--broker", `mqtt://${USER}:wrong@127.0.0.1:${plainPort}`, "--quiet-mqtt"]);
  try {
    await gw.waitForOutput(/MQTT FAIL: .*(Not authorized|Bad User Name or Password)/i);
    process.kill(gw.sid, "SIGTERM");
    await gw.exited;
    await waitSessionGone(gw.sid);
  } finally {
    killSession(gw.sid);
  }
});
