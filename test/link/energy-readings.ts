// A 0x03 reading made up field by field, for the energy meter's tests.
import { BasicInfo, FET_LARGE_UNITS } from "../../modules/protocol/basic-info";

/** volts, amps (+ charge), remaining / nominal / full-charge Ah; `large`: the ×10 units. */
export function reading(volts: number, amps: number, remainingAh = 50, nominalAh = 100, fullAh?: number, large = false): BasicInfo {
  const info = new BasicInfo();
  const unit = large ? 10 : 1;
  info.fetBits = 3 | (large ? FET_LARGE_UNITS : 0);
  info.voltage10mV = Math.round(volts * 100);
  info.currentRaw = Math.round(amps * 100 / unit);
  info.remainingRaw = Math.round(remainingAh * 100 / unit);
  info.nominalRaw = Math.round(nominalAh * 100 / unit);
  if (fullAh !== undefined) { info.hasExtended = true; info.fullChargeRaw = Math.round(fullAh * 100 / unit); }
  return info;
}
