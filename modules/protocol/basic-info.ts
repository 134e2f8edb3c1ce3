// 0x03 basic info: field map of jbd-field-facts §4.2 (V4 + V11 extended fields). Raw integers are
// kept as the BMS sends them; the getters convert on demand, so decoding allocates nothing.
import { CMD_BASIC_INFO, PAYLOAD_OFFSET, STATUS_OK } from "./frame";

/** Payload bytes before the temperatures; the NTC count is the last of them. */
const FIXED_PAYLOAD = 23;
/** Humidity, alarm, full-charge capacity, remaining capacity, balance current (V11). */
const EXTENDED_PAYLOAD = 9;
export const MAX_NTC = 8;
/** Frame offset of the first temperature. */
const TEMPERATURES = PAYLOAD_OFFSET + FIXED_PAYLOAD;
/** °C × 10 = raw (0.1 K) − 2731. */
const KELVIN_OFFSET = 2731;

/** Protection bits (0x03 offset 16), bit n = name n; bit 15 is reserved. */
export const PROTECTION_NAMES = Object.freeze([
  "cellOvervoltage", "cellUndervoltage", "packOvervoltage", "packUndervoltage",
  "chargeOvertemperature", "chargeUndertemperature", "dischargeOvertemperature", "dischargeUndertemperature",
  "chargeOvercurrent", "dischargeOvercurrent", "shortCircuit", "frontEndError",
  "mosSoftwareLock", "chargeMosFault", "dischargeMosFault",
] as const);

/** Alarm bits of the extended block (V11), bit n = name n; bits 12-15 are reserved. */
export const ALARM_NAMES = Object.freeze([
  "cellHighVoltage", "cellLowVoltage", "packHighVoltage", "packLowVoltage",
  "chargeHighTemperature", "chargeLowTemperature", "dischargeHighTemperature", "dischargeLowTemperature",
  "chargeHighCurrent", "dischargeHighCurrent", "cellVoltageDifference", "lowCapacity",
] as const);

export const FET_CHARGE = 0x01;
export const FET_DISCHARGE = 0x02;
export const FET_CURRENT_LIMIT = 0x04;
export const FET_HEATING = 0x08;
/** V11: current in 100 mA and capacities in 100 mAh instead of 10 mA / 10 mAh (large packs). */
export const FET_LARGE_UNITS = 0x80;

export class BasicInfo {
  /** Pack voltage, 10 mV. */
  voltage10mV = 0;
  /** Signed, + = charging; 10 mA (100 mA with FET_LARGE_UNITS). */
  currentRaw = 0;
  /** 10 mAh (100 mAh with FET_LARGE_UNITS). */
  remainingRaw = 0;
  nominalRaw = 0;
  cycles = 0;
  /** Packed date: day bits 0-4, month bits 5-8, year - 2000 bits 9-15. */
  productionDateRaw = 0;
  /** Bit n set = cell n+1 balancing (spec order: low word cells 1-16, high word 17-32). */
  balanceBits = 0;
  /** Bit n = PROTECTION_NAMES[n]. */
  protectionBits = 0;
  /** Nibble-coded: 0x80 = 8.0. */
  softwareVersionRaw = 0;
  /** Relative state of charge, %. */
  soc = 0;
  /** FET_* bits. */
  fetBits = 0;
  cellCount = 0;
  temperatureCount = 0;
  /** 0.1 °C, the first `temperatureCount` are valid. */
  readonly temperatures = new Int16Array(MAX_NTC);
  /** The V11 extended block was present; the fields below are valid only then. */
  hasExtended = false;
  /** %. */
  humidity = 0;
  /** Bit n = ALARM_NAMES[n]. */
  alarmBits = 0;
  /** Same unit as remainingRaw. */
  fullChargeRaw = 0;
  /** The extended block's remaining capacity, same unit as remainingRaw. */
  extendedRemainingRaw = 0;
  /** mA. */
  balanceCurrentMa = 0;

