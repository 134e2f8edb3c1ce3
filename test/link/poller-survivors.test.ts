// The poller (bms-poller) on its own, against a stand-in link and a scripted BMS, on virtual time:
// what mutation testing left open in the request/reply steps. Each request's write is recorded
// with its time; the BMS answers through the simulator, or as a test scripts it (no answer, an
// error status, a stray frame), so the retry schedule (600, 1200, 2400 ms), what counts as a
// stray, the MOS command sequence (0xE1 then exit-factory, or 0xFB after a 0x80 refusal), the
// optional 0x05/0xAA reads and a poll that comes due during a long request can be asserted exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../sim/clock";
import { VirtualDevice } from "../virtual/device";
import { NodeTransport } from "../virtual/transport";
import { SimulatedBms } from "../sim/bms";
import { encodeReply } from "../sim/bms-frames";
import type { BmsPoller } from "../../modules/link/bms-poller";
import type { MosResult } from "../../modules/link/bms-view";
import type { Logger } from "../../modules/link/logger";

type PollerModule = typeof import("../../modules/link/bms-poller");
type StatsModule = typeof import("../../modules/link/link-stats");
type Runtime = typeof import("../doubles/runtime");
let P!: PollerModule;
let S!: StatsModule;
let runtime!: Runtime;
let MOS_INTERVAL_MS = 0;
const clock = new VirtualClock();
const device = new VirtualDevice({
  clock,
  transport: new NodeTransport(async () => {
    P = await import("../../modules/link/bms-poller");
    S = await import("../../modules/link/link-stats");
    runtime = await import("../doubles/runtime");
    ({ MOS_INTERVAL_MS } = await import("../../modules/link/mos-queue"));
  }),
});
await device.boot();

const invoke = (fn: () => void) => device.invoke(fn);
/** From host code (a BMS reply on the clock): deliver into the firmware as an event. */
const post = (fn: () => void) => device.emit("invoke", runtime.registerInvocation(fn));

/** What the BMS does with one request: undefined = the simulator answers, null = no answer, else this frame. */
type Script = (cmd: number, bytes: Uint8Array) => Uint8Array | null | undefined;
const REPLY_MS = 50;

class Bench {
  readonly stats = new S.LinkStats();
  readonly sim: SimulatedBms;
  readonly writes: { cmd: number; at: number }[] = [];
  readonly logs: string[] = [];
  readonly probes: string[] = [];
  readonly availability: boolean[] = [];
  readings = 0;
  infos = 0;
  rssiReads = 0;
  unanswered = 0;
  script: Script | undefined;
  readonly poller: BmsPoller;
  readonly client = { readRSSI: () => { this.rssiReads++; } };
  readonly host = {
    client: this.client as unknown, connected: true, config: { pollIntervalMs: 5_000 },
    pollsUnanswered: () => { this.unanswered++; }, probe: (reason: string) => { this.probes.push(reason); },
    authorizeWrite: () => false, firstAnswer: () => {}, firstPollSilent: () => false, echoed: () => {},
  };

  constructor(pollIntervalMs = 5_000, mosCommand: "e1" | "fb" = "e1") {
    this.host.config.pollIntervalMs = pollIntervalMs;
    this.sim = new SimulatedBms(clock, { seed: 11, mosCommand });
    const log: Logger = {
      error: (m, v) => this.logs.push(`E ${m}${v ?? ""}`), warn: (m, v) => this.logs.push(`W ${m}${v ?? ""}`),
      info: (m, v) => this.logs.push(`I ${m}${v ?? ""}`), debug: (m, v) => this.logs.push(`D ${m}${v ?? ""}`),
    };
    const listener = {
      onReading: () => { this.readings++; },
      onAvailability: (_v: unknown, online: boolean) => { this.availability.push(online); },
      onInfo: () => { this.infos++; },
    };
    this.poller = new P.BmsPoller(this.stats, {} as never, this.host as never, listener, log);
    this.sim.onNotify = (chunk) => { const c = chunk.slice(); post(() => this.poller.onNotification(c)); };
  }

  /** A write characteristic that records each request and hands it to the BMS. */
  characteristic() {
    return {
      writeWithoutResponse: (buffer: ArrayBuffer) => {
        const bytes = new Uint8Array(buffer.slice(0));
        // a write request (0x5A) names its register at [2], a read (0xA5) too
        this.writes.push({ cmd: bytes[2], at: clock.now() });
        const scripted = this.script?.(bytes[2], bytes);
        if (scripted === null) return;
        if (scripted) { clock.setTimeout(() => post(() => this.poller.onNotification(scripted)), REPLY_MS); return; }
        this.sim.write(bytes);
      },
    };
  }

