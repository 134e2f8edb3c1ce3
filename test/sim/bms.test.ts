import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "./clock";
import { SimulatedBms, type BmsSimOptions } from "./bms";
import { Recorder, decodeBasicInfo, decodeCells, exchange, frameIsValid, hex, request } from "./bms-harness";

const READ_BASIC = request(false, 0x03);
const READ_CELLS = request(false, 0x04);
const mos = (bits: number) => request(true, 0xe1, [0x00, bits]);
const fb = (target: number, off: boolean) => request(true, 0xfb, [target, off ? 1 : 0]);

function setup(options: BmsSimOptions = {}) {
  const clock = new VirtualClock();
  const bms = new SimulatedBms(clock, options);
  const recorder = new Recorder(clock, bms);
  const send = (bytes: Uint8Array, waitMs?: number) => exchange(clock, bms, recorder, bytes, waitMs);
  const basicInfo = () => decodeBasicInfo(send(READ_BASIC).frames[0]);
  return { clock, bms, recorder, send, basicInfo };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe("SimulatedBms: replies", () => {
  it("answers 0x03, 0x04, 0x05 and 0xAA with one valid frame in <= 20-byte chunks", () => {
    const { send } = setup();
    const expected: [number, number[]][] = [[0x03, [20, 16]], [0x04, [15]], [0x05, [20, 12]], [0xaa, [20, 11]]];
    for (const [reg, sizes] of expected) {
      const { frames, notifications } = send(request(false, reg));
      assert.equal(frames.length, 1);
      assert.ok(frameIsValid(frames[0]), hex(frames[0]));
      assert.deepEqual([frames[0][1], frames[0][2]], [reg, 0x00]);
      assert.deepEqual(notifications.map((n) => n.bytes.length), sizes, `0x${reg.toString(16)}`);
    }
  });

  it("sends the extended 0x03 layout as 20 + 20 + 1, with consistent extra fields", () => {
    const { send } = setup({ extendedBasicInfo: true, ntcCount: 1 });
    const { frames, notifications } = send(READ_BASIC);
    assert.deepEqual(notifications.map((n) => n.bytes.length), [20, 20, 1]);
    const info = decodeBasicInfo(frames[0]);
    assert.deepEqual(info.extended, { humidity: 0, alarm: 0, fullChargeAh: 100, remainingAh: 60, balanceCurrentMa: 0 });
  });

  it("0x03 and 0x04 agree with the pack and with each other", () => {
    const { bms, send, basicInfo } = setup({ cellCount: 8, ntcCount: 2, initialSoc: 70 });
    const info = basicInfo();
    const cells = decodeCells(send(READ_CELLS).frames[0]);
    const pack = bms.pack.read();
    assert.deepEqual(cells, pack.cellsMv);
    assert.equal(info.cells, 8);
    assert.equal(info.temps.length, 2);
    assert.ok(Math.abs(info.voltage - cells.reduce((a, b) => a + b, 0) / 1000) <= 0.005);
    assert.deepEqual([info.soc, info.remainingAh, info.capacityAh, info.fet, info.version], [70, 70, 100, 0x03, 0x80]);
    assert.equal(info.date, 0x2c7c);
  });

  it("answers 0x05 with the hardware version as raw ASCII", () => {
    const { send } = setup({ hardwareVersion: "DP04S007L4S100A" });
    const frame = send(request(false, 0x05)).frames[0];
    assert.equal(Buffer.from(frame.subarray(4, 4 + frame[3])).toString("ascii"), "DP04S007L4S100A");
  });

  it("reports packs above 655.35 Ah in 100 mAh / 100 mA units with FET bit 7", () => {
    const { bms, basicInfo } = setup({ capacityAh: 1000, initialSoc: 50 });
    bms.setCurrent(-123.4);
    const info = basicInfo();
    assert.equal(info.fet & 0x80, 0x80);
    assert.deepEqual([info.capacityAh, info.remainingAh, info.current], [1000, 500, -123.4]);
  });

  it("notifySize sets the chunk size", () => {
    assert.deepEqual(setup({ notifySize: 244 }).send(READ_BASIC).notifications.map((n) => n.bytes.length), [36]);
    assert.deepEqual(setup({ notifySize: 8 }).send(READ_BASIC).notifications.map((n) => n.bytes.length), [8, 8, 8, 8, 4]);
  });

  it("puts balancing cells in spec order across both words (20 cells)", () => {
    const { clock, bms, recorder } = setup({ cellCount: 20, initialSoc: 97 });
    bms.setCurrent(20);
    const seen = new Set<number>();
    for (let minute = 0; minute < 60 && !(bms.pack.read().protection & 1); minute++) {
      clock.advance(60_000);
      recorder.clear();
      bms.write(READ_BASIC);
      const pack = bms.pack.read(); // with the UART idle, the reply is built at the write
      clock.advance(1000);
      const { balancing } = decodeBasicInfo(recorder.frames()[0]);
      assert.equal(balancing, pack.balancing);
      const lowest = Math.min(...pack.cellsMv);
      for (let cell = 1; cell <= 20; cell++) {
        if (!((balancing >>> (cell - 1)) & 1)) continue;
        seen.add(cell);
        const mv = pack.cellsMv[cell - 1];
        assert.ok(mv >= 3400 && mv - lowest >= 30, `cell ${cell} balancing at ${mv} mV`);
      }
    }
    assert.ok([...seen].some((cell) => cell > 16), `cells seen balancing: ${[...seen]}`);
    assert.ok([...seen].some((cell) => cell <= 16), `cells seen balancing: ${[...seen]}`);
  });
});

describe("SimulatedBms: timing", () => {
  /** Latency of the first notification and gaps between chunks over n exchanges. */
  function measure(bytes: Uint8Array, n: number) {
    const { send } = setup({ seed: 11 });
    const latencies: number[] = [];
    const gaps: number[] = [];
    for (let i = 0; i < n; i++) {
      const { sentAt, notifications } = send(bytes);
      latencies.push(notifications[0].at - sentAt);
      for (let j = 1; j < notifications.length; j++) gaps.push(notifications[j].at - notifications[j - 1].at);
    }
    return { latencies, gaps };
  }

  // min / median / max from the captures (facts §5)
  const cases: [string, Uint8Array, number, number, number][] = [
    ["0x03", READ_BASIC, 63, 78, 145],
    ["0x04", READ_CELLS, 33, 46, 246],
    ["0xE1 ack", mos(0), 68, 76, 133],
  ];
  for (const [label, bytes, min, med, max] of cases) {
    it(`${label}: first notification ${min}..${max} ms, median near ${med} ms`, () => {
      const { latencies } = measure(bytes, 300);
      assert.ok(Math.min(...latencies) >= min && Math.max(...latencies) <= max, `${Math.min(...latencies)}..${Math.max(...latencies)}`);
      assert.ok(Math.abs(median(latencies) - med) <= 0.1 * med, `median ${median(latencies)}`);
    });
  }

  it("chunks of one frame follow each other within 0.2..15.8 ms", () => {
    const { gaps } = measure(READ_BASIC, 300);
    assert.equal(gaps.length, 300);
    assert.ok(Math.min(...gaps) >= 0.2 && Math.max(...gaps) <= 15.8);
    assert.ok(median(gaps) < 2, `median ${median(gaps)}`);
  });

  it("handles one frame at a time: a request written during a reply waits until it is out", () => {
    const { clock, bms, recorder } = setup();
    bms.write(READ_BASIC);
    while (recorder.notifications.length === 0) clock.step();
    bms.write(READ_CELLS); // between the two chunks of the 0x03 reply
    clock.advance(2000);
    assert.deepEqual(recorder.frames().map((f) => f[1]), [0x03, 0x04]);
    const [, last03, first04] = recorder.notifications;
    assert.ok(first04.at - last03.at >= 33, "0x04 latency starts after the 0x03 reply");
  });

  it("a client may chain the next request from inside onNotify", () => {
    const { clock, bms } = setup();
    const frames: number[] = [];
    bms.onNotify = (chunk) => {
      if (chunk[0] === 0xdd) frames.push(chunk[1]);
      if (chunk.length === 16) bms.write(READ_CELLS); // the 0x03 reply's last chunk
    };
    bms.write(READ_BASIC);
    clock.advance(2000);
    assert.deepEqual(frames, [0x03, 0x04]);
  });
});

describe("SimulatedBms: MOS control and factory mode", () => {
  it("0xE1: acks, sets FET bits (bit set = off) and protection bit 12, the next 0x03 shows it", () => {
    const { send, basicInfo } = setup();
    const cases: [number, number, number][] = [[0x01, 0x02, 0x1000], [0x02, 0x01, 0x1000], [0x03, 0x00, 0x1000], [0x00, 0x03, 0]];
    for (const [bits, fet, protection] of cases) {
      assert.equal(hex(send(mos(bits)).frames[0]), "dde10000000077");
      const info = basicInfo();
      assert.deepEqual([info.fet, info.protection], [fet, protection], `E1 00 0${bits}`);
    }
  });

  it("a software-off FET stops the current in its direction on the wire too", () => {
    const { bms, send, basicInfo } = setup();
    bms.setCurrent(-15);
    assert.equal(basicInfo().current, -15);
    send(mos(0x02));
    assert.equal(basicInfo().current, 0);
    bms.setCurrent(15);
    assert.equal(basicInfo().current, 15, "charging still flows");
  });

  it("mosCommand fb: 0xE1 is refused with 0x80 and changes nothing, 0xFB works", () => {
    const { send, basicInfo } = setup({ mosCommand: "fb" });
    assert.equal(hex(send(mos(0x03)).frames[0]), "dde18000ff8077");
    assert.equal(basicInfo().fet, 0x03);
    assert.equal(hex(send(fb(0x01, true)).frames[0]), "ddfb0000000077");
    assert.deepEqual([basicInfo().fet, basicInfo().protection], [0x02, 0x1000]);
    send(fb(0x00, true));
    assert.equal(basicInfo().fet, 0x00);
    send(fb(0x0a, false));
    assert.deepEqual([basicInfo().fet, basicInfo().protection], [0x03, 0]);
    assert.equal(send(fb(0x07, true)).frames[0][2], 0x80, "unknown target");
  });

  it("default firmware does not know 0xFB", () => {
    const { send, basicInfo } = setup();
    assert.equal(hex(send(fb(0x01, true)).frames[0]), "ddfb8000ff8077");
    assert.equal(basicInfo().fet, 0x03);
  });

  it("acks enter (0x5678 only) and exit factory", () => {
    const { bms, send } = setup();
    assert.equal(send(request(true, 0x00, [0x12, 0x34])).frames[0][2], 0x80);
    assert.equal(bms.factoryMode, false);
    assert.equal(hex(send(request(true, 0x00, [0x56, 0x78])).frames[0]), "dd000000000077");
    assert.equal(bms.factoryMode, true);
    assert.equal(hex(send(request(true, 0x01, [0x00, 0x00])).frames[0]), "dd010000000077");
    assert.equal(bms.factoryMode, false);
  });
});

describe("SimulatedBms: what it does not answer", () => {
  it("unknown registers get status 0x80 with no data", () => {
    const { send } = setup();
    assert.equal(hex(send(request(false, 0x60)).frames[0]), "dd608000ff8077"); // (0x10-0x47: bms-eeprom.test.ts)
    assert.equal(hex(send(request(true, 0x0a, [0x18, 0x81])).frames[0]), "dd0a8000ff8077"); // as jbdtool captured
  });

  it("malformed, bad-checksum and non-DD A5/5A writes get no answer", () => {
    const { bms, send } = setup();
    const bad = [
      "dda50300fffc77", "dda50300fffd78", "dda50300fffd7700", "dda503", "dd030000000077", "ffaa170017", "",
    ].map((text) => new Uint8Array(Buffer.from(text, "hex")));
    for (const bytes of bad) assert.equal(send(bytes).notifications.length, 0, hex(bytes));
    assert.equal(bms.stats.ignored, bad.length);
    assert.deepEqual(bms.stats.requests, {});
    assert.equal(send(READ_BASIC).frames.length, 1, "still answers afterwards");
  });

  it("echoOnly: every written value comes back as is, nothing is answered or applied", () => {
    const { bms, send, basicInfo } = setup();
    bms.faults.echoOnly = true;
    for (const bytes of [READ_BASIC, mos(0x03), new Uint8Array([1, 2, 3])]) {
      const { notifications } = send(bytes);
      assert.equal(hex(Buffer.concat(notifications.map((n) => n.bytes))), hex(bytes));
    }
    assert.equal(bms.stats.echoes, 3);
    assert.deepEqual(bms.stats.requests, {});
    bms.faults.echoOnly = false;
    assert.equal(basicInfo().fet, 0x03, "the echoed E1 was not applied");
  });

  it("disconnected() drops the reply in flight and queued requests", () => {
    const { clock, bms, recorder, basicInfo } = setup();
    bms.write(READ_BASIC);
    bms.write(READ_CELLS);
    while (recorder.notifications.length === 0) clock.step();
    bms.disconnected();
    clock.advance(5000);
    assert.equal(recorder.notifications.length, 1);
    assert.equal(bms.stats.replies, 0);
    assert.equal(basicInfo().cells, 4, "answers again after reconnect");
  });

  it("disconnected() from inside onNotify stops the rest of the reply", () => {
    const { clock, bms } = setup();
    const chunks: Uint8Array[] = [];
    bms.onNotify = (chunk) => { chunks.push(chunk); bms.disconnected(); };
    bms.write(READ_BASIC);
    clock.advance(2000);
    assert.equal(chunks.length, 1);
  });
});

describe("SimulatedBms: determinism and stats", () => {
  function script(seed: number) {
    const { clock, bms, recorder } = setup({ seed });
    Object.assign(bms.faults, { unanswered: 0.1, stray: 0.1, corrupt: 0.1, errorStatus: 0.1, truncated: 0.1, slow: 0.05 });
    bms.setCurrent(30);
    for (let i = 0; i < 100; i++) {
      bms.write(i % 2 ? READ_CELLS : READ_BASIC);
      clock.advance(1000);
    }
    return recorder.notifications.map((n) => `${n.at.toFixed(3)} ${hex(n.bytes)}`);
  }

  it("replays identically for a seed, and differently for another", () => {
    assert.deepEqual(script(5), script(5));
    assert.notDeepEqual(script(5), script(6));
  });

  it("counts writes, requests by register and replies", () => {
    const { bms, send } = setup();
    send(READ_BASIC);
    send(READ_BASIC);
    send(READ_CELLS);
    send(mos(0));
    send(new Uint8Array([0xdd]));
    assert.deepEqual(
      [bms.stats.writes, bms.stats.ignored, bms.stats.requests, bms.stats.replies],
      [5, 1, { 0x03: 2, 0x04: 1, 0xe1: 1 }, 4],
    );
  });

  it("rejects options out of range", () => {
    const clock = new VirtualClock();
    for (const options of [{ cellCount: 0 }, { cellCount: 33 }, { ntcCount: 9 }, { capacityAh: 7000 }, { notifySize: 0 }, { hardwareVersion: "é" }]) {
      assert.throws(() => new SimulatedBms(clock, options), RangeError, JSON.stringify(options));
    }
  });
});
