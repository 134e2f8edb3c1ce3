// The 0x0A control functions of V11 firmware (`DD 5A 0A 02 hi lo`, facts §4.5) as the simulated BMS
// runs them. No anchor documents a reply or a precondition beyond the V11 table, so the model is the
// plain one: an acknowledged write (`DD 0A 00 00 ...`) on firmware that has them, 0x80 (not
// supported) on firmware that does not; no factory mode needed (like 0xE1, which the official app
// writes without it); an FF AA module with a root gate drops it like every other write (bms-auth.ts).
// Every code that arrives is counted, so tests can show that the gateway never sends the ones that
// cut power (MCU reset, sleep, power-down, storage mode, the forced switches).
import type { Pack } from "./pack";

export const CONTROL = Object.freeze({
  resetCapacity: 0x0100, clearHistory: 0x0200, mcuReset: 0x0300, clearStatus: 0x0400, sleep: 0x0500,
  powerDown: 0x0600, autoBalance: 0x0700, storageMode: 0x0800, socCutoff: 0x0900, forceOpen: 0x0a00,
  forceStart: 0x0b00, forceHeating: 0x0c00,
});

/** Runs control function `code` on the pack; false for a code the firmware does not know (answered 0x80). */
export function runControl(pack: Pack, code: number): boolean {
  switch (code) {
    case CONTROL.resetCapacity: pack.recalibrateSoc(); return true;
    case CONTROL.clearHistory: pack.clearErrorCounters(); return true;
    case CONTROL.clearStatus: pack.clearProtections(); return true;
    // known, acknowledged, and not modelled: the gateway must never send these (tests check the counts)
    case CONTROL.mcuReset: case CONTROL.sleep: case CONTROL.powerDown: case CONTROL.autoBalance:
    case CONTROL.storageMode: case CONTROL.socCutoff: case CONTROL.forceOpen: case CONTROL.forceStart:
    case CONTROL.forceHeating:
      return true;
    default:
      return false;
  }
}
