// Our own declarations for the Moddable SDK 8.2.3 "preference" module, written from observed runtime
// behaviour (/work/shared/moddable-platform.md §d). ESP32 backend = NVS: domain and key ≤ 15 characters,
// numbers must be 32-bit integers ("float unsupported"), strings/buffers ≤ ~4000 bytes, typed arrays throw
// "unsupported type", every set/delete commits to flash, failures throw "nvs set fail"/"nvs_open fail".

declare module "preference" {
  export type PreferenceValue = boolean | number | string | ArrayBuffer;
  const Preference: {
    set(domain: string, key: string, value: PreferenceValue): void;
    get(domain: string, key: string): PreferenceValue | undefined;
    /** No error when the key is missing. */
    delete(domain: string, key: string): void;
    keys(domain: string): string[];
  };
  export default Preference;
}