  async start(): Promise<ReturnType<Bench["characteristic"]>> {
    const write = this.characteristic();
    await invoke(() => this.poller.start(write as never));
    return write;
  }
  async stop(reason = "not connected"): Promise<void> { await invoke(() => this.poller.stop(reason)); }

  cmds(from = 0): number[] { return this.writes.slice(from).map((w) => w.cmd); }
  /** The BMS answers every request: one poll cycle done. */
  async firstCycle(): Promise<void> {
    await this.start();
    await device.run(2_000);
    assert.ok(this.poller.online, "the first cycle completed");
  }
  async mos(fet: "charge" | "discharge", on: boolean, ms = 10_000): Promise<MosResult> {
    let result: MosResult | undefined;
    await invoke(() => this.poller.setMos(fet, on, (r) => { result = r; }));
    for (let t = 0; result === undefined && t < ms; t += 10) await device.run(10);
    assert.ok(result, "a MOS result");
    return result;
  }
}

const times = (b: Bench, cmd: number, from = 0) => b.writes.slice(from).filter((w) => w.cmd === cmd).map((w) => w.at);
const diffs = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]);

test("an unanswered read is sent three times, 600 and 1200 ms apart, then given up after 2400 ms more", async () => {
  const b = new Bench();
  b.script = (cmd) => (cmd === 0x03 ? null : undefined);
  const start = clock.now();
  await b.start();
  await device.run(4_199);
  assert.deepEqual(times(b, 0x03).map((t) => t - start), [0, 600, 1_800], "three attempts");
  assert.equal(b.stats.pollsFailed, 0, "the third attempt still waits");
  await device.run(1);
  assert.equal(b.stats.pollsFailed, 1);
  assert.equal(b.stats.timeouts, 1);
  assert.equal(b.stats.retries, 2);
  assert.deepEqual(b.probes, ["poll failed"]);
  assert.ok(b.logs.includes("D poll failed:timeout"), b.logs.join("\n"));
  assert.equal(b.cmds().length, 3, "no fourth attempt, no 0x04 after a failed 0x03");
  await device.run(700);
  assert.equal(b.cmds().length, 3, "the next poll waits for its interval");
  await b.stop();
  assert.equal(device.fatalErrors, 0);
});

test("a read answered with an error status: retried at once, three in all; the poll fails with the status as reason", async () => {
  const b = new Bench();
  b.script = (cmd) => (cmd === 0x03 ? encodeReply(0x03, 0x81) : undefined);
  const start = clock.now();
  await b.start();
  await device.run(1_000);
  assert.deepEqual(times(b, 0x03).map((t) => t - start), [0, REPLY_MS, 2 * REPLY_MS], "each retry as the error comes");
  assert.equal(b.stats.errorReplies, 3);
  assert.equal(b.stats.retries, 2);
  assert.equal(b.stats.timeouts, 0);
  assert.equal(b.stats.pollsFailed, 1);
  assert.ok(b.logs.includes("D poll failed:invalid operation (not in factory mode or password mismatch)"), b.logs.join("\n"));
  // two error replies, then the BMS answers: the poll goes on
  let errors = 0;
  b.script = (cmd) => (cmd === 0x03 && errors++ < 2 ? encodeReply(0x03, 0x80) : undefined);
  await device.run(6_000);
  assert.equal(b.stats.pollsOk, 1, "the third attempt's answer is taken");
  assert.equal(b.stats.pollsFailed, 1);
  await b.stop();
});

test("latency is measured from the attempt that was answered, not the first", async () => {
  const b = new Bench();
  let first = true;
  b.script = (cmd) => {
    if (cmd !== 0x03) return undefined;
    if (first) { first = false; return null; }
    return undefined;
  };
  await b.start();
  await device.run(3_000);
  assert.equal(b.stats.pollsOk, 1);
  assert.equal(b.stats.retries, 1);
  assert.ok(b.stats.latency.max < 600, `max latency ${b.stats.latency.max} ms: the retry's own`);
  await b.stop();
  assert.equal(device.fatalErrors, 0, "notifications without capture: nothing thrown");
});

