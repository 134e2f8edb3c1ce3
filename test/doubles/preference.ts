// Double of the Moddable "preference" module on ESP32 (modules/files/preference/esp32/modPreference.c
// over ESP-IDF NVS). The store lives on the host so it survives a virtual reboot. Kept from the SDK:
// - names are copied into 64-byte buffers first: 64 bytes or more (UTF-8) throw RangeError
//   "cannot buffer string" (xsmcToStringBuffer); NVS takes at most 15 bytes per domain or key;
// - set(): a domain NVS refuses throws "nvs_open fail"; a key it refuses, a string of 4000 bytes or
//   more (NVS counts the terminating zero) or a write that fails throws "nvs set fail";
//   a number that is not an int32 throws "float unsupported"; booleans (u8), int32, strings and
//   ArrayBuffers (blobs) only, anything else (typed arrays, objects, undefined) "unsupported type";
// - get(): a domain that cannot be opened answers undefined (it most likely does not exist yet);
//   a key NVS refuses throws "nvs get fail"; a missing key is undefined; blobs come back as ArrayBuffer;
// - delete(): a domain that cannot be opened is silently ignored, a refused key throws
//   "nvs erase fail", a missing key is fine;
// - keys(): [] when NVS finds nothing (also for a refused domain); never throws.
import { hostCall, toHex, fromHex, utf8Length } from "./runtime";

type Value = boolean | number | string | ArrayBuffer;

/** NVS_KEY_NAME_MAX_SIZE is 16 with the terminating zero. */
const NVS_NAME_MAX = 15;
/** NVS string values, terminating zero included, are at most 4000 bytes. */
const NVS_STRING_MAX = 4000;

/** xsmcToStringBuffer(value, buffer, 64) */
function buffered(name: unknown): string {
  const text = String(name);
  if (utf8Length(text) + 1 > 64) throw new RangeError("cannot buffer string");
  return text;
}

function nvsAccepts(name: string): boolean {
  const length = utf8Length(name);
  return length > 0 && length <= NVS_NAME_MAX;
}

function encode(value: unknown): unknown {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") {
    if ((value | 0) !== value) throw new Error("float unsupported"); // dbl != (int)dbl
    return value;
  }
  if (typeof value === "string") {
    if (utf8Length(value) + 1 > NVS_STRING_MAX) throw new Error("nvs set fail");
    return value;
  }
  if (value instanceof ArrayBuffer) return { hex: toHex(value) };
  throw new Error("unsupported type");
}

const Preference = {
  set(domain: string, key: string, value: Value): void {
    const d = String(domain);
    if (!nvsAccepts(d)) throw new Error("nvs_open fail");
    const k = buffered(key);
    const stored = encode(value);
    if (!nvsAccepts(k)) throw new Error("nvs set fail");
    hostCall("pref.set", d, k, stored);
  },
  get(domain: string, key: string): Value | undefined {
    const k = buffered(key);
    const d = String(domain);
    if (!nvsAccepts(d)) return undefined;
    if (!nvsAccepts(k)) throw new Error("nvs get fail");
    const value = hostCall<unknown>("pref.get", d, k);
    if (value && typeof value === "object" && "hex" in value) return fromHex((value as { hex: string }).hex);
    return (value ?? undefined) as Value | undefined;
  },
  delete(domain: string, key: string): void {
    const d = buffered(domain);
    const k = buffered(key);
    if (!nvsAccepts(d)) return;
    if (!nvsAccepts(k)) throw new Error("nvs erase fail");
    hostCall("pref.delete", d, k);
  },
  keys(domain: string): string[] {
    const d = String(domain);
    if (!nvsAccepts(d)) return [];
    return hostCall<string[]>("pref.keys", d) ?? [];
  },
};
export default Preference;
