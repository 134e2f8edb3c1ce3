// MQTT over TLS with the whole firmware on XS against a real TLS broker (mosquitto, a test CA made
// at test time): the CA pasted at the serial console and kept in flash, TLS held back until SNTP
// has set the clock, and the broker certificates the SDK refuses refused here too, with words the
// user can act on (issue 11 part 1).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Consumer } from "../lib/broker";
import { TlsBroker, tlsBrokerMissing } from "../lib/tls-broker";
import { VirtualClock } from "../sim/clock";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";

const broker = new TlsBroker();
let consumer: Consumer;

before(async () => {
  if (tlsBrokerMissing) return;
  await broker.start();
  consumer = await Consumer.connect(broker.ports.plain, ["jbd/#"]);
});
after(async () => {
  if (tlsBrokerMissing) return;
  await consumer.close();
  await broker.close();
});

interface Booted { scenario: Scenario; log: string[]; gateway: string }

async function boot(port: number, o: { caInFlash?: boolean; ntp?: boolean; seed: number }): Promise<Booted> {
  const log: string[] = [];
  const flash = new Map<string, unknown>();
  if (o.caInFlash) flash.set("jbd-tls/ca", { hex: broker.caDer.toString("hex") });
  const scenario = createScenario({
    clock: new VirtualClock(), transport: new XsTransport(), broker: { host: "127.0.0.1", port }, seed: o.seed,
    config: { mqttTls: "true", gatewayName: `tls${o.seed}` }, flash, log: (line) => log.push(line), neighbours: false,
  });
  scenario.device.internet.ntp = o.ntp ?? true;
  await scenario.device.boot();
  await scenario.device.run(15_000);
  const gateway = / I gateway (\S+)/.exec(scenario.device.serialOutput)![1];
  return { scenario, log, gateway };
}

const online = (gateway: string) => consumer.on(`jbd/${gateway}/availability`).some((m) => m.text === "online");

async function runUntil(s: Scenario, check: () => boolean, virtualMs: number): Promise<boolean> {
  for (let t = 0; t < virtualMs && !check(); t += 1_000) {
    await s.device.run(1_000);
    await new Promise((r) => setTimeout(r, 5)); // the broker's side is real I/O
  }
  return check();
}

/** A terminal that sends line by line (with a line delay), as the README tells the user to paste. */
async function pasteLines(s: Scenario, text: string): Promise<void> {
  for (const line of text.trim().split("\n")) {
    s.device.type(line + "\r");
    await s.device.run(30);
  }
}

