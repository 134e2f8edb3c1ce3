// Double of the Moddable "preference" module with the ESP32 NVS rules: domain and key names of at
// most 15 characters, integers only (stored as int32), strings, booleans and ArrayBuffers; typed
// arrays and objects are refused. The store lives on the host so it survives a virtual reboot.
import { hostCall, toHex, fromHex } from "./runtime";

type Value = boolean | number | string | ArrayBuffer;

function checkName(name: string): void {
  if (typeof name !== "string" || !name.length || name.length > 15) throw new Error("nvs_open fail");
}

function encode(value: Value): unknown {
  if (typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("float unsupported");
    return value | 0; // NVS keeps an int32
  }
  if (value instanceof ArrayBuffer) return { hex: toHex(value) };
  throw new Error("unsupported type");
}

const Preference = {
  set(domain: string, key: string, value: Value): void {
    checkName(domain); checkName(key);
    const stored = encode(value);
    if (typeof stored === "string" && stored.length > 4000) throw new Error("nvs set fail");
    hostCall("pref.set", domain, key, stored);
  },
  get(domain: string, key: string): Value | undefined {
    checkName(domain); checkName(key);
    const value = hostCall<unknown>("pref.get", domain, key);
    if (value && typeof value === "object" && "hex" in value) return fromHex((value as { hex: string }).hex);
    return (value ?? undefined) as Value | undefined;
  },
  delete(domain: string, key: string): void {
    checkName(domain); checkName(key);
    hostCall("pref.delete", domain, key);
  },
  keys(domain: string): string[] {
    checkName(domain);
    return hostCall<string[]>("pref.keys", domain);
  },
};
export default Preference;
