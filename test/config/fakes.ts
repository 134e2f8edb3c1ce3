// A fake preference store of one domain with the ESP32 NVS rules (modPreference.c) that matter to
// the config module: keys of at most 15 bytes ("nvs set fail" / "nvs get fail" / "nvs erase fail"
// otherwise), int32 only ("float unsupported"), strings under 4000 bytes, keys() never throws.
import type { PreferenceStore, StoredValue } from "../../modules/config/config";

const bytes = (text: string) => new TextEncoder().encode(text).length;

export class FakeStore implements PreferenceStore {
  readonly data = new Map<string, StoredValue>();
  writes = 0;
  failWrites = false;
  /** NVS read errors (get() throws "nvs get fail"). */
  failReads = false;

  get(key: string): StoredValue | undefined {
    if (!this.#fits(key) || this.failReads) throw new Error("nvs get fail");
    return this.data.get(key);
  }
  set(key: string, value: StoredValue): void {
    if (typeof value === "number" && (value | 0) !== value) throw new Error("float unsupported");
    if (!this.#fits(key) || this.failWrites) throw new Error("nvs set fail");
    if (typeof value === "string" && bytes(value) + 1 > 4000) throw new Error("nvs set fail");
    this.writes++;
    this.data.set(key, value);
  }
  delete(key: string): void { if (!this.#fits(key)) throw new Error("nvs erase fail"); this.writes++; this.data.delete(key); }
  keys(): string[] { return [...this.data.keys()]; }
  #fits(key: string): boolean { return bytes(key) > 0 && bytes(key) <= 15; }
}