test("the CA pasted at the serial console is kept in flash; TLS waits for the clock, then connects", { skip: tlsBrokerMissing, timeout: 180_000 }, async () => {
  const { scenario, gateway } = await boot(broker.ports.chain, { ntp: false, seed: 31 });
  try {
    const serial = () => scenario.device.serialOutput;
    assert.match(serial(), /MQTT TLS: waiting for the clock \(SNTP\)/);
    scenario.device.typeSlowly("tls\r");
    await scenario.device.run(500);
    assert.match(serial(), /tls on: verify on, no CA/);

    scenario.device.typeSlowly("tls ca\r");
    await scenario.device.run(200);
    assert.match(serial(), /paste the broker's CA certificate/);
    await pasteLines(scenario, broker.caPem);
    await scenario.device.run(500);
    assert.match(serial(), /tls ca: stored 'jbd-gateway test CA' \(\d+ bytes, valid \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\); MQTT reconnects/);
    assert.deepEqual(Buffer.from((scenario.device.flash.get("jbd-tls/ca") as { hex: string }).hex, "hex"), broker.caDer, "the DER in flash is the CA's");

    // still no clock: nothing was tried at the broker
    await scenario.device.run(10_000);
    assert.equal(online(gateway), false);
    assert.equal(scenario.device.mqtt.connections.size, 0, "no TLS connection before the clock is set");

    scenario.device.internet.ntp = true;
    assert.ok(await runUntil(scenario, () => online(gateway), 300_000), "online once SNTP answered:\n" + serial().slice(-2000));
    assert.match(serial(), /clock set from/);
    assert.match(serial(), /MQTT TLS: ready, connecting/);
  } finally {
    await scenario.device.close();
  }
});

test("over MQTT, 'tls' is answered and 'tls ca' is refused: only the serial console changes the trust", { skip: tlsBrokerMissing, timeout: 180_000 }, async () => {
  const { scenario, gateway } = await boot(broker.ports.chain, { caInFlash: true, seed: 32 });
  try {
    assert.ok(await runUntil(scenario, () => online(gateway), 60_000), "online with the CA in flash");
    await scenario.device.run(3_000); // past the replay guard
    const ask = async (line: string) => {
      const since = consumer.messages.length;
      await consumer.publish(`jbd/${gateway}/console`, line);
      for (let i = 0; i < 200; i++) {
        const reply = consumer.messages.slice(since).find((m) => m.topic === `jbd/${gateway}/console/out`);
        if (reply) return reply.text;
        await new Promise((r) => setTimeout(r, 25));
        await scenario.device.run(50);
      }
      throw new Error("no answer to " + line);
    };
    assert.match(await ask("tls"), /^tls on: verify on, CA 'jbd-gateway test CA' \(flash, \d+ bytes/);
    assert.match(await ask("tls ca clear"), /^refused: 'tls' works on the serial console only/);
    assert.ok(scenario.device.flash.has("jbd-tls/ca"), "the CA is still there");
  } finally {
    await scenario.device.close();
  }
});

for (const [name, port, trace] of [
  ["a broker that sends its certificate without its CA", () => broker.ports.leafOnly, /TLS: subjectAltName match failed for 127\.0\.0\.1/],
  ["a certificate that names the host only in its common name", () => broker.ports.cnOnly, /TLS: subjectAltName match failed for 127\.0\.0\.1/],
] as const) {
  test(`${name} is refused as the SDK refuses it, and the console says what to check`, { skip: tlsBrokerMissing, timeout: 180_000 }, async () => {
    const { scenario, log, gateway } = await boot(port(), { caInFlash: true, seed: 33 });
    try {
      await runUntil(scenario, () => /MQTT TLS: the TLS connection closed/.test(scenario.device.serialOutput), 60_000);
      await scenario.device.run(20_000);
      assert.match(log.join("\n"), trace);
      const serial = scenario.device.serialOutput;
      assert.match(serial, /MQTT TLS: the TLS connection closed before the broker accepted the gateway; the SDK does not say why\. Check: .*subjectAltName.*sends its chain/);
      assert.equal(serial.split("the SDK does not say why").length - 1, 1, "the long explanation once, not at every retry");
      assert.equal(online(gateway), false);
      scenario.device.typeSlowly("status\r");
      await scenario.device.run(500);
      assert.match(scenario.device.serialOutput, /tls: \d+ connections? failed before the broker accepted the gateway/);
    } finally {
      await scenario.device.close();
    }
  });
}

test("a CA pasted all at once overflows the 128-byte FIFO: nothing is stored, and the console says why", { skip: tlsBrokerMissing, timeout: 120_000 }, async () => {
  const { scenario } = await boot(broker.ports.chain, { seed: 34 });
  try {
    scenario.device.typeSlowly("tls ca\r");
    await scenario.device.run(200);
    scenario.device.type(broker.caPem.replace(/\n/g, "\r"));
    await scenario.device.run(2_000);
    assert.match(scenario.device.serialOutput, /tls ca: (input lost|.*damaged|.*lost in transfer|.*not base64).*: nothing stored/);
    assert.equal(scenario.device.flash.has("jbd-tls/ca"), false);
    scenario.device.typeSlowly("\rtls\r");
    await scenario.device.run(500);
    assert.match(scenario.device.serialOutput, /tls on: verify on, no CA/);
  } finally {
    await scenario.device.close();
  }
});
