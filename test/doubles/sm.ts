// Double of the Moddable "sm" module (modules/network/ble/sm.js, nimble/modBLESM.c) of SDK 8.2.3:
// bond removal; the bonds themselves live in NimBLE's store on the host (test/virtual/ble-world.ts).
import { deleteBond } from "./bleclient";

export const IOCapability = Object.freeze({ NoInputNoOutput: 0, DisplayOnly: 1, KeyboardOnly: 2, KeyboardDisplay: 3, DisplayYesNo: 4 });
export const Authorization = Object.freeze({ None: 0, NoMITM: 1, MITM: 2, SignedNoMITM: 3, SignedMITM: 4 });

export default class SM {
  /** Deletes one bond, then dereferences NULL (modBLESM.c): the ESP32 panics. Do not use. */
  static deleteAllBondings(): void { deleteBond(undefined, 0); }
  /** sm.js: addressType defaults to GAP.AddressType.PUBLIC (0); xsmcToArrayBuffer throws on anything else. */
  static deleteBonding(address: ArrayBuffer, addressType = 0): void {
    if (!(address instanceof ArrayBuffer)) throw new TypeError("not an ArrayBuffer instance");
    deleteBond(address, Math.trunc(Number(addressType)) || 0);
  }
}
Object.freeze(SM.prototype);
export { SM };
