// ClockSync and the Wi-Fi manager on the virtual device (this Node process, virtual time), against the
// sntp double that reports the Linux simulator's socket use-after-free as fatal (sntp.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { VirtualDevice, manifestConfig } from "../virtual/device";
import { NodeTransport } from "../virtual/transport";
import type { HostOp } from "../doubles/runtime";
import type { Logger } from "../../modules/link/logger";

const clock = new VirtualClock();
const logs: string[] = [];
const fatals: string[] = [];
const hostOps: { at: number; op: HostOp }[] = [];
let sync: import("../../modules/net/clock-sync").ClockSync;
let wifi: import("../../modules/net/wifi-manager").WifiManager;
let wallClock: () => number;
const ups: number[] = [];

const device = new VirtualDevice({
  clock, config: manifestConfig({ mqttHost: "" }), onFatal: (where, error) => fatals.push(`${where}: ${error}`),
  transport: new NodeTransport(async () => {
    const { ClockSync } = await import("../../modules/net/clock-sync");
    const { WifiManager } = await import("../../modules/net/wifi-manager");
    wallClock = (await import("../doubles/time")).wallClockMs;
    const log: Logger = {
      error: (m, v) => logs.push(`E ${m} ${v ?? ""}`), warn: (m, v) => logs.push(`W ${m} ${v ?? ""}`),
      info: (m, v) => logs.push(`I ${m} ${v ?? ""}`), debug: (m, v) => logs.push(`D ${m} ${v ?? ""}`),
    };
    sync = new ClockSync(log);
    wifi = new WifiManager("virtual-ap", "virtual-pass", { onUp: () => { ups.push(clock.now()); sync.start(); }, onDown: () => sync.stop() }, log);
  }),
});

// record what the firmware asks of the host (sockets opened and closed, DNS lookups)
const deliver = device.transport.deliver.bind(device.transport);
(device.transport as { deliver: typeof deliver }).deliver = async (time, kind, args) => {
  const ops = await deliver(time, kind, args);
  for (const op of ops) hostOps.push({ at: time, op });
  return ops;
};
const count = (name: string, since = 0) => hostOps.filter((o) => o.at >= since && o.op[0] === name).length;

before(async () => { await device.boot(); });
after(async () => { await device.close(); });

test("Wi-Fi up: one SNTP socket, the clock set, and the socket closed on a later turn, not inside its read callback", async () => {
  await device.invoke(() => wifi.start());
  await device.run(2_000);
  assert.equal(sync.synced, true);
  assert.ok(Math.abs(wallClock() - Date.now()) < 10 * 60_000, "wall clock from NTP");
  assert.equal(count("udp.open"), 1);
  const readAt = hostOps.find((o) => o.op[0] === "sntp.write")!.at + 31;
  const closedAt = hostOps.find((o) => o.op[0] === "udp.close")!.at;
  assert.ok(closedAt > readAt, `closed at ${closedAt}, read at ${readAt}`);
  assert.deepEqual(fatals, []);
});

test("Wi-Fi dropping a few ms after it came up: the instance is closed only once its socket settled", async () => {
  const since = clock.now();
  await device.invoke(() => { sync.stop(); sync.start(); }); // up again (resync)
  await device.run(3);
  await device.invoke(() => sync.stop()); // down 3 ms later: its "connected" is still queued
  await device.invoke(() => sync.start()); // and up again at once: waits for the old one
  await device.run(5_000);
  assert.deepEqual(fatals, [], "no close under a queued message");
  assert.equal(count("udp.open", since), 2, "the second instance only after the first closed");
  const closes = hostOps.filter((o) => o.at >= since && o.op[0] === "udp.close").map((o) => o.at);
  const opens = hostOps.filter((o) => o.at >= since && o.op[0] === "udp.open").map((o) => o.at);
  assert.ok(closes[0] - opens[0] >= 1_000 - 1, "closed no sooner than it settled");
  assert.ok(opens[1] >= closes[0], "never two sockets at once");
});

test("DNS failing at once: hosts tried in turn by sntp.js, then retries with backoff, one socket at a time", async () => {
  await device.invoke(() => sync.stop());
  await device.run(2_000);
  device.internet.dns = false;
  const since = clock.now();
  await device.invoke(() => sync.start());
  await device.run(8 * 60_000);
  assert.deepEqual(fatals, []);
  const resolves = hostOps.filter((o) => o.at >= since && o.op[0] === "sntp.resolve").map((o) => o.op[2]);
  assert.deepEqual(resolves.slice(0, 3), ["pool.ntp.org", "time.google.com", "time.cloudflare.com"]);
  const opens = hostOps.filter((o) => o.at >= since && o.op[0] === "udp.open").map((o) => o.at - since);
  // now, then 60 s, 120 s, 240 s later (each after the previous one closed)
  assert.equal(opens.length, 4, `attempts at ${opens.join(", ")} ms`);
  const gaps = opens.slice(1).map((t, i) => Math.round((t - opens[i]) / 1000));
  assert.ok(gaps[0] >= 60 && gaps[1] >= 120 && gaps[2] >= 240, `backoff: ${gaps.join(", ")} s`);
  assert.ok(logs.some((l) => /clock not set: time\.cloudflare\.com: cannot resolve time\.cloudflare\.com; next try in 60 s/.test(l)));
  device.internet.dns = true;
});

test("NTP servers silent: sntp.js's own retries (every 5 s, 5 tries per host), never ours in between", async () => {
  device.internet.ntp = false;
  const since = clock.now();
  await device.invoke(() => { sync.stop(); });
  await device.run(2_000);
  await device.invoke(() => { sync.start(); });
  await device.run(80_000);
  assert.equal(count("udp.open", since), 1, "one instance for all three hosts");
  assert.equal(count("sntp.write", since), 15, "3 hosts x (1 + 4 retries)");
  assert.ok(logs.some((l) => /clock not set: time\.cloudflare\.com: no response from SNTP server/.test(l)));
  device.internet.ntp = true;
  await device.run(30 * 60_000);
  assert.ok(logs.some((l) => /clock set from/.test(l)));
  assert.deepEqual(fatals, []);
});

test("six virtual hours of network flaps at random moments (some within ms of coming up) and DNS outages: never a crash, never two sockets", async () => {
  let seed = 11;
  const random = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
  const since = clock.now();
  const end = since + 6 * 3600_000;
  let up = true;
  while (clock.now() < end) {
    const roll = random();
    const wait = roll < 0.3 ? Math.floor(random() * 40) : roll < 0.6 ? Math.floor(random() * 3_000) : Math.floor(random() * 20 * 60_000);
    await device.run(wait);
    if (random() < 0.2) device.internet.dns = !device.internet.dns;
    up = !up;
    await device.invoke(() => (up ? sync.start() : sync.stop()));
  }
  device.internet.dns = true;
  await device.invoke(() => sync.start());
  await device.run(40 * 60_000);
  assert.deepEqual(fatals, []);
  // replay the host's view: at most one socket open at any time
  let open = 0, most = 0;
  for (const { op } of hostOps.filter((o) => o.at >= since)) {
    if (op[0] === "udp.open") most = Math.max(most, ++open);
    if (op[0] === "udp.close") open--;
  }
  assert.equal(most, 1);
  assert.ok(open <= 1);
  assert.ok(logs.slice(-200).some((l) => /clock set from/.test(l)), "synced at the end");
});
