// Runs inside XS: the bridge's payloads built from real frames (fake-bms.ts), metered one by one.
import { JsonWriter, ReadingTexts } from "../../modules/protocol/json";
import { bmsDiagJson, gatewayDiagJson, infoJson, stateJson } from "../../modules/bridge/payloads";
import { MqttStats } from "../../modules/bridge/mqtt-connection";
import { FakeBms, SP04S034, SP25S003 } from "../bridge/fake-bms";

declare function resetMeter(limit: number, index: number): number;
const clock = { ticks: () => 1000, since: () => 2500, epochMs: () => Date.UTC(2026, 0, 1) };
const w = new JsonWriter();
const small = new FakeBms("house", "House", "A4:C1:38:00:00:01", clock).load(SP04S034);
const big = new FakeBms("boat", "Boat", "A4:C1:38:00:00:03", clock).load(SP25S003);
const stats = new MqttStats();
// each pack's kept texts, as the bridge holds them (one per pack)
const smallTexts = new ReadingTexts(), bigTexts = new ReadingTexts();

const PAYLOADS: Record<string, () => ArrayBuffer> = {
  "state 4S": () => stateJson(w, small, clock, smallTexts),
  "state 16S": () => stateJson(w, big, clock, bigTexts),
  info: () => infoJson(w, small),
  "bms diag": () => bmsDiagJson(w, small, 1234),
  "gateway diag": () => gatewayDiagJson(w, 1234, 3, stats, "power on"),
};

/** Compute units and bytes of each payload (mean over `cycles`). */
export function meterPayloads(cycles: number): Record<string, { computeUnits: number; bytes: number }> {
  const result: Record<string, { computeUnits: number; bytes: number }> = {};
  for (const [name, make] of Object.entries(PAYLOADS)) {
    make();
    resetMeter(0, 0);
    let bytes = 0;
    for (let i = 0; i < cycles; i++) bytes = make().byteLength;
    result[name] = { computeUnits: resetMeter(0, 0) / cycles, bytes };
  }
  return result;
}

export const PAYLOAD_NAMES = Object.keys(PAYLOADS);

/** Run one payload `cycles` times (for the host to read the heap meter around it). */
export function runPayload(name: string, cycles: number): void {
  const make = PAYLOADS[name];
  for (let i = 0; i < cycles; i++) make();
}
