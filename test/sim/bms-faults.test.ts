import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "./clock";
import { SimulatedBms } from "./bms";
import type { BmsFaults } from "./bms-faults";
import { Recorder, decodeBasicInfo, exchange, frameIsValid, hex, request } from "./bms-harness";

const READ_BASIC = request(false, 0x03);
const READ_CELLS = request(false, 0x04);
const CHARGE_OFF = request(true, 0xe1, [0x00, 0x01]);
const BASIC_LENGTH = 36; // 4 cells, 3 NTC

function withFault(faults: Partial<BmsFaults>) {
  const clock = new VirtualClock();
  const bms = new SimulatedBms(clock, { seed: 21 });
  Object.assign(bms.faults, faults);
  const recorder = new Recorder(clock, bms);
  const send = (bytes: Uint8Array) => exchange(clock, bms, recorder, bytes);
  /** FET byte of a clean 0x03, with faults switched off for the look. */
  const fetNow = () => {
    const saved = { ...bms.faults };
    Object.assign(bms.faults, { unanswered: 0, stray: 0, corrupt: 0, errorStatus: 0, truncated: 0, slow: 0 });
    const fet = decodeBasicInfo(send(READ_BASIC).frames[0]).fet;
    Object.assign(bms.faults, saved);
    return fet;
  };
  return { bms, send, fetNow };
}

const joined = (notifications: { bytes: Uint8Array }[]) => Buffer.concat(notifications.map((n) => n.bytes));

describe("faults, each at rate 1", () => {
  it("unanswered: nothing comes back and a write is not applied", () => {
    const { bms, send, fetNow } = withFault({ unanswered: 1 });
    for (let i = 0; i < 10; i++) assert.equal(send(READ_BASIC).notifications.length, 0);
    assert.equal(send(CHARGE_OFF).notifications.length, 0);
    assert.equal(bms.stats.faults.unanswered, 11);
    assert.equal(bms.stats.replies, 0);
    assert.equal(fetNow(), 0x03);
  });

  it("unanswered takes no other fault with it", () => {
    const { bms, send } = withFault({ unanswered: 1, stray: 1, corrupt: 1, errorStatus: 1, truncated: 1, slow: 1 });
    send(READ_BASIC);
    assert.deepEqual(bms.stats.faults, { unanswered: 1, errorStatus: 0, stray: 0, corrupt: 0, truncated: 0, slow: 0 });
  });

  it("stray: a valid frame of another command arrives first, then the reply", () => {
    const { bms, send } = withFault({ stray: 1 });
    for (const [asked, strayCmd] of [[READ_BASIC, 0x04], [READ_CELLS, 0x03], [CHARGE_OFF, 0x03]] as const) {
      const { frames } = send(asked);
      assert.deepEqual(frames.map((f) => f[1]), [strayCmd, asked[2]]);
      assert.ok(frames.every(frameIsValid));
    }
    assert.equal(bms.stats.faults.stray, 3);
    assert.equal(bms.stats.replies, 3, "strays do not count as replies");
  });

  it("stray 0x03 carries old data: the last 0x03 sent", () => {
    const { bms, send } = withFault({});
    bms.setCurrent(10);
    const first = send(READ_BASIC).frames[0];
    send(CHARGE_OFF); // the pack changes after that 0x03
    bms.faults.stray = 1;
    const [stray] = send(READ_CELLS).frames;
    assert.equal(hex(stray), hex(first));
  });

  it("corrupt: right length, start, command and end byte, wrong checksum", () => {
    const { bms, send } = withFault({ corrupt: 1 });
    for (let i = 0; i < 50; i++) {
      const { frames, notifications } = send(i % 2 ? CHARGE_OFF : READ_BASIC);
      assert.equal(frames.length, 1);
      const frame = frames[0];
      assert.equal(joined(notifications).length, frame[3] + 7);
      assert.deepEqual([frame[0], frame[frame.length - 1]], [0xdd, 0x77]);
      assert.equal(frame[1], i % 2 ? 0xe1 : 0x03);
      assert.equal(frameIsValid(frame), false, hex(frame));
    }
    assert.equal(bms.stats.faults.corrupt, 50);
  });

  it("errorStatus: a valid empty reply with status 0x80 or 0x81, and a write is not applied", () => {
    const { send, fetNow } = withFault({ errorStatus: 1 });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const [frame] = send(i ? READ_BASIC : CHARGE_OFF).frames;
      assert.ok(frameIsValid(frame));
      assert.equal(frame[3], 0);
      statuses.add(frame[2]);
    }
    assert.deepEqual([...statuses].sort(), [0x80, 0x81]);
    assert.equal(fetNow(), 0x03);
  });

  it("truncated: the reply stops partway, the write is applied, the next request is answered", () => {
    const { bms, send, fetNow } = withFault({ truncated: 1 });
    for (let i = 0; i < 30; i++) {
      const length = joined(send(READ_BASIC).notifications).length;
      assert.ok(length >= 1 && length < BASIC_LENGTH, `${length} bytes`);
    }
    send(CHARGE_OFF);
    assert.equal(fetNow(), 0x02);
    assert.equal(bms.stats.replies, 1, "only the clean look counted");
  });

  it("slow: the reply comes after about 1.6 s", () => {
    const { send } = withFault({ slow: 1 });
    for (let i = 0; i < 20; i++) {
      const { sentAt, notifications, frames } = send(READ_BASIC);
      const latency = notifications[0].at - sentAt;
      assert.ok(latency >= 1550 && latency <= 1650, `${latency} ms`);
      assert.ok(frameIsValid(frames[0]));
    }
  });
});

describe("fault rates", () => {
  it("a rate is a probability per request", () => {
    const { bms, send } = withFault({ unanswered: 0.3 });
    let missed = 0;
    for (let i = 0; i < 400; i++) if (send(READ_CELLS).notifications.length === 0) missed++;
    assert.ok(missed > 90 && missed < 150, `${missed} of 400`);
    assert.equal(bms.stats.faults.unanswered, missed);
  });

  it("raising one rate leaves the requests another fault hits unchanged", () => {
    const strayHits = (faults: Partial<BmsFaults>) => {
      const { send } = withFault(faults);
      return Array.from({ length: 100 }, () => send(READ_CELLS).frames[0]?.[1] === 0x03);
    };
    const alone = strayHits({ stray: 0.5 });
    assert.ok(alone.includes(true) && alone.includes(false));
    assert.deepEqual(strayHits({ stray: 0.5, corrupt: 0.5, slow: 0.5 }), alone);
  });

  it("knobs apply from the next request on", () => {
    const { bms, send } = withFault({});
    assert.equal(send(READ_BASIC).frames.length, 1);
    bms.faults.unanswered = 1;
    assert.equal(send(READ_BASIC).frames.length, 0);
    bms.faults.unanswered = 0;
    assert.equal(send(READ_BASIC).frames.length, 1);
  });
});
