// npm start: the whole gateway on a machine with no hardware. The firmware runs inside Moddable's
// XS engine (the virtual device), talks BLE to simulated JBD BMS and MQTT to a real broker
// (an embedded aedes on 127.0.0.1, or --broker mqtt[s]://[user:password@]host[:port]), and its
// serial console is this terminal. Readings and commands crossing MQTT are shown as they pass.
//
// Stopping: Ctrl-C, SIGINT, SIGTERM, SIGHUP (the terminal closed), --duration, the end of piped
// input, or npm going away: every path runs the same stop, which closes the firmware's MQTT
// connections, the xsnap worker and the embedded broker, then exits (forced after a few seconds).
// `npm start` execs this process, so npm's own signal forwarding reaches it directly.
//
//   npm start -- --help
import fs from "node:fs";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { parseStartOptions, OptionError, USAGE, brokerConfig, type StartOptions } from "./lib/start-options";
import { SharedTerminal } from "./lib/terminal";
import { PipedConsole } from "./lib/piped-console";

let options: StartOptions;
try {
  options = parseStartOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof OptionError)) throw error;
  process.stderr.write(`npm start: ${error.message}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE + "\n");
  process.exit(0);
}

// Loaded after the command line is checked: a usage error answers at once.
const { RealClock } = await import("../test/sim/clock");
const { Broker } = await import("../test/lib/broker");
const { connect } = await import("../test/lib/mqtt-client");
const { XsTransport, NodeTransport } = await import("../test/virtual/transport");
const { createScenario } = await import("../test/virtual/scenario");
type Scenario = ReturnType<typeof createScenario>;

/** The console's prompt as the firmware prints it (modules/console/console.ts default). */
const PROMPT = "jbd> ";
/** After a stop is asked for, the process exits within this time whatever hangs. */
const STOP_DEADLINE_MS = 5000;
/** Piped input waits for the boot to settle: this long without console output. */
const BOOT_SETTLE_MS = 1000;
/** ...but starts at most this long after the first prompt, however busy the console is. */
const BOOT_SETTLE_MAX_MS = 10_000;
/** A piped line whose answer never ends (no prompt again) is given up after this long. */
const MAX_ANSWER_MS = 90_000;

const interactive = process.stdin.isTTY === true;
const colour = process.stdout.isTTY === true;
const DIM = colour ? "\x1b[2m" : "", CYAN = colour ? "\x1b[36m" : "", RESET = colour ? "\x1b[0m" : "";

let outputOpen = true;
const terminal = new SharedTerminal({ write: (text) => { if (outputOpen) process.stdout.write(text); } }, colour);
// a closed terminal or pipe (`npm start | head`): stop instead of dying on EPIPE/EIO
process.stdout.on("error", () => { outputOpen = false; void stop("output closed"); });
const note = (text: string) => terminal.line(`${DIM}[virtual] ${text}${RESET}`);

let broker: InstanceType<typeof Broker> | undefined;
let scenario: Scenario | undefined;
let consumer: ReturnType<typeof connect> | undefined;
let stopping = false;
const timers = new Set<ReturnType<typeof setTimeout>>();

async function stop(reason: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), STOP_DEADLINE_MS); // whatever hangs below
  for (const t of timers) clearTimeout(t);
  try { if (interactive) process.stdin.setRawMode(false); } catch { /* the terminal is gone */ }
  process.stdin.pause();
  try { consumer?.end(true); } catch { /* closing anyway */ }
  // the firmware's MQTT connections drop without DISCONNECT (as a power cut would): the broker
  // publishes the gateway's will, so its availability reads offline at once
  try { await scenario?.device.close(); } catch { /* xsnap may already be gone (a signal to the group) */ }
  try { await broker?.stop(); } catch { /* closing anyway */ }
  terminal.last(`${DIM}[virtual] stopped (${reason}); exceptions escaped to the top: ${scenario?.device.fatalErrors ?? 0}${RESET}`);
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop(signal));
// npm killed without a chance to pass the signal on: this process was re-parented
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) void stop("parent process gone"); }, 500).unref();

function later(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
  timers.add(t);
  return t;
}

/** Where the firmware keeps a CA given with 'tls ca' (modules/net/tls-platform.ts: domain jbd-tls, key ca). */
const CA_FLASH_KEY = "jbd-tls/ca";

/** What mcconfig builds in from certs/: the broker's CA, if the user put it there. */
function builtInResources(): Map<string, Buffer> {
  const resources = new Map<string, Buffer>();
  const file = path.join(import.meta.dirname, "..", "certs", "mqtt-ca.der");
  if (fs.existsSync(file)) resources.set("mqtt-ca.der", fs.readFileSync(file));
  return resources;
}

async function main(o: StartOptions): Promise<void> {
  let target = o.broker ?? { host: "127.0.0.1", port: 1883, tls: false, user: "", password: "" };
  if (!o.broker) {
    broker = new Broker();
    broker.port = 1883;
    try { await broker.start(); } catch { broker.port = 0; await broker.start(); }
    target = { ...target, port: broker.port };
  }
  if (stopping) return;
  const scheme = target.tls ? "mqtts" : "mqtt";
  const login = target.user ? ` as ${target.user}` : "";
  const subHint = `mosquitto_sub -h ${target.host} -p ${target.port}${target.user ? ` -u ${target.user} -P '...'` : ""}${target.tls ? ` --cafile ${o.caFile ?? "<the broker's CA>"}${o.insecure ? " --insecure" : ""}` : ""} -t 'jbd/#' -v`;
  note(`broker ${broker ? "aedes (embedded)" : "external"} at ${scheme}://${target.host}:${target.port}${login} — try: ${subHint}`);

  const clock = new RealClock();
  const transport = o.node ? new NodeTransport() : new XsTransport();
  let piped: PipedConsole | undefined;
  scenario = createScenario({
    clock, transport, broker: target, bmsCount: o.bms, seed: Date.now() % 1000,
    config: { ...brokerConfig(target), ...(o.insecure ? { mqttTlsVerify: "false" } : {}) },
    // --ca: the CA in the device's flash, where 'tls ca' at its console would put it
    flash: o.ca ? new Map([[CA_FLASH_KEY, { hex: new X509Certificate(o.ca).raw.toString("hex") }]]) : undefined,
    resources: builtInResources(),
    // a pack that visibly charges and discharges: a 4-minute cycle of ±15 A around a 3 A load
    profile: (i) => (t) => 15 * Math.sin((2 * Math.PI * t) / 240_000 + i) - 3,
    onSerial: (text) => { terminal.serial(text); piped?.serial(text); },
    log: (line) => note(line),
  });
  note(`firmware in ${transport.kind === "xs" ? "the XS engine (xsnap)" : "Node"}; ${o.bms} simulated BMS: ${scenario.addresses.map((a, i) => `${scenario!.ids[i]} ${a}`).join(", ")}`);

  // The consumer side: what Home Assistant or mosquitto_sub would see.
  consumer = connect({
    host: target.host, port: target.port, reconnectPeriod: 1000,
    username: target.user || undefined, password: target.password || undefined,
    ...(target.tls ? { protocol: "mqtts" as const, ca: o.ca, rejectUnauthorized: !o.insecure } : {}),
  });
  consumer.on("error", () => { /* the firmware's own connection reports broker problems */ });
  consumer.on("connect", () => consumer!.subscribe(["jbd/#"]));
  if (!o.quietMqtt) {
    consumer.on("message", (topic, payload) => {
      if (topic.endsWith("/diag")) return;
      const text = payload.toString();
      terminal.line(`${CYAN}mqtt ${topic} ${text.length > 160 ? text.slice(0, 157) + "..." : text}${RESET}`);
    });
  }

  // The serial console: raw keystrokes from a terminal, or the lines of a pipe or file.
  const device = scenario.device;
  if (interactive) {
    process.stdin.setRawMode(true);
    process.stdin.on("data", (data: Buffer) => {
      if (data.indexOf(3) >= 0) void stop("Ctrl-C");
      else device.type(data.toString("utf8"));
    });
    process.stdin.on("end", () => void stop("terminal closed"));
  } else {
    piped = new PipedConsole({
      prompt: PROMPT, tail: () => terminal.tail, type: (text) => device.type(text),
      onDone: () => void stop("end of input"), lingerMs: o.linger * 1000, maxWaitMs: MAX_ANSWER_MS,
      settleMs: BOOT_SETTLE_MS, maxSettleMs: BOOT_SETTLE_MAX_MS, now: () => Date.now(),
      setTimer: (fn, ms) => later(fn, ms), clearTimer: (t) => { clearTimeout(t as ReturnType<typeof setTimeout>); timers.delete(t as ReturnType<typeof setTimeout>); },
    });
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (text: string) => piped!.push(text));
    if (!o.keepRunning) process.stdin.on("end", () => piped!.end());
  }
  process.stdin.on("error", () => void stop("input closed"));

  await device.boot();
  if (o.duration > 0) later(() => void stop(`${o.duration} s elapsed`), o.duration * 1000);
}

main(options).catch((error) => {
  process.stderr.write(`npm start: the virtual device could not start: ${(error as Error).message ?? error}\n`);
  void stop("start failed", 1);
});
