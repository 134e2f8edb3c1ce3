// npm start: the whole gateway on a machine with no hardware. The firmware runs inside Moddable's
// XS engine (the virtual device), talks BLE to simulated JBD BMS and MQTT to a real broker
// (an embedded aedes on 127.0.0.1, or --broker mqtt://host:port), and its serial console is this
// terminal. Readings and commands crossing MQTT are shown as they pass.
//
//   npm start -- [--broker mqtt://host:port] [--bms N] [--node] [--duration seconds] [--quiet-mqtt]
import { RealClock } from "../test/sim/clock";
import { Broker } from "../test/lib/broker";
import { connect } from "../test/lib/mqtt-client";
import { XsTransport, NodeTransport } from "../test/virtual/transport";
import { createScenario } from "../test/virtual/scenario";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

const DIM = process.stdout.isTTY ? "\x1b[2m" : "", CYAN = process.stdout.isTTY ? "\x1b[36m" : "", RESET = process.stdout.isTTY ? "\x1b[0m" : "";

async function main(): Promise<void> {
  const bmsCount = Math.max(1, Math.min(3, Number(option("--bms") ?? 1)));
  let broker: Broker | undefined;
  let target = { host: "127.0.0.1", port: 1883 };
  const url = option("--broker");
  if (url) {
    const parsed = new URL(url);
    target = { host: parsed.hostname, port: Number(parsed.port || 1883) };
  } else {
    broker = new Broker();
    broker.port = 1883;
    try { await broker.start(); } catch { broker.port = 0; await broker.start(); }
    target.port = broker.port;
  }
  const note = (text: string) => process.stdout.write(`${DIM}[virtual] ${text}${RESET}\n`);
  note(`broker ${broker ? "aedes (embedded)" : "external"} at mqtt://${target.host}:${target.port} — try: mosquitto_sub -h ${target.host} -p ${target.port} -t 'jbd/#' -v`);

  const clock = new RealClock();
  const transport = flag("--node") ? new NodeTransport() : new XsTransport();
  const scenario = createScenario({
    clock, transport, broker: target, bmsCount, seed: Date.now() % 1000,
    // a pack that visibly charges and discharges: a 4-minute cycle of ±15 A around a 3 A load
    profile: (i) => (t) => 15 * Math.sin((2 * Math.PI * t) / 240_000 + i) - 3,
    onSerial: (text) => process.stdout.write(text),
    log: (line) => note(line),
  });
  note(`firmware in ${transport.kind === "xs" ? "the XS engine (xsnap)" : "Node"}; ${bmsCount} simulated BMS: ${scenario.addresses.map((a, i) => `${scenario.ids[i]} ${a}`).join(", ")}`);

  // The consumer side: what Home Assistant or mosquitto_sub would see.
  const consumer = connect({ host: target.host, port: target.port, reconnectPeriod: 1000 });
  consumer.on("connect", () => consumer.subscribe(["jbd/#"]));
  if (!flag("--quiet-mqtt")) {
    consumer.on("message", (topic, payload) => {
      if (topic.endsWith("/diag")) return;
      const text = payload.toString();
      process.stdout.write(`${CYAN}mqtt ${topic} ${text.length > 160 ? text.slice(0, 157) + "..." : text}${RESET}\n`);
    });
  }

  await scenario.device.boot();

  // The serial console: raw keystrokes from a terminal, or lines from a pipe as typed input.
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.on("data", (data: Buffer) => {
      if (data.indexOf(3) >= 0) void shutdown(); // Ctrl-C
      else scenario.device.type(data.toString("utf8"));
    });
  } else {
    let pending = "";
    process.stdin.on("data", (data: Buffer) => {
      pending += data.toString("utf8");
      const lines = pending.split(/\r?\n/);
      pending = lines.pop()!;
      lines.forEach((line, i) => setTimeout(() => scenario.device.type(line + "\r"), 1500 * (i + 1)));
    });
  }

  let closing = false;
  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    consumer.end(true);
    await scenario.device.close();
    await broker?.stop();
    process.stdout.write(`\n${DIM}[virtual] stopped; exceptions escaped to the top: ${scenario.device.fatalErrors}${RESET}\n`);
    process.exit(0);
  }
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
  const duration = Number(option("--duration") ?? 0);
  if (duration > 0) setTimeout(() => void shutdown(), duration * 1000);
}

main().catch((error) => { console.error(error); process.exit(1); });
