// The soak: the whole firmware on the XS engine for many simulated hours, on virtual time, with
// faults injected at field-like rates, measured from outside (what reached the broker, when the
// radio link was up) and from inside (XS heap and compute meters).
import { VirtualClock } from "../sim/clock";
import { Broker } from "../lib/broker";
import { solarDayProfile } from "../sim/pack-profile";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";

export interface SoakOptions {
  hours: number;
  bmsCount?: number;
  seed?: number;
  /** Multiply every fault rate (0 = a clean run). */
  faultScale?: number;
  progress?: (hour: number) => void;
}

export interface SoakReport {
  simulatedHours: number;
  wallSeconds: number;
  bms: number;
  pollCycles: number;
  readingsPublished: number;
  /** Poll intervals with the BLE link and MQTT up the whole time, and how many produced a published reading. */
  eligibleIntervals: number;
  intervalsWithReading: number;
  readingShare: number;
  recoveryToReadingMs: { count: number; median: number; max: number };
  reconnects: number;
  faults: Record<string, number>;
  mosAsked: number;
  mosConfirmed: number;
  mosFailures: string[];
  missedIntervals: number[];
  exceptionsEscaped: number;
  heapSlots: { start: number; end: number; peak: number; trendPerHour: number };
  computePerPollCycle: number;
}

const HOUR = 3600_000;
const POLL_MS = 5_000;

