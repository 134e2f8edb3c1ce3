// Payloads of the BMS's read commands, built from a pack reading (facts §4.2 and §4.4).

import type { PackReading } from "./pack";

export interface ProductionDate {
  year: number;
  month: number;
  day: number;
}

/** What the firmware says about itself in 0x03, beside the pack values. */
export interface BasicInfoIdentity {
  softwareVersion: number;
  productionDate: ProductionDate;
  /** Newer firmware appends humidity, alarm, full-charge capacity, remaining, balance current. */
  extended: boolean;
}

/** 655.35 Ah is the most a U16 of 10 mAh holds; larger packs switch to 100 mAh / 100 mA units. */
export const LARGE_UNIT_ABOVE_AH = 655.35;
const LARGE_UNIT_FET_BIT = 0x80;
const KELVIN_OFFSET_DECI = 2731;

/** 0x03 basic info, standard or extended layout. */
export function basicInfoPayload(r: PackReading, id: BasicInfoIdentity): Uint8Array {
  const large = r.capacityAh > LARGE_UNIT_ABOVE_AH;
  const perUnit = large ? 10 : 100; // wire counts per A or Ah
  const w = new Writer();
  w.u16(Math.round(r.voltage * 100));
  w.s16(Math.round(r.current * perUnit));
  w.u16(Math.round(r.remainingAh * perUnit));
  w.u16(Math.round(r.capacityAh * perUnit));
  w.u16(r.cycles);
  w.u16(((id.productionDate.year - 2000) << 9) | (id.productionDate.month << 5) | id.productionDate.day);
  // spec order: low word bit 0 = cell 1, high word bit 0 = cell 17
  w.u16(r.balancing & 0xffff);
  w.u16(r.balancing >>> 16);
  w.u16(r.protection);
  w.u8(id.softwareVersion);
  w.u8(Math.round(r.soc));
  w.u8((r.fet.charge ? 1 : 0) | (r.fet.discharge ? 2 : 0) | (large ? LARGE_UNIT_FET_BIT : 0));
  w.u8(r.cellsMv.length);
  w.u8(r.tempsC.length);
  for (const t of r.tempsC) w.u16(Math.round(t * 10) + KELVIN_OFFSET_DECI);
  if (id.extended) {
    w.u8(0); // humidity: no sensor, as on the DP04S007 capture
    w.u16(r.alarm);
    // the V11 doc gives these in 10 mAh; we assume the FET bit 7 scale applies to them too
    w.u16(Math.round(r.capacityAh * perUnit));
    w.u16(Math.round(r.remainingAh * perUnit));
    w.u16(r.balanceCurrentMa);
  }
  return w.bytes();
}

/** 0x04: U16 mV per cell. */
export function cellsPayload(r: PackReading): Uint8Array {
  const w = new Writer();
  for (const mv of r.cellsMv) w.u16(mv);
  return w.bytes();
}

/** 0xAA: U16 per counter, the 24-byte variant (with system restarts). */
export function errorCountersPayload(r: PackReading): Uint8Array {
  const w = new Writer();
  for (const count of r.errorCounts) w.u16(Math.min(count, 0xffff));
  return w.bytes();
}

/** 0x05: raw ASCII, no length prefix. */
export function hardwarePayload(hardwareVersion: string): Uint8Array {
  return Uint8Array.from(hardwareVersion, (c) => c.charCodeAt(0));
}

/** Big-endian byte builder. */
class Writer {
  readonly #bytes: number[] = [];
  u8(v: number): void { this.#bytes.push(v & 0xff); }
  u16(v: number): void { this.#bytes.push((v >> 8) & 0xff, v & 0xff); }
  /** Saturates like the BMS's S16 current field instead of wrapping. */
  s16(v: number): void { this.u16(Math.max(-0x8000, Math.min(0x7fff, v))); }
  bytes(): Uint8Array { return Uint8Array.from(this.#bytes); }
}
