// Gateway configuration: defaults ← build (mc/config) ← stored preferences, validated by the one table
// in schema.ts. Pure logic: the preference store and the build config come in through ConfigSource
// (platform.ts builds it from "preference" and "mc/config"; tests pass fakes).
//
// Never bricks: a bad build or stored value is ignored with a warning and the layer below is used.
// Secrets (Wi-Fi and MQTT passwords) never appear in messages, warnings or describe().

import {
  SETTINGS, findSetting, displayValue, deriveGatewayName,
  type ConfigKey, type ConfigValues, type Effect, type ParseResult, type Setting,
} from "./schema";

export type StoredValue = boolean | number | string | ArrayBuffer;

/** Preference storage of one domain (keys ≤ 15 characters). Methods may throw (NVS errors). */
export interface PreferenceStore {
  get(key: string): StoredValue | undefined;
  set(key: string, value: StoredValue): void;
  delete(key: string): void;
  keys(): string[];
}

export interface ConfigSource {
  store: PreferenceStore;
  /** The build's mc/config object. */
  build: Readonly<Record<string, unknown>>;
  /** Wi-Fi MAC ("aa:bb:cc:dd:ee:ff"), for the derived gateway name (or useDeviceId() later). */
  mac?: string;
}

export type Source = "default" | "build" | "stored";

export interface DescribeRow {
  readonly key: ConfigKey;
  /** Display text; secrets are "****" (or "(not set)"). */
  readonly value: string;
  readonly source: Source;
  readonly secret: boolean;
  readonly effect: Effect;
  readonly summary: string;
  readonly type: string;
}

export type SetResult =
  | { readonly ok: true; readonly key: ConfigKey; readonly changed: boolean; readonly effect: Effect; readonly message: string }
  | { readonly ok: false; readonly message: string };

export type ChangeListener = (key: ConfigKey, effect: Effect) => void;

const EFFECT_TEXT: Record<Effect, string> = Object.freeze({
  live: "applied now",
  wifi: "Wi-Fi reconnects",
  mqtt: "MQTT reconnects",
  restart: "takes effect after reboot",
});

export function effectText(effect: Effect): string { return EFFECT_TEXT[effect]; }

/** Value of the build layer (manifest JSON type, or a string from the mcconfig command line). */
function fromBuild(s: Setting, raw: unknown): ParseResult<unknown> {
  if (typeof raw === "string") return s.parse(raw);
  if (s.kind === "int" && typeof raw === "number") return s.parse(String(raw));
  if (s.kind === "bool" && typeof raw === "boolean") return { value: raw };
  return { error: `expected ${s.type}, got a ${typeof raw}` };
}

/** Value of the stored layer (kept in its NVS type: int32, boolean, string). */
function fromStored(s: Setting, raw: StoredValue): ParseResult<unknown> {
  if (s.kind === "int") {
    if (typeof raw !== "number") return { error: `stored as a ${typeof raw}, expected an integer` };
    return s.parse(String(raw));
  }
  if (s.kind === "bool") {
    if (typeof raw !== "boolean") return { error: `stored as a ${typeof raw}, expected a boolean` };
    return { value: raw };
  }
  if (typeof raw !== "string") return { error: `stored as a ${raw instanceof ArrayBuffer ? "buffer" : typeof raw}, expected text` };
  return s.parse(raw);
}

function toStored(s: Setting, value: unknown): StoredValue {
  if (s.kind === "int" || s.kind === "bool") return value as number | boolean;
  return (s.format as (v: unknown) => string)(value);
}

function same(s: Setting, a: unknown, b: unknown): boolean {
  return a === b || (s.format as (v: unknown) => string)(a) === (s.format as (v: unknown) => string)(b);
}

export class Config {
  readonly #source: ConfigSource;
  readonly #values = {} as ConfigValues;
  readonly #sources = {} as Record<ConfigKey, Source>;
  readonly #listeners: ChangeListener[] = [];
  /** Warnings from loading (bad build or stored values), in order. */
  readonly warnings: string[] = [];
  #onWarning?: (message: string) => void;
  #mac: string | undefined;

  constructor(source: ConfigSource, onWarning?: (message: string) => void) {
    this.#source = source;
    this.#onWarning = onWarning;
    this.#mac = source.mac;
    this.load();
  }

