// `npm start` stops completely, however a user stops it: no node or xsnap process survives to
// fight the next start for the MQTT client id, and the broker sees the gateway go.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { Broker, Consumer } from "../lib/broker";
import { startGateway, waitSessionGone, killSession, sessionProcesses, type StartedGateway } from "./start-harness";

const GATEWAY_AVAILABILITY = /^jbd\/(?!house\/)[^/]+\/availability$/;

/** npm start against a broker of this test; resolves once the gateway is online there. */
async function onlineGateway(broker: Broker, consumer: Consumer, extra: string[] = []): Promise<{ gw: StartedGateway; topic: string }> {
  const gw = startGateway(["--broker", `mqtt://127.0.0.1:${broker.port}`, "--quiet-mqtt", ...extra]);
  try {
    const online = await consumer.waitFor((m) => GATEWAY_AVAILABILITY.test(m.topic) && m.text === "online", 90_000, 0);
    return { gw, topic: online.topic };
  } catch (error) {
    killSession(gw.sid);
    throw new Error(`${(error as Error).message}\n${gw.output().slice(-2000)}`);
  }
}

async function stopsCleanly(how: string, signal: (gw: StartedGateway) => void): Promise<void> {
  const broker = new Broker();
  await broker.start();
  const consumer = await Consumer.connect(broker.port, ["jbd/+/availability"]);
  const { gw, topic } = await onlineGateway(broker, consumer);
  try {
    assert.ok(sessionProcesses(gw.sid).some(([, cmd]) => cmd.includes("xsnap")), "an xsnap worker runs");
    const since = consumer.messages.length;
    signal(gw);
    // the broker saw the gateway's connection end (its will, or its own offline)
    await consumer.waitFor((m) => m.topic === topic && m.text === "offline", 20_000, since);
    await gw.exited;
    await waitSessionGone(gw.sid);
  } catch (error) {
    throw new Error(`${how}: ${(error as Error).message}\n--- output ---\n${gw.output().slice(-2000)}`);
  } finally {
    killSession(gw.sid);
    await consumer.close();
    await broker.stop();
  }
}

test("npm start stops completely however it is stopped", { concurrency: 2, timeout: 240_000 }, async (t) => {
  await t.test("SIGTERM to npm only (kill <npm pid>, a service manager)", () =>
    stopsCleanly("SIGTERM to npm", (gw) => process.kill(gw.sid, "SIGTERM")));
  await t.test("SIGTERM to npm, then to its process group (what `timeout 10 npm start` does)", () =>
    stopsCleanly("timeout", (gw) => { process.kill(gw.sid, "SIGTERM"); process.kill(-gw.sid, "SIGTERM"); }));
  await t.test("SIGHUP to the process group (the terminal window closed)", () =>
    stopsCleanly("SIGHUP", (gw) => process.kill(-gw.sid, "SIGHUP")));
  await t.test("SIGINT to the process group (Ctrl-C with piped input)", () =>
    stopsCleanly("SIGINT", (gw) => process.kill(-gw.sid, "SIGINT")));
  await t.test("SIGKILL to npm (nothing can be forwarded)", () =>
    stopsCleanly("SIGKILL to npm", (gw) => process.kill(gw.sid, "SIGKILL")));
});

test("npm start with the embedded broker: stopping it closes the broker too", { timeout: 120_000 }, async () => {
  const gw = startGateway(["--quiet-mqtt"]);
  try {
    const [, port] = await gw.waitForOutput(/aedes \(embedded\) at mqtt:\/\/127\.0\.0\.1:(\d+)/);
    const consumer = await Consumer.connect(Number(port), ["jbd/+/availability"]);
    await consumer.waitFor((m) => GATEWAY_AVAILABILITY.test(m.topic) && m.text === "online", 90_000, 0);
    const closed = new Promise<void>((resolve) => consumer.client.once("close", () => resolve()));
    process.kill(gw.sid, "SIGTERM");
    await closed; // the broker went away under the consumer
    await consumer.client.endAsync(true);
    assert.equal(await gw.exited, 0);
    await waitSessionGone(gw.sid);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => { socket.destroy(); resolve(false); });
      socket.on("error", () => resolve(true));
    });
    assert.ok(refused, `nothing listens on ${port} any more`);
  } finally {
    killSession(gw.sid);
  }
});

test("piped input: the lines are answered, then npm start stops by itself (exit 0)", { timeout: 120_000 }, async () => {
  const broker = new Broker();
  await broker.start();
  const gw = startGateway(["--broker", `mqtt://127.0.0.1:${broker.port}`, "--quiet-mqtt", "--bms", "2"]);
  try {
    gw.child.stdin!.end("status\nscan 2\nstats\n");
    assert.equal(await gw.exited, 0, gw.output());
    await waitSessionGone(gw.sid);
    const out = gw.output();
    // each line was answered, in order, the asynchronous scan before the next line
    const status = out.indexOf("jbd> status"), scan = out.indexOf("jbd> scan 2"), seen = out.indexOf("device(s) seen"), stats = out.indexOf("jbd> stats");
    assert.ok(status >= 0 && scan > status && seen > scan && stats > seen, out);
    assert.match(out.slice(status), /^jbd> status\r?\n.*uptime/s);
    assert.doesNotMatch(out, /busy: the previous command/);
    assert.match(out, /stopped \(end of input\)/);
  } finally {
    killSession(gw.sid);
    await broker.stop();
  }
});

test("--duration with --keep-running (input /dev/null, as under a service manager): stops when the time is up, not at the end of input", { timeout: 120_000 }, async () => {
  const broker = new Broker();
  await broker.start();
  const gw = startGateway(["--broker", `mqtt://127.0.0.1:${broker.port}`, "--quiet-mqtt", "--duration", "3", "--keep-running"], { stdin: "ignore" });
  try {
    assert.equal(await gw.exited, 0, gw.output());
    assert.match(gw.output(), /stopped \(3 s elapsed\)/);
    await waitSessionGone(gw.sid);
  } finally {
    killSession(gw.sid);
    await broker.stop();
  }
});
