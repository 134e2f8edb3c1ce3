// Framing and payloads of the simulated BMS against real frames (captures and JBD docs, as listed in
// jbd-frames.json): if the simulator encodes the same values, it must produce the same bytes.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chunk, encodeReply, parseRequest } from "./bms-frames";
import { basicInfoPayload, cellsPayload, errorCountersPayload, hardwarePayload } from "./bms-payloads";
import { fromHex, hex, request } from "./bms-harness";
import type { PackReading } from "./pack";

function reading(values: Partial<PackReading>): PackReading {
  return {
    voltage: 0, current: 0, remainingAh: 0, capacityAh: 100, soc: 0, cycles: 0, cellsMv: [], tempsC: [],
    fet: { charge: true, discharge: true }, softOff: { charge: false, discharge: false }, softwareLock: false,
    protection: 0, alarm: 0, balancing: 0, balanceCurrentMa: 0, errorCounts: [], ...values,
  };
}

const SP04S034 = { softwareVersion: 0x80, productionDate: { year: 2022, month: 3, day: 28 }, extended: false };

describe("bms-frames: requests", () => {
  it("accepts the documented requests", () => {
    const cases: [string, boolean, number, string][] = [
      ["dda50300fffd77", false, 0x03, ""],
      ["dda50400fffc77", false, 0x04, ""],
      ["dda5aa00ff5677", false, 0xaa, ""],
      ["dd5ae1020002ff1b77", true, 0xe1, "0002"],
      ["dd5afb020101ff0177", true, 0xfb, "0101"],
      ["dd5a00025678ff3077", true, 0x00, "5678"],
      ["dda5fa03000102ff0077", false, 0xfa, "000102"],
    ];
    for (const [frame, write, reg, data] of cases) {
      const parsed = parseRequest(fromHex(frame));
      assert.ok(parsed, frame);
      assert.deepEqual([parsed.write, parsed.reg, hex(parsed.data)], [write, reg, data], frame);
    }
  });

  it("rejects what the BMS would not answer", () => {
    for (const frame of [
      "dda50300fffc77", // checksum off by one
      "dda50300fffd78", // end byte
      "dda50300fffd7700", // trailing byte: length mismatch
      "dda50300fffd", // cut short
      "dd03001b", // a response, not A5/5A
      "ffaa170017", // FF AA module command
      "",
    ]) assert.equal(parseRequest(fromHex(frame)), undefined, frame);
  });

  it("the test helper builds the same bytes as the docs", () => {
    assert.equal(hex(request(false, 0x03)), "dda50300fffd77");
    assert.equal(hex(request(true, 0xe1, [0x00, 0x02])), "dd5ae1020002ff1b77");
  });
});

describe("bms-frames: replies", () => {
  it("acks and error statuses match captured bytes", () => {
    assert.equal(hex(encodeReply(0xe1, 0)), "dde10000000077");
    assert.equal(hex(encodeReply(0xfb, 0)), "ddfb0000000077");
    assert.equal(hex(encodeReply(0x00, 0)), "dd000000000077");
    assert.equal(hex(encodeReply(0xe3, 0x80)), "dde38000ff8077");
    assert.equal(hex(encodeReply(0x24, 0x81)), "dd248100ff7f77");
  });

  it("0x03 standard layout reproduces the SP04S034 capture", () => {
    const r = reading({
      voltage: 15.6, remainingAh: 4.98, capacityAh: 5, soc: 99.6, cellsMv: [3900, 3900, 3900, 3900], tempsC: [22.4, 22.3, 21.7],
    });
    assert.equal(hex(encodeReply(0x03, 0, basicInfoPayload(r, SP04S034))),
      "dd03001d0618000001f201f400002c7c00000000000080640304030b8b0b8a0b84fa8d77");
  });

  it("0x03 shows a software MOS lock as the capture after E1 00 01 did", () => {
    const r = reading({
      voltage: 13.31, remainingAh: 268.25, capacityAh: 280, soc: 95.8, cellsMv: [3327, 3328, 3328, 3327],
      tempsC: [19.4, 19.4, 19.0], fet: { charge: false, discharge: true }, protection: 0x1000,
    });
    assert.equal(hex(encodeReply(0x03, 0, basicInfoPayload(r, SP04S034))),
      "dd03001d0533000068c96d6000002c7c00000000100080600204030b6d0b6d0b69faa877");
  });

  it("0x03 extended layout reproduces the DP04S007 capture", () => {
    const r = reading({
      voltage: 13.75, remainingAh: 191.67, capacityAh: 200, soc: 95.8, cycles: 2, cellsMv: [3437, 3438, 3437, 3438], tempsC: [26.2],
    });
    const id = { softwareVersion: 0x23, productionDate: { year: 2022, month: 8, day: 20 }, extended: true };
    assert.equal(hex(encodeReply(0x03, 0, basicInfoPayload(r, id))),
      "dd030022055f00004adf4e2000022d1400000000000023600304010bb10000004e204adf0000fac277");
  });

  it("0x03 puts balance bits in spec order: low word bit 0 = cell 1, high word bit 0 = cell 17", () => {
    const cellsMv = Array.from({ length: 20 }, () => 3400);
    const payload = basicInfoPayload(reading({ cellsMv, balancing: (1 << 0) | (1 << 17) }), SP04S034);
    assert.equal(hex(payload.subarray(12, 16)), "00010002");
  });

  it("0x04, 0x05 and 0xAA reproduce captured frames", () => {
    assert.equal(hex(encodeReply(0x04, 0, cellsPayload(reading({ cellsMv: [3909, 3901, 3895, 3901] })))),
      "dd0400080f450f3d0f370f3dfec677");
    assert.equal(hex(encodeReply(0x05, 0, hardwarePayload("JBD-SP04S034-L4S-200A-B-U"))),
      "dd0500194a42442d53503034533033342d4c34532d323030412d422d55fa0877");
    const errorCounts = [0, 0, 0, 122, 2, 0, 0, 0, 0, 0, 0, 1];
    assert.equal(hex(encodeReply(0xaa, 0, errorCountersPayload(reading({ errorCounts })))),
      "ddaa0018000000000000007a00020000000000000000000000000001ff6b77");
  });

  it("chunks like the captures: 36 bytes as 20 + 16, 41 as 20 + 20 + 1", () => {
    assert.deepEqual(chunk(new Uint8Array(36), 20).map((c) => c.length), [20, 16]);
    assert.deepEqual(chunk(new Uint8Array(41), 20).map((c) => c.length), [20, 20, 1]);
    assert.deepEqual(chunk(new Uint8Array(15), 20).map((c) => c.length), [15]);
  });
});