  /** (Re)load every setting: defaults ← build ← stored. Bad layers are skipped with a warning. */
  load(): void {
    this.warnings.length = 0;
    let storedKeys: string[] = [];
    try {
      storedKeys = this.#source.store.keys();
    } catch (e) {
      this.warn("config: preference storage unreadable, using build values (" + errorMessage(e) + ")");
    }
    for (let i = 0; i < SETTINGS.length; i++) {
      const s = SETTINGS[i];
      let { value, source, error } = this.baseValue(s);
      if (error) this.warn(`config: build value of ${s.key} ignored: ${error}; using the default`);
      if (storedKeys.includes(s.pref)) {
        let raw: StoredValue | undefined;
        try {
          raw = this.#source.store.get(s.pref);
        } catch (e) {
          this.warn(`config: stored ${s.key} unreadable (${errorMessage(e)}); using the ${source} value`);
        }
        if (raw !== undefined) {
          const r = fromStored(s, raw);
          if (r.error === undefined) { value = r.value; source = "stored"; }
          else this.warn(`config: stored ${s.key} ignored: ${r.error}; using the ${source} value`);
        }
      }
      (this.#values as unknown as Record<string, unknown>)[s.key] = value;
      this.#sources[s.key] = source;
    }
    for (let i = 0; i < storedKeys.length; i++) {
      const k = storedKeys[i];
      if (!SETTINGS.some((s) => s.pref === k)) this.warn(`config: unknown stored key '${k}' ignored`);
    }
  }

  get<K extends ConfigKey>(key: K): ConfigValues[K] {
    return this.#values[key];
  }

  /** A frozen snapshot of every value. */
  values(): Readonly<ConfigValues> {
    return Object.freeze({ ...this.#values });
  }

  sourceOf(key: ConfigKey): Source { return this.#sources[key]; }

  /** The configured gateway name, or the one derived from the device id when none is set. */
  gatewayName(): string {
    return this.#values.gatewayName || deriveGatewayName(this.#mac);
  }

  /** The device id (six hex digits, see device-id.ts) the default gateway name is made from. */
  useDeviceId(suffix: string): void { this.#mac = suffix; }

  /** Validate `text`, store it and apply it in memory. Writes flash only when the value changes. */
  set(name: string, text: string): SetResult {
    const s = findSetting(name);
    if (!s) return { ok: false, message: `unknown setting '${name}' (see 'config')` };
    const r = s.parse(text);
    if (r.error !== undefined) return { ok: false, message: `${s.key}: ${r.error}` };
    const current = this.#values[s.key];
    if (same(s, current, r.value) && this.#sources[s.key] === "stored")
      return { ok: true, key: s.key, changed: false, effect: s.effect, message: `${s.key} unchanged` };
    try {
      this.#source.store.set(s.pref, toStored(s, r.value));
    } catch (e) {
      return { ok: false, message: `${s.key}: could not store (${errorMessage(e)}); value not changed` };
    }
    const changed = !same(s, current, r.value);
    (this.#values as unknown as Record<string, unknown>)[s.key] = r.value;
    this.#sources[s.key] = "stored";
    let message = `${s.key} = ${displayValue(s, r.value)} (stored${changed ? "; " + EFFECT_TEXT[s.effect] : ""})`;
    if (s.key === "mqttTls" && r.value === true && this.#values.mqttPort === 1883) message += "; note: TLS brokers usually listen on 8883";
    if (s.key === "mqttPort" && r.value === 8883 && !this.#values.mqttTls) message += "; note: 8883 is usually TLS (config set mqttTls on)";
    if (changed) this.notify(s.key, s.effect);
    return { ok: true, key: s.key, changed, effect: s.effect, message };
  }

  /**
   * Delete stored values (all, or one setting) and fall back to the build/default values.
   * Returns the settings whose value changed, with what they need.
   */
  reset(name?: string): SetResult[] {
    const list: Setting[] = [];
    if (name !== undefined) {
      const s = findSetting(name);
      if (!s) return [{ ok: false, message: `unknown setting '${name}' (see 'config')` }];
      list.push(s);
    } else {
      list.push(...SETTINGS);
    }
    const results: SetResult[] = [];
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (this.#sources[s.key] !== "stored") continue;
      try {
        this.#source.store.delete(s.pref);
      } catch (e) {
        results.push({ ok: false, message: `${s.key}: could not delete (${errorMessage(e)})` });
        continue;
      }
      const before = this.#values[s.key];
      const { value, source } = this.baseValue(s);
      (this.#values as unknown as Record<string, unknown>)[s.key] = value;
      this.#sources[s.key] = source;
      const changed = !same(s, before, value);
      results.push({
        ok: true, key: s.key, changed, effect: s.effect,
        message: `${s.key} = ${displayValue(s, value)} (${source}${changed ? "; " + EFFECT_TEXT[s.effect] : ""})`,
      });
      if (changed) this.notify(s.key, s.effect);
    }
    // keys this firmware does not know (older versions) go too on a full reset
    if (name === undefined) {
      try {
        const keys = this.#source.store.keys();
        for (let i = 0; i < keys.length; i++) this.#source.store.delete(keys[i]);
      } catch {
        // best effort
      }
    }
    return results;
  }

  /** Every setting with its display value (secrets masked) and where the value came from. */
  describe(): DescribeRow[] {
    const rows: DescribeRow[] = [];
    for (let i = 0; i < SETTINGS.length; i++) {
      const s = SETTINGS[i];
      let value = displayValue(s, this.#values[s.key]);
      if (s.key === "gatewayName" && !this.#values.gatewayName) value = this.gatewayName() + " (derived)";
      rows.push({ key: s.key, value, source: this.#sources[s.key], secret: s.secret, effect: s.effect, summary: s.summary, type: s.type });
    }
    return rows;
  }

  /** Display text of one setting (secrets masked), or undefined for an unknown name. */
  display(name: string): string | undefined {
    const s = findSetting(name);
    if (!s) return undefined;
    if (s.key === "gatewayName" && !this.#values.gatewayName) return this.gatewayName() + " (derived)";
    return displayValue(s, this.#values[s.key]);
  }

  /** Called after a value changed through set() or reset(). */
  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  private notify(key: ConfigKey, effect: Effect): void {
    for (let i = 0; i < this.#listeners.length; i++) {
      try {
        this.#listeners[i](key, effect);
      } catch (e) {
        this.warn(`config: change listener failed for ${key}: ${errorMessage(e)}`);
      }
    }
  }

  /** The value a setting has without a stored one: the build's (if valid), else the default. */
  private baseValue(s: Setting): { value: unknown; source: Source; error?: string } {
    const built = this.#source.build[s.key];
    if (built === undefined) return { value: s.defaultValue, source: "default" };
    const r = fromBuild(s, built);
    return r.error === undefined ? { value: r.value, source: "build" } : { value: s.defaultValue, source: "default", error: r.error };
  }

  private warn(message: string): void {
    this.warnings.push(message);
    if (this.#onWarning) {
      try { this.#onWarning(message); } catch { /* never let logging break loading */ }
    }
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