test("frames that answer no request are strays: one for another command mid-request, one after the cycle", async () => {
  const b = new Bench();
  let once = true;
  b.script = (cmd) => {
    if (cmd === 0x03 && once) { once = false; return encodeReply(0x04, 0x00, new Uint8Array(8)); }
    return undefined;
  };
  await b.start();
  await device.run(REPLY_MS);
  assert.equal(b.stats.strays, 1, "a 0x04 frame while 0x03 is asked");
  assert.equal(b.stats.pollsOk, 0);
  await device.run(2_000);
  assert.equal(b.stats.pollsOk, 1, "the 0x03 retry was answered and the cycle went on");
  assert.deepEqual(b.cmds(), [0x03, 0x03, 0x04, 0x05, 0xaa]);
  const latency = b.stats.latency.count;
  // the last request's answer again, with nothing asked
  await invoke(() => b.poller.onNotification(encodeReply(0xaa, 0x00, new Uint8Array(20))));
  assert.equal(b.stats.strays, 2, "a repeat of the last reply, after the cycle");
  assert.equal(b.stats.latency.count, latency, "no latency sample for it");
  assert.equal(b.stats.pollsOk, 1);
  await b.stop();
});

test("0x05 and 0xAA are optional: unanswered, the reading is still published and the poll counts as good", async () => {
  for (const optional of [0x05, 0xaa]) {
    const b = new Bench();
    b.script = (cmd) => (cmd === optional ? null : undefined);
    await b.start();
    await device.run(4_900);
    assert.equal(b.stats.pollsOk, 1, `0x${optional.toString(16)} unanswered`);
    assert.equal(b.stats.pollsFailed, 0);
    assert.deepEqual(b.probes, [], "no probe for an optional read");
    assert.equal(b.readings, 1);
    assert.deepEqual(b.availability, [true]);
    assert.equal(b.rssiReads, 1, "RSSI read with the completed cycle");
    assert.equal(times(b, optional).length, 3, "tried three times");
    // a failed 0x05 ends the cycle there (0xAA waits for the 60th cycle)
    assert.deepEqual(b.cmds(), optional === 0x05 ? [0x03, 0x04, 0x05, 0x05, 0x05] : [0x03, 0x04, 0x05, 0xaa, 0xaa, 0xaa]);
    await b.stop();
  }
});

test("a reply with a bad payload fails the poll at once (no retry, no reading)", async () => {
  for (const cmd of [0x03, 0x04]) {
    const b = new Bench();
    b.script = (c) => (c === cmd ? encodeReply(cmd, 0x00, new Uint8Array(3)) : undefined);
    await b.start();
    await device.run(1_000);
    assert.equal(b.stats.pollsFailed, 1, `0x0${cmd}`);
    assert.equal(b.readings, 0);
    assert.ok(b.logs.includes(`D poll failed:bad 0x0${cmd} payload`), b.logs.join("\n"));
    assert.deepEqual(b.cmds(), cmd === 0x03 ? [0x03] : [0x03, 0x04]);
    await b.stop();
  }
});

test("a poll that comes due during a long request waits for the cycle, then starts at once", async () => {
  const b = new Bench(1_000);
  let misses = 0;
  b.script = (cmd) => (cmd === 0x04 && misses++ < 2 ? null : undefined);
  const start = clock.now();
  await b.start();
  await device.run(3_000);
  const t = b.writes.map((w) => ({ cmd: w.cmd, at: w.at - start }));
  assert.deepEqual(t.map((w) => w.cmd).slice(0, 7), [0x03, 0x04, 0x04, 0x04, 0x05, 0xaa, 0x03], "no new 0x03 while 0x04 is retried");
  assert.ok(t[3].at >= 1_000, "the poll came due (1 s) before the last 0x04 attempt");
  assert.equal(b.stats.pollsOk >= 1, true);
  // the due poll right after the 0xAA answer, not a poll interval later
  const aa = t.find((w) => w.cmd === 0xaa)!;
  const next = t[6];
  assert.ok(next.at - aa.at < 600, `the due poll ${next.at - aa.at} ms after the 0xAA request`);
  await b.stop();
});

test("a raw frame or a MOS command asked while idle goes out at once; after it the poll waits for its interval", async () => {
  const b = new Bench(10_000);
  await b.firstCycle();
  await device.run(1_000);
  const n = b.writes.length;
  let answer: { reply?: Uint8Array; error?: string } | undefined;
  const at = clock.now();
  await invoke(() => b.poller.sendRaw(encodeRequest(0x04), (reply, error) => { answer = { reply, error }; }));
  assert.deepEqual(b.writes.slice(n).map((w) => [w.cmd, w.at - at]), [[0x04, 0]], "written in the same turn");
  await device.run(1_000);
  assert.ok(answer?.reply, "answered");
  assert.deepEqual(b.cmds(n), [0x04], "no poll right after the raw frame");
  const m = b.writes.length;
  const mosAt = clock.now();
  let result: MosResult | undefined;
  await invoke(() => b.poller.setMos("charge", true, (r) => { result = r; }));
  assert.deepEqual(b.writes.slice(m).map((w) => [w.cmd, w.at - mosAt]), [[0xe1, 0]]);
  await device.run(1_500);
  assert.ok(result?.ok);
  assert.deepEqual(b.cmds(m), [0xe1, 0x01, 0x03], "0xE1, exit factory, the read-back; no poll after it");
  await b.stop();
});

