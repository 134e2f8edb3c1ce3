// The simulated BMS's parameter EEPROM (registers 0x10-0x47) and factory mode, for two firmware
// layouts. Written from the sources below and independent of modules/protocol/registers.ts (its own
// table and defaults), so the sim checks the gateway's register code rather than sharing its bugs.
//
// - Factory mode (JBD_REGISTER_MAP.md "Register 0x00/0x01"; facts §4.5): reads and writes of these
//   registers are refused with status 0x81 outside it (the V1.3 capture: DD 24 81 00 FF 7F 77 after
//   exit). Inside it a write changes a working copy, reads read the working copy; exit with 0x2828
//   saves the working copy to the EEPROM (and clears the 0xAA counters), exit with 0x0000 drops it:
//   a write is lost without exit-and-save. Another exit word is refused (0x80), factory mode kept.
// - Layouts (Capacity_parameter_registers.md of FurTrader/OverkillSolarBMS):
//   "fw20" (firmware 0x20/0x21): every register 0x10-0x47, the capacity-voltage curve in 10 % steps.
//   "fw16" (firmware 0x15/0x16): 0x10-0x3F only; 0x40-0x47 are read with status 0x80, and a write to
//   them is acknowledged (status 0) but not kept ("Note 1" of that document): only a read-back shows it.
// - Not sourced, chosen here: factory mode and the working copy survive a BLE drop (the BMS behind
//   the module's UART never hears of it); enter while in factory mode is acknowledged and changes
//   nothing; the stored values change no protection of the simulated pack (pack-protection.ts keeps
//   its own thresholds).

import { encodeReply } from "./bms-frames";
import { STATUS_INVALID, STATUS_OK, STATUS_UNSUPPORTED } from "../../modules/protocol/frame";

export type EepromLayout = "fw16" | "fw20";

export interface EepromStats {
  reads: number;
  writes: number;
  /** Reads and writes refused with 0x81 because factory mode was off. */
  refused: number;
  /** Writes acknowledged to a register the layout lacks (not kept). */
  lost: number;
  saves: number;
  discards: number;
}

const FIRST = 0x10, LAST = 0x47, LAST_FW16 = 0x3f;
const SAVE = 0x2828;

/** Defaults of a LiFePO4 pack like the captured SP04S034 (facts §4.6 examples), per cell count and capacity. */
function defaults(cells: number, capacityAh: number): Map<number, number> {
  const large = capacityAh > 655.35;
  const cap = Math.round(capacityAh * (large ? 10 : 100));
  const k = (celsius: number) => Math.round(celsius * 10 + 2731);
  const oc = (amps: number) => Math.round(amps * (large ? 10 : 100));
  const entries: [number, number][] = [
    [0x10, cap], [0x11, Math.round(cap * 0.8)], [0x12, 3500], [0x13, 2800], [0x14, 2], [0x15, 0x2c7c], [0x16, 0], [0x17, 0],
    [0x18, k(75)], [0x19, k(55)], [0x1a, k(-10)], [0x1b, k(0)], [0x1c, k(75)], [0x1d, k(55)], [0x1e, k(-20)], [0x1f, k(-10)],
    [0x20, 365 * cells], [0x21, 355 * cells], [0x22, 250 * cells], [0x23, 270 * cells],
    [0x24, 3650], [0x25, 3550], [0x26, 2500], [0x27, 2700],
    [0x28, oc(100)], [0x29, 0x10000 - oc(150)], [0x2a, 3400], [0x2b, 30], [0x2c, 1],
    [0x2d, 0x0002 | (large ? 1 << 12 : 0)], [0x2e, 0x0007], [0x2f, cells], [0x30, 30], [0x31, 30],
    [0x32, 3340], [0x33, 3310], [0x34, 3290], [0x35, 3200], [0x36, 3900], [0x37, 2000], [0x38, 0x8d5c], [0x39, 0xf064],
    [0x3a, 0x0202], [0x3b, 0x0202], [0x3c, 0x0202], [0x3d, 0x0202], [0x3e, 0x0a1e], [0x3f, 0x0a1e], [0x40, 0], [0x41, 0],
    [0x42, 3350], [0x43, 3320], [0x44, 3300], [0x45, 3270], [0x46, 3000], [0x47, 3400],
  ];
  return new Map(entries);
}

export class SimulatedEeprom {
  readonly stats: EepromStats = { reads: 0, writes: 0, refused: 0, lost: 0, saves: 0, discards: 0 };
  /** Fault knob: registers whose writes are acknowledged and not kept (a value the firmware will not take). */
  readonly stuck = new Set<number>();
  /** What the EEPROM holds (survives everything). */
  readonly #saved: Map<number, number>;
  /** Factory mode's working copy. */
  #working: Map<number, number>;
  #factory = false;

  constructor(readonly layout: EepromLayout, cells: number, capacityAh: number) {
    this.#saved = defaults(cells, capacityAh);
    if (layout === "fw16") for (let reg = LAST_FW16 + 1; reg <= LAST; reg++) this.#saved.delete(reg);
    this.#working = new Map(this.#saved);
  }

  get factoryMode(): boolean { return this.#factory; }
  /** The word the EEPROM holds (undefined: the layout lacks the register). */
  saved(reg: number): number | undefined { return this.#saved.get(reg); }
  /** The word factory mode reads now. */
  working(reg: number): number | undefined { return this.#working.get(reg); }
  /** Change a stored word directly (what the phone app or the factory did before): tests only. */
  store(reg: number, value: number): void { this.#saved.set(reg, value); if (!this.#factory) this.#working.set(reg, value); }

  /** Whether `reg` is a parameter register (this module answers it). */
  handles(reg: number): boolean { return reg >= FIRST && reg <= LAST; }

  enter(): void {
    if (this.#factory) return;
    this.#factory = true;
    this.#working = new Map(this.#saved);
  }

  /** 0x01: the reply status; false `left` when the word is neither save nor discard. */
  exit(data: Uint8Array): number {
    const word = data.length === 2 ? (data[0] << 8) | data[1] : -1;
    if (word !== 0 && word !== SAVE) return STATUS_UNSUPPORTED;
    if (this.#factory) {
      if (word === SAVE) {
        for (const [reg, value] of this.#working) this.#saved.set(reg, value);
        this.stats.saves++;
      } else this.stats.discards++;
    }
    this.#factory = false;
    this.#working = new Map(this.#saved);
    return STATUS_OK;
  }

  /** A read or write of a parameter register. */
  execute(write: boolean, reg: number, data: Uint8Array): Uint8Array {
    if (!this.#factory) {
      this.stats.refused++;
      return encodeReply(reg, STATUS_INVALID);
    }
    const present = this.#working.has(reg);
    if (!write) {
      this.stats.reads++;
      const value = this.#working.get(reg);
      return value === undefined ? encodeReply(reg, STATUS_UNSUPPORTED) : encodeReply(reg, STATUS_OK, Uint8Array.of(value >> 8, value & 0xff));
    }
    if (data.length !== 2) return encodeReply(reg, STATUS_UNSUPPORTED);
    this.stats.writes++;
    if (present && !this.stuck.has(reg)) this.#working.set(reg, (data[0] << 8) | data[1]);
    else this.stats.lost++;
    return encodeReply(reg, STATUS_OK);
  }
}
