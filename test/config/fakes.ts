// A fake preference store with the ESP32 NVS rules that matter to the config module.
import type { PreferenceStore, StoredValue } from "../../modules/config/config";

export class FakeStore implements PreferenceStore {
  readonly data = new Map<string, StoredValue>();
  writes = 0;
  failWrites = false;
  failKeys = false;

  get(key: string): StoredValue | undefined { this.#check(key); return this.data.get(key); }
  set(key: string, value: StoredValue): void {
    this.#check(key);
    if (this.failWrites) throw new Error("nvs set fail");
    if (typeof value === "number" && !Number.isInteger(value)) throw new Error("float unsupported");
    if (typeof value === "string" && value.length > 4000) throw new Error("nvs set fail");
    this.writes++;
    this.data.set(key, typeof value === "number" ? value | 0 : value);
  }
  delete(key: string): void { this.#check(key); this.writes++; this.data.delete(key); }
  keys(): string[] { if (this.failKeys) throw new Error("nvs_open fail"); return [...this.data.keys()]; }
  #check(key: string): void { if (!key || key.length > 15) throw new Error("nvs_open fail"); }
}
