// BmsViews for the bridge tests: readings decoded by the protocol core from real frames (copied
// verbatim from ../shared/jbd-frames.json, sources below); the test plays the link's events and
// decides how setMos answers.
import { BasicInfo, decodeBasicInfo } from "../../modules/protocol/basic-info";
import { CellVoltages, decodeCells } from "../../modules/protocol/cells";
import { HardwareVersion, decodeHardware } from "../../modules/protocol/hardware";
import { ErrorCounters, decodeErrorCounters } from "../../modules/protocol/error-counters";
import { parseHex } from "../../modules/protocol/hex";
import { LinkStats } from "../../modules/link/link-stats";
import { AssemblerStats } from "../../modules/protocol/assembler";
import type { BmsView, Fet, MosResult } from "../../modules/link/bms-view";
import type { EnergyView } from "../../modules/link/energy-meter";
import type { MaintenanceResult } from "../../modules/link/maintenance";
import type { Clock } from "../../modules/bridge/ports";

export interface Pack { basic: string; cells: string; hardware?: string; counters?: string }

/** JBD-SP04S034-L4S-200A-B-U: 4S, 3 NTC, software 8.0 (esphome-jbd-bms docs/pdus, frames.h). */
export const SP04S034: Pack = {
  basic: "dd03001d0618000001f201f400002c7c00000000000080640304030b8b0b8a0b84fa8d77",
  cells: "dd0400080f450f3d0f370f3dfec677",
  hardware: "dd0500194a42442d53503034533033342d4c34532d323030412d422d55fa0877",
  counters: "ddaa0018000000000000007a00020000000000000000000000000001ff6b77",
};

/** JBD-DP04S007L4S100A: 4S, 1 NTC, with the V11 extended block (esphome-jbd-bms docs/pdus, issue #20). */
export const DP04S007: Pack = {
  basic: "dd030022055f00004adf4e2000022d1400000000000023600304010bb10000004e204adf0000fac277",
  cells: "dd0400080f450f3d0f370f3dfec677", // cells of the SP04S034 capture: this capture has none
};

/** JBD-SP25S003-L16S-100A: 16S, no NTC, discharge FET off (esphome-jbd-bms docs/pdus, UART). */
export const SP25S003: Pack = {
  basic: "dd030017000000000000271000002c500000000000002000011000ff0577",
  cells: "dd0400200e100e100e100e100e100e100e100e100e100e100e100e100e100e100e100000fe1e77",
};

function bytes(hex: string): Uint8Array {
  const parsed = parseHex(hex);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

export type MosMode = "apply" | "ignore" | "hold" | "throw";

export class FakeBms implements BmsView {
  readonly info = new BasicInfo();
  readonly cells = new CellVoltages();
  readonly hardware = new HardwareVersion();
  readonly errorCounters = new ErrorCounters();
  readonly stats = new LinkStats();
  readonly frameStats = new AssemblerStats();
  infoAt = -1;
  cellsAt = -1;
  rssi: number | undefined;
  /** A meter's totals and estimates when a test gives one (a view without a meter has none). */
  energy?: EnergyView;
  online = false;
  connected = false;
  released = false;
  login = { kind: "none", outcome: "not needed", ok: true, problem: false };
  releaseRemainingMs = 0;
  /** Minutes of each release() asked, 0 for each resume() that ended one. */
  readonly releaseCalls: number[] = [];
  release(minutes: number): void { this.released = true; this.releaseRemainingMs = minutes * 60_000; this.releaseCalls.push(minutes); }
  resume(): boolean {
    if (!this.released) return false;
    this.released = false; this.releaseRemainingMs = 0; this.releaseCalls.push(0);
    return true;
  }
  /** apply: the BMS does it; ignore: accepted but the FET stays; hold: no answer until answerHeld() (the link queues); throw: a bug. */
  mosMode: MosMode = "apply";
  readonly mosCalls: Array<{ fet: Fet; on: boolean }> = [];
  readonly #held: (() => void)[] = [];

  constructor(readonly id: string, readonly name: string, readonly address: string | undefined, private readonly clock: Clock) {}

  /** Decode a pack's frames as the link would after a poll cycle. */
  load(pack: Pack): this {
    if (!decodeBasicInfo(bytes(pack.basic), this.info)) throw new Error("bad 0x03 frame");
    if (!decodeCells(bytes(pack.cells), this.cells)) throw new Error("bad 0x04 frame");
    if (pack.hardware && !decodeHardware(bytes(pack.hardware), this.hardware)) throw new Error("bad 0x05 frame");
    if (pack.counters && !decodeErrorCounters(bytes(pack.counters), this.errorCounters)) throw new Error("bad 0xAA frame");
    this.infoAt = this.cellsAt = this.clock.ticks();
    this.connected = true;
    return this;
  }

  setMos(fet: Fet, on: boolean, done: (result: MosResult) => void): void {
    this.mosCalls.push({ fet, on });
    if (this.mosMode === "throw") throw new Error("link bug");
    const finish = () => {
      const bit = fet === "charge" ? 1 : 2;
      if (this.mosMode !== "ignore") this.info.fetBits = on ? this.info.fetBits | bit : this.info.fetBits & ~bit;
      const charge = this.info.chargeOn, discharge = this.info.dischargeOn;
      const ok = (fet === "charge" ? charge : discharge) === on;
      done({ fet, requested: on, ok, charge, discharge, ...(ok ? { command: "e1" as const } : { error: "state did not change" }) });
    };
    if (this.mosMode === "hold") this.#held.push(finish);
    else setTimeout(finish, 10);
  }

  /** Every maintain() asked, by function name; answered as `maintenanceAnswer` says (ok by default). */
  readonly maintenanceCalls: string[] = [];
  maintenanceAnswer: { ok: boolean; error?: string } = { ok: true };
  maintain(name: string, done: (result: MaintenanceResult) => void): void {
    this.maintenanceCalls.push(name);
    const answer = this.maintenanceAnswer;
    setTimeout(() => done({ function: name, ...answer, before: { soc: 50 }, after: { soc: 61 } }), 10);
  }

  /** Answers the oldest held command. */
  answerHeld(): void {
    this.#held.shift()?.();
  }
}