test("a raw frame answered with an error status is handed back as it is, sent once", async () => {
  const b = new Bench();
  await b.firstCycle();
  b.script = (cmd) => (cmd === 0x77 ? encodeReply(0x77, 0x80) : undefined);
  const n = b.writes.length;
  let answer: { reply?: Uint8Array; error?: string } | undefined;
  await invoke(() => b.poller.sendRaw(encodeRequest(0x77), (reply, error) => { answer = { reply, error }; }));
  await device.run(500);
  assert.deepEqual(b.cmds(n), [0x77]);
  assert.equal(answer?.error, undefined);
  assert.deepEqual([...answer!.reply!], [...encodeReply(0x77, 0x80)]);
  await b.stop();
});

test("MOS over 0xE1: exit factory after the write, the read-back 250 ms after that; the command named e1; a second command waits for its turn and the interval", async () => {
  const b = new Bench();
  await b.firstCycle();
  const n = b.writes.length;
  const readings = b.readings;
  let first: MosResult | undefined, second: MosResult | undefined;
  await invoke(() => b.poller.setMos("charge", false, (r) => { first = r; }));
  await invoke(() => b.poller.setMos("discharge", false, (r) => { second = r; }));
  assert.equal(second, undefined, "queued, not refused as busy");
  await device.run(1_500);
  assert.deepEqual(b.cmds(n), [0xe1, 0x01, 0x03], "the first runs alone: 0xE1, exit factory, the read-back; no poll after it");
  assert.equal(first?.ok, true, first?.error ?? "");
  assert.equal(second, undefined, "the second waits for the interval");
  await device.run(1_400);
  assert.deepEqual(b.cmds(n), [0xe1, 0x01, 0x03, 0xe1, 0x01, 0x03]);
  const r = second!;
  assert.equal(r.ok, true);
  assert.equal(r.command, "e1");
  assert.equal(r.error, undefined, "a confirmed command carries no error");
  assert.deepEqual([r.charge, r.discharge], [false, false], "read-modify-write kept the charge FET off");
  const e1 = times(b, 0xe1, n);
  assert.ok(e1[1] - e1[0] >= MOS_INTERVAL_MS && e1[1] - e1[0] < MOS_INTERVAL_MS + 50, `second write ${e1[1] - e1[0]} ms after the first`);
  const w = b.writes.slice(n + 3);
  assert.ok(w[2].at - w[1].at >= 250, `read-back ${w[2].at - w[1].at} ms after exit factory`);
  assert.equal(b.readings, readings + 2, "each read-back is published");
  await b.stop();
});

test("a poll that comes due in the read-back delay of a MOS command waits for it: the command is written once", async () => {
  const b = new Bench();
  await b.firstCycle();
  // the BMS acknowledges 0xE1 and exit factory 50 ms after each: the read-back delay is [100, 350] ms after the write
  b.script = (cmd) => (cmd === 0xe1 || cmd === 0x01 ? encodeReply(cmd, 0x00) : undefined);
  const pollDue = b.writes[0].at + 5_000;
  await device.run(pollDue - 200 - clock.now());
  const n = b.writes.length;
  let result: MosResult | undefined;
  await invoke(() => b.poller.setMos("charge", false, (r) => { result = r; }));
  await device.run(1_500);
  assert.ok(result, "answered");
  assert.deepEqual(b.cmds(n).slice(0, 5), [0xe1, 0x01, 0x03, 0x03, 0x04], "the command's steps, then the poll that came due");
  assert.equal(times(b, 0xe1, n).length, 1, "no second 0xE1 nobody asked for");
  await b.stop();
});

test("MOS over 0xFB: a 0x80 refusal of 0xE1 tries 0xFB, no exit factory after it, the command named fb", async () => {
  const c = new Bench(5_000, "fb");
  await c.firstCycle();
  const n = c.writes.length;
  const r = await c.mos("charge", false);
  assert.equal(r.ok, true, r.error ?? "");
  assert.equal(r.command, "fb");
  assert.equal(r.charge, false);
  const w = c.writes.slice(n);
  assert.deepEqual(w.map((x) => x.cmd), [0xe1, 0xfb, 0x03], "no exit factory after 0xFB");
  assert.ok(w[2].at - w[1].at >= 250, "the read-back 250 ms after");
  assert.equal(c.stats.errorReplies, 1);
  await c.stop();
});

