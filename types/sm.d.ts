// Our own declarations for the Moddable SDK 8.2.3 "sm" module (modules/network/ble/sm.js), as used here.
declare module "sm" {
  export const IOCapability: { readonly NoInputNoOutput: 0; readonly DisplayOnly: 1; readonly KeyboardOnly: 2; readonly KeyboardDisplay: 3; readonly DisplayYesNo: 4 };
  export default class SM {
    /** Deletes one bond, then reads through a NULL pointer on NimBLE (modBLESM.c): never call it. */
    static deleteAllBondings(): void;
    /** Deletes the stored bond of that peer; onBondingDeleted follows on the client when there was one. */
    static deleteBonding(address: ArrayBuffer, addressType?: number): void;
  }
}
