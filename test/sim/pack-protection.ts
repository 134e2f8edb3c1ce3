// The protections a JBD BMS enforces. Each trips at a limit, turns one FET off, shows its bit in the
// 0x03 protection word, counts once in 0xAA, and releases with hysteresis (overcurrent: after a delay).
// Limits are the EEPROM values read from a real SP04S034 (facts §4.6); pack limits scale with cells.

export interface Measures {
  maxCellMv: number;
  minCellMv: number;
  packMv: number;
  /** ±Infinity on a pack without NTCs, so no temperature limit ever trips. */
  maxTempC: number;
  minTempC: number;
  currentA: number;
}

/** 0xAA error counters in wire order; the 24-byte variant's last word counts system restarts. */
export const ERROR_COUNTERS = [
  "shortCircuit", "chargeOvercurrent", "dischargeOvercurrent", "cellOvervoltage", "cellUndervoltage",
  "chargeOvertemp", "chargeUndertemp", "dischargeOvertemp", "dischargeUndertemp",
  "packOvervoltage", "packUndervoltage", "restarts",
] as const;
export type ErrorCounter = (typeof ERROR_COUNTERS)[number];

export interface Protection {
  /** Bit in the 0x03 protection word. */
  bit: number;
  counter: ErrorCounter;
  blocks: "charge" | "discharge";
  trips(m: Measures): boolean;
  releases(m: Measures, trippedForMs: number): boolean;
  /** The BMS resets its coulomb counter when a cell hits the end of the curve. */
  calibrates?: "full" | "empty";
}

const CELL_OV_MV = 3650;
const CELL_OV_RELEASE_MV = 3550;
const CELL_UV_MV = 2500;
const CELL_UV_RELEASE_MV = 2700;
const OT_C = 75;
const OT_RELEASE_C = 55;
const UT_C = -10;
const UT_RELEASE_C = 0;
/** Overcurrent limit as a C-rate: a 100 Ah pack trips at 200 A, like a "200A" board. */
const OC_C_RATE = 2;
/** Overcurrent has no voltage to release on; the BMS retries the FET after this delay. */
const OC_RELEASE_MS = 30_000;

export function protections(cellCount: number, capacityAh: number): Protection[] {
  const ocA = OC_C_RATE * capacityAh;
  return [
    { bit: 0, counter: "cellOvervoltage", blocks: "charge", calibrates: "full",
      trips: (m) => m.maxCellMv >= CELL_OV_MV, releases: (m) => m.maxCellMv <= CELL_OV_RELEASE_MV },
    { bit: 1, counter: "cellUndervoltage", blocks: "discharge", calibrates: "empty",
      trips: (m) => m.minCellMv <= CELL_UV_MV, releases: (m) => m.minCellMv >= CELL_UV_RELEASE_MV },
    { bit: 2, counter: "packOvervoltage", blocks: "charge",
      trips: (m) => m.packMv >= CELL_OV_MV * cellCount, releases: (m) => m.packMv <= CELL_OV_RELEASE_MV * cellCount },
    { bit: 3, counter: "packUndervoltage", blocks: "discharge",
      trips: (m) => m.packMv <= CELL_UV_MV * cellCount, releases: (m) => m.packMv >= CELL_UV_RELEASE_MV * cellCount },
    { bit: 4, counter: "chargeOvertemp", blocks: "charge",
      trips: (m) => m.maxTempC >= OT_C, releases: (m) => m.maxTempC <= OT_RELEASE_C },
    { bit: 5, counter: "chargeUndertemp", blocks: "charge",
      trips: (m) => m.minTempC <= UT_C, releases: (m) => m.minTempC >= UT_RELEASE_C },
    { bit: 6, counter: "dischargeOvertemp", blocks: "discharge",
      trips: (m) => m.maxTempC >= OT_C, releases: (m) => m.maxTempC <= OT_RELEASE_C },
    { bit: 7, counter: "dischargeUndertemp", blocks: "discharge",
      trips: (m) => m.minTempC <= UT_C, releases: (m) => m.minTempC >= UT_RELEASE_C },
    { bit: 8, counter: "chargeOvercurrent", blocks: "charge",
      trips: (m) => m.currentA > ocA, releases: (_, ms) => ms >= OC_RELEASE_MS },
    { bit: 9, counter: "dischargeOvercurrent", blocks: "discharge",
      trips: (m) => m.currentA < -ocA, releases: (_, ms) => ms >= OC_RELEASE_MS },
  ];
}

const CELL_HIGH_ALARM_MV = 3600;
const CELL_LOW_ALARM_MV = 2800;
const LOW_CAPACITY_ALARM_PERCENT = 10;

/** V11 alarm word (extended 0x03 only): early warnings before the protections act. */
export function alarmWord(m: Measures, socPercent: number): number {
  let word = 0;
  if (m.maxCellMv >= CELL_HIGH_ALARM_MV) word |= 1 << 0;
  if (m.minCellMv <= CELL_LOW_ALARM_MV) word |= 1 << 1;
  if (socPercent <= LOW_CAPACITY_ALARM_PERCENT) word |= 1 << 11;
  return word;
}
