// The whole firmware in XS against the platform's sharp edges (issue 8 items 6, 8, 10, 12): the
// gateway's id at boot, a long paste on the serial console, SNTP on a network whose DNS fails,
// Wi-Fi handshake failures that are not a wrong password.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { Broker, Consumer } from "../lib/broker";
import { Mosquitto } from "../lib/mosquitto";
import { VirtualDevice, manifestConfig } from "./device";
import { XsTransport } from "./transport";

const broker = new Broker();
const mosquitto = new Mosquitto();
before(async () => { await broker.start(); await mosquitto.start(); });
after(async () => { await broker.stop(); await mosquitto.stop(); });

interface Board { device: VirtualDevice; fatals: string[] }

function board(clock: VirtualClock, overrides: Record<string, string>, extra: { mac?: string; flash?: Map<string, unknown> } = {}): Board {
  const fatals: string[] = [];
  const device = new VirtualDevice({
    clock, transport: new XsTransport(), mac: extra.mac, flash: extra.flash,
    config: manifestConfig({ ssid: "virtual-ap", password: "virtual-pass", bms: "*", ...overrides }),
    wifi: { ssid: "virtual-ap", password: "virtual-pass" },
    onFatal: (where, error) => fatals.push(`${where}: ${error}`),
  });
  return { device, fatals };
}

for (const [name, port] of [["aedes", () => broker.port], ["mosquitto", () => mosquitto.port]] as const)
test(`two gateways on one broker (${name}) get distinct ids by default, from the MAC that exists once Wi-Fi is initialised`, async () => {
  const clock = new VirtualClock();
  const flashA = new Map<string, unknown>();
  const mqtt = { mqttHost: "127.0.0.1", mqttPort: String(port()) };
  const a = board(clock, mqtt, { mac: "24:6F:28:11:11:11", flash: flashA });
  const b = board(clock, mqtt, { mac: "24:6F:28:22:22:22" });
  const ha = await Consumer.connect(port(), ["jbd/+/availability"]);
  try {
    await a.device.boot();
    await b.device.boot();
    for (let i = 0; i < 20; i++) { await a.device.run(500); await b.device.run(500); }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(ha.last("jbd/jbd-gw-111111/availability")?.text, "online");
    assert.equal(ha.last("jbd/jbd-gw-222222/availability")?.text, "online");
    assert.equal(ha.last("jbd/jbd-gw/availability"), undefined, "nobody fell back to the bare name");
    assert.match(a.device.serialOutput, /gateway jbd-gw-111111/);
    assert.deepEqual([...flashA.entries()].filter(([k]) => k.startsWith("jbd-device/")), [["jbd-device/id", "111111"]], "kept in flash");
    for (const { device } of [a, b]) {
      const from = device.serialOutput.length;
      device.typeSlowly("status\r");
      await device.run(500);
      assert.match(device.serialOutput.slice(from), /mqtt connected .*, connects 1\/1, disconnects 0/, "neither broker session took over the other's");
    }
    assert.deepEqual([...a.fatals, ...b.fatals], []);
  } finally {
    await ha.close();
    await a.device.close();
    await b.device.close();
  }
});

test("a line pasted faster than the 128-byte FIFO drains is discarded with a message, never run damaged", async () => {
  const clock = new VirtualClock();
  const { device, fatals } = board(clock, { mqttHost: "" });
  try {
    await device.boot();
    await device.run(3_000);
    // "config set topicPrefix x" + padding: the FIFO keeps the first 128 bytes, the rest is lost
    const line = `config set topicPrefix ${"a".repeat(150)}\r`;
    const from = device.serialOutput.length;
    device.type(line);
    await device.run(1_000);
    const shown = device.serialOutput.slice(from);
    assert.ok(device.serialDropped > 0, "the device's FIFO dropped bytes");
    assert.match(shown, /input lost: more than 128 bytes arrived while the gateway was busy; this line is discarded/);
    assert.doesNotMatch(shown, /topicPrefix =|topicPrefix:/, "the damaged command did not run");
    const next = device.serialOutput.length;
    device.typeSlowly("\rconfig get topicPrefix\r"); // Enter ends the damaged line, as the message says
    await device.run(1_000);
    assert.match(device.serialOutput.slice(next), /topicPrefix = jbd /, `the next line works, and the prefix is unchanged: ${JSON.stringify(device.serialOutput.slice(next))}`);
    assert.deepEqual(fatals, []);
  } finally {
    await device.close();
  }
});

test("SNTP on a network whose DNS fails: no socket closed under a queued message, retried later, set once DNS works", async () => {
  const clock = new VirtualClock();
  const { device, fatals } = board(clock, { mqttHost: "" });
  device.internet.dns = false;
  try {
    await device.boot();
    await device.run(5 * 60_000);
    assert.deepEqual(fatals, [], "mcsim would have crashed (lin socket use after free)");
    assert.match(device.serialOutput, /clock not set: time\.cloudflare\.com: cannot resolve time\.cloudflare\.com/);
    device.internet.dns = true;
    await device.run(30 * 60_000);
    assert.match(device.serialOutput, /clock set from pool\.ntp\.org/);
    assert.deepEqual(fatals, []);
  } finally {
    await device.close();
  }
});

test("Wi-Fi reason -1 at the edge of range: never called a wrong password, retried with backoff, connects when the signal returns", async () => {
  const clock = new VirtualClock();
  const { device, fatals } = board(clock, { mqttHost: "" });
  device.wifi.weakSignal = true;
  try {
    await device.boot();
    await device.run(10 * 60_000);
    const out = device.serialOutput;
    assert.doesNotMatch(out, /password rejected|wrong password(?!, or)/i);
    assert.match(out, /handshake failed or timed out \(wrong password, or a weak signal\)/);
    assert.match(out, /3 times in a row; check the password .* or move the gateway closer to the access point; still retrying/);
    const attempts = (out.match(/handshake failed or timed out/g) ?? []).length;
    assert.ok(attempts >= 4 && attempts <= 12, `retried with backoff, not flat out: ${attempts} attempts in 10 min`);
    const from = device.serialOutput.length;
    device.typeSlowly("status\r");
    await device.run(1_000);
    assert.match(device.serialOutput.slice(from), /wifi down \(last error: handshake failed or timed out \(wrong password, or a weak signal\)\)/);
    device.wifi.weakSignal = false;
    await device.run(3 * 60_000);
    assert.match(device.serialOutput, /Wi-Fi up: virtual-ap/);
    assert.deepEqual(fatals, []);
  } finally {
    await device.close();
  }
});