interface Span { from: number; to: number }

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const seed = o.seed ?? 1;
  let state = seed * 7919;
  const random = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
  const scale = o.faultScale ?? 1;
  const clock = new VirtualClock();
  const broker = new Broker();
  await broker.start();
  const transport = new XsTransport();
  const scenario: Scenario = createScenario({
    clock, transport, broker: { host: "127.0.0.1", port: broker.port }, bmsCount: o.bmsCount ?? 1, seed,
    profile: (i) => solarDayProfile({ peakChargeA: 40 + 10 * i, loadA: 8, startHour: 6 }),
  });
  const { device, sims, addresses, ids } = scenario;
  const end = () => clock.now();

  // ---- observation ----
  const linkUp = new Map<string, Span[]>(addresses.map((a) => [a, []]));
  const recoveries: number[] = [];
  const awaitingReading = new Map<string, number>(); // id -> link-up time
  let connections = 0;
  device.ble.onLink = (address, up, time) => {
    const spans = linkUp.get(address)!;
    if (up) { spans.push({ from: time, to: Infinity }); connections++; awaitingReading.set(ids[addresses.indexOf(address)], time); }
    else if (spans.length) spans[spans.length - 1].to = time;
  };
  const mqttUp: Span[] = [];
  const readings = new Map<string, number[]>(ids.map((id) => [id, []]));
  let mosConfirmed = 0;
  const mosFailures: string[] = [];
  const lastDiag = new Map<string, { link: { pollsOk: number; pollsFailed: number } }>();
  device.mqtt.onPublish = (topic, payload) => {
    const now = clock.now();
    const [, id, kind, sub] = topic.split("/");
    if (kind === "state" && readings.has(id)) {
      readings.get(id)!.push(now);
      const upAt = awaitingReading.get(id);
      if (upAt !== undefined) { recoveries.push(now - upAt); awaitingReading.delete(id); }
    } else if (kind === "diag" && readings.has(id)) lastDiag.set(id, JSON.parse(payload));
    else if (kind === "mos" && sub === "result") {
      const result = JSON.parse(payload);
      if (result.ok === true) mosConfirmed++;
      else mosFailures.push(result.error ?? payload);
    }
  };
  let mqttWasUp = false;
  const watchMqtt = () => {
    const up = device.mqtt.connectedCount > 0;
    if (up && !mqttWasUp) mqttUp.push({ from: clock.now(), to: Infinity });
    if (!up && mqttWasUp) mqttUp[mqttUp.length - 1].to = clock.now();
    mqttWasUp = up;
    clock.setTimeout(watchMqtt, 250);
  };

  // ---- faults, as a radio, a broker and a house's Wi-Fi produce them ----
  const faults: Record<string, number> = { linkDrops: 0, vanished: 0, hostResets: 0, brokerRestarts: 0, wifiLosses: 0 };

  const every = (meanMs: number, action: () => void | Promise<void>) => {
    if (!scale) return;
    const next = () => clock.setTimeout(() => { void action(); next(); }, meanMs / scale * (0.5 + random()));
    next();
  };
  for (const sim of sims) Object.assign(sim.faults, { unanswered: 0.01 * scale, stray: 0.01 * scale, corrupt: 0.005 * scale, errorStatus: 0.002 * scale, truncated: 0.002 * scale, slow: 0.0036 * scale });
  const pick = () => device.ble.peripherals[Math.floor(random() * device.ble.peripherals.length)];
  every(1.5 * HOUR, () => { faults.linkDrops++; device.ble.drop(pick()); });
  every(12 * HOUR, () => {
    const p = pick();
    if (!p.present) return;
    faults.vanished++;
    device.ble.vanish(p);
    clock.setTimeout(() => device.ble.appear(p), 10 * 60_000);
  });
  every(24 * HOUR, () => { faults.hostResets++; device.ble.hostReset(); });
  let brokerDown = false;
  every(8 * HOUR, async () => {
    if (brokerDown) return;
    faults.brokerRestarts++;
    brokerDown = true;
    await broker.stop();
    clock.setTimeout(() => { void broker.start().then(() => { brokerDown = false; }); pendingBroker = broker.start; }, 30_000);
  });
  let pendingBroker: unknown;
  every(6 * HOUR, () => { faults.wifiLosses++; device.wifiOutage(60_000 + random() * 120_000); });

  // ---- MOS commands from "Home Assistant", every 4 h: charge off, then on again 2 min later ----
  let mosAsked = 0;
  const { connect } = await import("../lib/mqtt-client");
  const commander = connect({ host: "127.0.0.1", port: broker.port, reconnectPeriod: 200 });
  const command = (id: string, payload: string) => { mosAsked++; commander.publish(`jbd/${id}/mos/charge/set`, payload); };
  const mosEvery = () => clock.setTimeout(() => {
    const id = ids[Math.floor(random() * ids.length)];
    if (commander.connected && clock.now() < o.hours * HOUR - 10 * 60_000) { // leave time for the answers
      command(id, "OFF");
      clock.setTimeout(() => { if (commander.connected) command(id, "ON"); }, 120_000);
    }
    mosEvery();
  }, 4 * HOUR);
  mosEvery();

  // ---- run, hour by hour, sampling the XS heap after a collection ----
  await device.boot();
  watchMqtt();
  const heap: number[] = [];
  for (let hour = 0; hour < o.hours; hour++) {
    await device.run(HOUR);
    heap.push(await transport.liveSlots(clock.now()));
    o.progress?.(hour + 1);
  }
  void pendingBroker;

  // ---- figures ----
  const finish = end();
  // Between two consecutive readings with the link and MQTT up all along, round(gap / interval)
  // poll intervals passed and one of them produced the later reading; the rest produced none.
  const covered = (spans: Span[], from: number, to: number) => spans.some((s) => s.from <= from && s.to >= to);
  let eligible = 0, withReading = 0;
  const missedIntervals: number[] = [];
  addresses.forEach((address, i) => {
    const times = readings.get(ids[i])!;
    for (let k = 1; k < times.length; k++) {
      const a = times[k - 1], b = times[k];
      if (!covered(linkUp.get(address)!, a, b) || !covered(mqttUp, a, b)) continue;
      const intervals = Math.max(1, Math.round((b - a) / POLL_MS));
      eligible += intervals;
      withReading++;
      if (intervals > 1) missedIntervals.push(Math.round(a));
    }
  });
  const sorted = recoveries.slice().sort((a, b) => a - b);
  const pollCycles = [...lastDiag.values()].reduce((n, d) => n + d.link.pollsOk + d.link.pollsFailed, 0);
  const warm = heap.slice(1);
  const trend = slope(warm);
  commander.end(true);
  await device.close();
  await broker.stop();
  return {
    simulatedHours: o.hours,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    bms: sims.length,
    pollCycles,
    readingsPublished: [...readings.values()].reduce((n, r) => n + r.length, 0),
    eligibleIntervals: eligible,
    intervalsWithReading: withReading,
    readingShare: eligible ? withReading / eligible : 0,
    recoveryToReadingMs: { count: sorted.length, median: sorted[sorted.length >> 1] ?? 0, max: sorted.at(-1) ?? 0 },
    reconnects: Math.max(0, connections - sims.length),
    faults,
    mosAsked,
    mosConfirmed,
    mosFailures,
    missedIntervals,
    exceptionsEscaped: device.fatalErrors,
    heapSlots: { start: heap[0] ?? 0, end: heap.at(-1) ?? 0, peak: Math.max(...heap), trendPerHour: Math.round(trend * 10) / 10 },
    computePerPollCycle: pollCycles ? Math.round(device.compute / pollCycles) : 0,
  };
}

/** Least-squares slope of samples taken at x = 0, 1, 2, ... */
function slope(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  ys.forEach((y, x) => { num += (x - mx) * (y - my); den += (x - mx) ** 2; });
  return num / den;
}