test("MOS: a FET the BMS keeps under several protections names them all", async () => {
  const b = new Bench();
  await b.firstCycle();
  const pack = b.sim.pack;
  const { read } = pack;
  pack.setSoftOff = () => {};
  pack.read = () => { const reading = read.call(pack); return { ...reading, protection: reading.protection | 1 | 4 }; };
  const r = await b.mos("charge", false);
  assert.equal(r.ok, false);
  assert.equal(r.error, "state did not change: protection active (cellOvervoltage, packOvervoltage)");
  await b.stop();
  assert.equal(device.fatalErrors, 0, "no exception escaped into the event loop");
});

test("MOS: any other error status is a refusal, not retried, named as such", async () => {
  for (const [step, script] of [
    ["0xE1", (cmd: number) => (cmd === 0xe1 ? encodeReply(0xe1, 0x81) : undefined)],
    ["exit factory", (cmd: number) => (cmd === 0x01 ? encodeReply(0x01, 0x83) : undefined)],
  ] as [string, Script][]) {
    const b = new Bench();
    await b.firstCycle();
    b.script = script;
    const n = b.writes.length;
    const r = await b.mos("charge", false);
    assert.equal(r.ok, false, step);
    assert.equal(r.command, undefined);
    assert.match(r.error ?? "", /^BMS refused: (invalid operation|password error)/, `${step}: ${r.error}`);
    assert.deepEqual(b.cmds(n), step === "0xE1" ? [0xe1] : [0xe1, 0x01], "sent once, no 0xFB");
    await b.stop();
  }
});

test("a raw frame pending at a drop after its poll came due: polling resumes at once on the next link", async () => {
  const b = new Bench(1_000);
  await b.firstCycle();
  b.script = (cmd) => (cmd === 0x77 ? null : undefined);
  let answer: { reply?: Uint8Array; error?: string } | undefined;
  await invoke(() => b.poller.sendRaw(encodeRequest(0x77), (reply, error) => { answer = { reply, error }; }));
  await device.run(2_500); // the 1 s poll came due while the raw frame is retried
  assert.equal(answer, undefined);
  await b.stop("not connected");
  assert.deepEqual(answer, { reply: undefined, error: "not connected" });
  assert.deepEqual(b.availability, [true, false]);
  b.script = undefined;
  const n = b.writes.length;
  await device.run(3_000);
  assert.equal(b.writes.length, n, "nothing is sent without a link");
  const at = clock.now();
  await b.start();
  assert.deepEqual(b.writes.slice(n).map((w) => [w.cmd, w.at - at]), [[0x03, 0]], "a poll at once on the new link");
  await device.run(2_000);
  assert.deepEqual(b.availability, [true, false, true]);
  await b.stop();
});

/** A read request for register `reg` (DD A5 reg 00 sum 77), built here so the test shares no code with the firmware's. */
function encodeRequest(reg: number): ArrayBuffer {
  const sum = (0x10000 - reg) & 0xffff;
  return new Uint8Array([0xdd, 0xa5, reg, 0x00, sum >> 8, sum & 0xff, 0x77]).buffer;
}

test("RSSI: read with a connection's first cycle, then with a cycle about every 30 s; at once again after the link comes back", async () => {
  // 5 s polls: every 6th cycle; 60 s polls: every cycle; 7 s polls: every 5th (30 / 7 rounded up)
  for (const [pollMs, every] of [[5_000, 6], [60_000, 1], [7_000, 5]] as const) {
    const b = new Bench(pollMs);
    await b.firstCycle();
    assert.equal(b.rssiReads, 1, `${pollMs} ms: the first cycle reads it`);
    const reads: number[] = [];
    for (let cycle = 2; cycle <= 13; cycle++) {
      const before = b.readings;
      await device.run(pollMs);
      assert.equal(b.readings, before + 1, `${pollMs} ms: cycle ${cycle} completed`);
      if (b.rssiReads > reads.length + 1) reads.push(cycle);
    }
    const expected = [];
    for (let cycle = 1 + every; cycle <= 13; cycle += every) expected.push(cycle);
    assert.deepEqual(reads, expected, `${pollMs} ms: the cycles that read RSSI`);
    // the link goes and comes back mid-count: its first cycle reads again
    await b.stop();
    const before = b.rssiReads;
    await b.firstCycle();
    assert.equal(b.rssiReads, before + 1, `${pollMs} ms: a new connection's first cycle reads it`);
    await b.stop();
  }
});