  /** 10 when the BMS reports current and capacities in the large (×10) units. */
  get unitScale(): number { return this.fetBits & FET_LARGE_UNITS ? 10 : 1; }
  get volts(): number { return this.voltage10mV / 100; }
  get amps(): number { return this.currentRaw * this.unitScale / 100; }
  get watts(): number { return this.voltage10mV * this.currentRaw * this.unitScale / 10000; }
  get remainingAh(): number { return this.remainingRaw * this.unitScale / 100; }
  get nominalAh(): number { return this.nominalRaw * this.unitScale / 100; }
  get fullChargeAh(): number { return this.fullChargeRaw * this.unitScale / 100; }
  get extendedRemainingAh(): number { return this.extendedRemainingRaw * this.unitScale / 100; }
  get chargeOn(): boolean { return (this.fetBits & FET_CHARGE) !== 0; }
  get dischargeOn(): boolean { return (this.fetBits & FET_DISCHARGE) !== 0; }
  get productionYear(): number { return 2000 + (this.productionDateRaw >> 9); }
  get productionMonth(): number { return (this.productionDateRaw >> 5) & 0x0f; }
  get productionDay(): number { return this.productionDateRaw & 0x1f; }
  get softwareMajor(): number { return this.softwareVersionRaw >> 4; }
  get softwareMinor(): number { return this.softwareVersionRaw & 0x0f; }

  /** Cell numbers are 1-based, as printed on the pack. */
  isBalancing(cell: number): boolean {
    return cell >= 1 && cell <= 32 && ((this.balanceBits >>> (cell - 1)) & 1) === 1;
  }

  isProtected(bit: number): boolean { return ((this.protectionBits >> bit) & 1) === 1; }

  /** °C of sensor `index` (0-based). */
  temperatureC(index: number): number { return this.temperatures[index] / 10; }
}

/**
 * Decode a 0x03 reply into `out`. False (and `out` untouched) when the frame is not an OK 0x03 reply or
 * its payload is shorter than its own NTC count requires. A partial extended block is ignored.
 */
export function decodeBasicInfo(frame: Uint8Array, out: BasicInfo): boolean {
  const length = frame[3];
  const ntc = frame[PAYLOAD_OFFSET + 22];
  if (frame[1] !== CMD_BASIC_INFO || frame[2] !== STATUS_OK || length < FIXED_PAYLOAD || ntc > MAX_NTC ||
    length < FIXED_PAYLOAD + 2 * ntc) return false;
  const f = frame;
  out.voltage10mV = (f[4] << 8) | f[5];
  out.currentRaw = ((f[6] << 24) >> 16) | f[7];
  out.remainingRaw = (f[8] << 8) | f[9];
  out.nominalRaw = (f[10] << 8) | f[11];
  out.cycles = (f[12] << 8) | f[13];
  out.productionDateRaw = (f[14] << 8) | f[15];
  out.balanceBits = ((f[18] << 24) | (f[19] << 16) | (f[16] << 8) | f[17]) >>> 0;
  out.protectionBits = (f[20] << 8) | f[21];
  out.softwareVersionRaw = f[22];
  out.soc = f[23];
  out.fetBits = f[24];
  out.cellCount = f[25];
  out.temperatureCount = ntc;
  const temperatures = out.temperatures;
  for (let i = 0; i < ntc; i++) temperatures[i] = ((f[TEMPERATURES + 2 * i] << 8) | f[TEMPERATURES + 1 + 2 * i]) - KELVIN_OFFSET;
  const at = TEMPERATURES + 2 * ntc;
  out.hasExtended = length >= FIXED_PAYLOAD + 2 * ntc + EXTENDED_PAYLOAD;
  if (out.hasExtended) {
    out.humidity = f[at];
    out.alarmBits = (f[at + 1] << 8) | f[at + 2];
    out.fullChargeRaw = (f[at + 3] << 8) | f[at + 4];
    out.extendedRemainingRaw = (f[at + 5] << 8) | f[at + 6];
    out.balanceCurrentMa = (f[at + 7] << 8) | f[at + 8];
  }
  return true;
}
