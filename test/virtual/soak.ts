// The soak: the whole firmware on the XS engine for many simulated hours, on virtual time, with
// faults injected at field-like rates, measured from outside (what reached the broker, when the
// radio link was up) and from inside (XS heap and compute meters).
import { VirtualClock } from "../sim/clock";
import { Broker } from "../lib/broker";
import { solarDayProfile } from "../sim/pack-profile";
import { XsTransport } from "./transport";
import { createScenario, type Scenario } from "./scenario";
import type { Peripheral } from "./ble-world";

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
  /** From a present BMS's return (its drop, or its reappearance) to its next reading, per BMS id. */
  returnToReadingMs: Record<string, { count: number; median: number; max: number }>;
  /** Returns not counted because MQTT was down before the reading could be published. */
  returnsWithoutMqtt: number;
  /** Device restarts (deliberate, and after panics) and the restart reasons logged. */
  restarts: number;
  restartReasons: string[];
  reconnects: number;
  faults: Record<string, number>;
  mosAsked: number;
  mosConfirmed: number;
  mosFailures: string[];
  missedIntervals: number[];
  exceptionsEscaped: number;
  /** After XS gc, hourly; start and trend from the first sample after every BMS had been read once (a BMS that joins late allocates its link's state then). */
  heapSlots: { start: number; end: number; peak: number; trendPerHour: number; hourly: number[]; warmFromHour: number };
  computePerPollCycle: number;
}

const HOUR = 3600_000;
const POLL_MS = 5_000;

