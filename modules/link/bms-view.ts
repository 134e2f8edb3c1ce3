// What the rest of the gateway (MQTT bridge, console) sees of one BMS link. The link owns the
// readings; consumers read them when told something changed, and ask for MOS changes.
import type { BasicInfo } from "../protocol/basic-info";
import type { CellVoltages } from "../protocol/cells";
import type { HardwareVersion } from "../protocol/hardware";
import type { ErrorCounters } from "../protocol/error-counters";
import type { LinkStats } from "./link-stats";
import type { AssemblerStats } from "../protocol/assembler";
import type { EnergyView } from "./energy-meter";
import type { MaintenanceResult } from "./maintenance";
import type { SettingsView } from "./bms-settings";

export type Fet = "charge" | "discharge";

/** Outcome of one MOS command, published on <prefix>/<bms>/mos/result. */
export interface MosResult {
  fet: Fet;
  requested: boolean;               // true = ON asked
  ok: boolean;
  /** FET states the BMS reports after the command (read back with 0x03), when known. */
  charge?: boolean;
  discharge?: boolean;
  /** Why not, when !ok: "not connected", "state unknown", "control disabled", "BMS refused (status 0x80 ...)",
   *  "state did not change", "timeout", "busy". */
  error?: string;
  /** Which command the BMS accepted: "e1" or "fb". */
  command?: "e1" | "fb";
}

export interface LoginState {
  /** "unknown" | "none" | "module" (FF AA login) | "pairing". */
  readonly kind: string;
  /** In words, with what to do when it failed; "" before the first connect. */
  readonly outcome: string;
  /** The last login let the link poll. */
  readonly ok: boolean;
  /** Something for the user to fix (what `outcome` says), whether or not the link polls. */
  readonly problem: boolean;
}

export interface BmsView {
  /** Topic id: configured name, else the MAC in lowercase hex without colons. */
  readonly id: string;
  /** Friendly name for displays (Home Assistant device name). */
  readonly name: string;
  /** MAC address "AA:BB:CC:DD:EE:FF" once known. */
  readonly address: string | undefined;
  readonly connected: boolean;
  /** True while readings are fresh (link up and the last polls answered). */
  readonly online: boolean;
  /** Released to another central (the JBD app) for a while: offline by request, not by fault. */
  readonly released: boolean;
  /** What the pack needs to answer (bms-login), and what the last login came to. */
  readonly login: LoginState;
  readonly info: BasicInfo;
  /** Time.ticks of the last good 0x03 reading, or -1 (test `=== -1`: ticks are negative half the time on the ESP32). */
  readonly infoAt: number;
  readonly cells: CellVoltages;
  readonly cellsAt: number;
  readonly hardware: HardwareVersion;      // length 0 until read (once per connection)
  readonly errorCounters: ErrorCounters;   // count 0 until read
  readonly rssi: number | undefined;
  /** Energy totals and runtime estimates from the readings (energy-meter); absent in views without a meter. */
  readonly energy?: EnergyView;
  /** Protection and capacity parameters (bms-settings); absent in views without them. */
  readonly settings?: SettingsView;
  readonly stats: LinkStats;
  /** Frames received and discarded, by reason (the link's frame assembler). */
  readonly frameStats: AssemblerStats;
  /** Closed-loop MOS change; `done` is called exactly once. */
  setMos(fet: Fet, on: boolean, done: (result: MosResult) => void): void;
  /** A maintenance function by name (capacity, protection, counters: modules/protocol/control.ts); `done` exactly once. */
  maintain(name: string, done: (result: MaintenanceResult) => void): void;
  /** Milliseconds until a release ends by itself (0 when not released). */
  readonly releaseRemainingMs: number;
  /** Close the link and keep it closed for `minutes` (1..1440), for another central. */
  release(minutes: number): void;
  /** End a release now; false if the link was not released. */
  resume(reason?: string): boolean;
}

/** Link → consumers. Called from BLE/timer callbacks: implementations must not throw. */
export interface LinkListener {
  /** A poll cycle completed: info (and cells) are new. */
  onReading(bms: BmsView): void;
  /** Freshness changed (link up with readings / readings stopped), or a release began or ended. */
  onAvailability(bms: BmsView, online: boolean): void;
  /** Hardware version or other static info became known. */
  onInfo(bms: BmsView): void;
  /** The settings were read or written (or a settings request ended): publish them. */
  onSettings?(bms: BmsView): void;
}
