// A 4S pack's protection and capacity parameters as the link would have read them (firmware without
// the 10 % curve steps), for the bridge's settings tests.
import { REGISTER_COUNT, RegisterState, SettingsSet, registerIndex } from "../../modules/protocol/registers";

/** A 4S pack's parameters as the link would have read them (firmware without the 10 % curve steps). */
export function packSet(): SettingsSet {
  const set = new SettingsSet();
  const raw: Record<string, number> = {
    designCapacity: 28000, cycleCapacity: 28000, cellOvervoltage: 3650, cellOvervoltageRelease: 3550,
    cellUndervoltage: 2500, cellUndervoltageRelease: 2700, packOvervoltage: 1460, packUndervoltage: 1000,
    chargeOvercurrent: 10000, dischargeOvercurrent: 0x10000 - 15000, chargeOvertemp: 3231, chargeUndertemp: 2731,
    dischargeOvertemp: 3481, dischargeUndertemp: 2531, balanceStartVoltage: 3400, balanceWindow: 30,
    functionsRaw: 0x000c, cellCount: 4, manufactureDate: (24 << 9) | (3 << 5) | 7,
  };
  for (const [key, word] of Object.entries(raw)) { set.raw[registerIndex(key)] = word; set.state[registerIndex(key)] = RegisterState.Ok; }
  for (let i = 0; i < REGISTER_COUNT; i++) if (set.state[i] === RegisterState.Unread) set.state[i] = RegisterState.Absent;
  return set;
}