interface Span { from: number; to: number }
const covered = (spans: Span[], from: number, to: number) => spans.some((s) => s.from <= from && s.to >= to);

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
  let serialTail = "";
  const restartReasons: string[] = [];
  const scenario: Scenario = createScenario({
    clock, transport, broker: { host: "127.0.0.1", port: broker.port }, bmsCount: o.bmsCount ?? 1, seed,
    profile: (i) => solarDayProfile({ peakChargeA: 40 + 10 * i, loadA: 8, startHour: 6 }),
    onSerial: (text) => {
      serialTail = (serialTail + text).slice(-2000);
      for (let m; (m = /restarting: ([^\r\n]*)\r?\n/.exec(serialTail));) { restartReasons.push(m[1]); serialTail = serialTail.slice(m.index + m[0].length); }
    },
  });
  const { device, sims, addresses, ids } = scenario;
  const end = () => clock.now();

  // ---- observation ----
  const linkUp = new Map<string, Span[]>(addresses.map((a) => [a, []]));
  const recoveries: number[] = [];
  // a present BMS "returns" when it drops (it advertises again at once) or reappears
  const returnedAt = new Map<string, number>();
  const returns = new Map<string, number[]>(ids.map((id) => [id, []]));
  let returnsWithoutMqtt = 0;
  const idOf = (address: string) => ids[addresses.indexOf(address)];
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
      const back = returnedAt.get(id);
      if (back !== undefined) {
        returnedAt.delete(id);
        // MQTT down because the device restarted is the BLE strategy's cost: counted
        if (covered(mqttUp, back, now) || restartTimes.some((t) => t >= back && t <= now)) returns.get(id)!.push(now - back);
        else returnsWithoutMqtt++;
      }
      const upAt = awaitingReading.get(id);
      if (upAt !== undefined) { recoveries.push(now - upAt); awaitingReading.delete(id); }
    } else if (kind === "diag" && readings.has(id)) {
      const diag = JSON.parse(payload), before = lastDiag.get(id);
      // link statistics start again from 0 after a device restart: keep what the last boot counted
      if (before && diag.link.pollsOk + diag.link.pollsFailed < before.link.pollsOk + before.link.pollsFailed) {
        carriedCycles += before.link.pollsOk + before.link.pollsFailed;
      }
      lastDiag.set(id, diag);
    }
    else if (kind === "mos" && sub === "result") {
      const result = JSON.parse(payload);
      if (result.ok === true) mosConfirmed++;
      else mosFailures.push(result.error ?? payload);
    }
  };
  let mqttWasUp = false, restartsSeen = 0, carriedCycles = 0;
  const restartTimes: number[] = [];
  const watchMqtt = () => {
    if (device.restarts > restartsSeen) { restartsSeen = device.restarts; restartTimes.push(clock.now()); }
    const up = device.mqtt.connectedCount > 0;
    if (up && !mqttWasUp) mqttUp.push({ from: clock.now(), to: Infinity });
    if (!up && mqttWasUp) mqttUp[mqttUp.length - 1].to = clock.now();
    mqttWasUp = up;
    clock.setTimeout(watchMqtt, 250);
  };

  // ---- faults, as a radio, a broker and a house's Wi-Fi produce them ----
  const faults: Record<string, number> = {
    linkDrops: 0, vanished: 0, hostResets: 0, brokerRestarts: 0, wifiLosses: 0,
    absentForHours: 0, vanishedBetweenScanAndConnect: 0, failedConnects: 0, allDroppedAtOnce: 0, hangWhileAnotherDrops: 0,
  };
  const ble = device.ble;
  // the last configured BMS (with 2 or more) is absent at boot and for 5 h of every 12
  const longAbsent = sims.length >= 2 ? ble.find(addresses[addresses.length - 1])! : undefined;
  let longAway = false;
  const drop = (p: Peripheral) => {
    if (!p.connection) return false;
    ble.drop(p);
    returnedAt.set(idOf(p.address), clock.now());
    return true;
  };
  const appear = (p: Peripheral) => { ble.appear(p); returnedAt.set(idOf(p.address), clock.now()); };
  const present = () => ble.peripherals.filter((p) => p.sim && p.present && p !== longAbsent);
  const onePresent = () => { const list = present(); return list[Math.floor(random() * list.length)]; };
  // the faults of the BLE strategy, once in every 12 h block at fixed offsets
  const scheduled: [number, () => void][] = [
    [0, () => { if (longAbsent) { faults.absentForHours++; longAway = true; ble.vanish(longAbsent); } }],
    [5, () => { if (longAbsent) { longAway = false; appear(longAbsent); } }],
    [1.5, () => {
      const p = onePresent();
      if (!p?.connection) return;
      faults.vanishedBetweenScanAndConnect++;
      ble.vanishOnConnect = p;
      drop(p);
      returnedAt.delete(idOf(p.address)); // gone: it returns when it reappears
      clock.setTimeout(() => appear(p), 3 * 60_000);
    }],
    [6.5, () => {
      // a hanging connect, then another BMS drops: only a restart lets it back in
      const [p, q] = present().filter((x) => x.connection);
      if (!p || !q) return;
      faults.hangWhileAnotherDrops++;
      ble.vanishOnConnect = p;
      drop(p);
      returnedAt.delete(idOf(p.address));
      clock.setTimeout(() => drop(q), 6_000);
      clock.setTimeout(() => appear(p), 3 * 60_000);
    }],
    [2.5, () => { const p = onePresent(); if (p?.connection) { faults.failedConnects++; ble.failConnects = 1; drop(p); } }],
    [3.5, () => { faults.hostResets++; ble.hostReset(); for (const p of present()) returnedAt.set(idOf(p.address), clock.now()); }],
    [4.5, () => { faults.allDroppedAtOnce++; for (const p of present()) drop(p); }],
    [8.7, () => { faults.allDroppedAtOnce++; for (const p of present()) drop(p); }],
  ];
  if (scale) {
    for (let block = 0; block * 12 < o.hours; block++) {
      for (const [offset, action] of scheduled) {
        const at = (block * 12 + offset) * HOUR;
        if (at === 0) action(); else clock.setTimeout(action, at);
      }
    }
  }

  const every = (meanMs: number, action: () => void | Promise<void>) => {
    if (!scale) return;
    const next = () => clock.setTimeout(() => { void action(); next(); }, meanMs / scale * (0.5 + random()));
    next();
  };
  for (const sim of sims) Object.assign(sim.faults, { unanswered: 0.01 * scale, stray: 0.01 * scale, corrupt: 0.005 * scale, errorStatus: 0.002 * scale, truncated: 0.002 * scale, slow: 0.0036 * scale });
  every(1.5 * HOUR, () => { const p = onePresent(); if (p && drop(p)) faults.linkDrops++; });
  every(12 * HOUR, () => {
    const p = onePresent();
    if (!p) return;
    faults.vanished++;
    ble.vanish(p);
    returnedAt.delete(idOf(p.address));
    clock.setTimeout(() => appear(p), 10 * 60_000);
  });
  void longAway;
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
    const candidates = ids.filter((_, i) => ble.find(addresses[i])!.present);
    const id = candidates[Math.floor(random() * candidates.length)] ?? ids[0];
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
  let warmFrom = -1;
  for (let hour = 0; hour < o.hours; hour++) {
    await device.run(HOUR);
    heap.push(await transport.liveSlots(device.uptimeMs));
    if (warmFrom < 0 && [...readings.values()].every((r) => r.length > 0)) warmFrom = heap.length; // the next sample
    o.progress?.(hour + 1);
  }
  void pendingBroker;

  // ---- figures ----
  const finish = end();
  // Between two consecutive readings with the link and MQTT up all along, round(gap / interval)
  // poll intervals passed and one of them produced the later reading; the rest produced none.
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
  const stats = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return { count: s.length, median: s[s.length >> 1] ?? 0, max: s.at(-1) ?? 0 }; };
  const returnToReadingMs: SoakReport["returnToReadingMs"] = {};
  for (const [id, xs] of returns) returnToReadingMs[id] = stats(xs);
  const pollCycles = carriedCycles + [...lastDiag.values()].reduce((n, d) => n + d.link.pollsOk + d.link.pollsFailed, 0);
  const from = warmFrom >= 0 ? Math.min(Math.max(1, warmFrom), heap.length - 1) : 1;
  const warm = heap.slice(from);
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
    returnToReadingMs,
    returnsWithoutMqtt,
    restarts: device.restarts,
    restartReasons,
    reconnects: Math.max(0, connections - sims.length),
    faults,
    mosAsked,
    mosConfirmed,
    mosFailures,
    missedIntervals,
    exceptionsEscaped: device.fatalErrors,
    heapSlots: { start: heap[from] ?? 0, end: heap.at(-1) ?? 0, peak: Math.max(...heap), trendPerHour: Math.round(trend * 10) / 10, hourly: heap, warmFromHour: from + 1 },
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
