// The one table of gateway settings: name, preference key, type, default, validation, secrecy and
// what a change needs. Pure logic (no platform imports): runs unchanged on XS and Node.
//
// Every value has three layers: the default below (mirrored in manifest.json "config"), the build's
// mc/config (manifest JSON type, or a string when given on the mcconfig command line) and the value
// stored in preference storage at run time. See config.ts for how they are combined.

import { parseMaintenanceList } from "../protocol/control";

export type LogLevelName = "error" | "warn" | "info" | "debug";
/** What the console over MQTT may do: nothing, read-only commands, or everything but secrets. */
export type RemoteConsole = "off" | "read" | "full";
export type BmsService = "ff00" | "fff0";
/** How the gateway's packs are wired, for the bank device (modules/bridge/bank.ts). */
export type BankSetting = "off" | "parallel" | "series";

/** How a BMS is found. */
export interface BmsEntry {
  /** "mac": connect to `mac` directly; "name": scan for a local name matching `pattern`; "scan": scan for the service. */
  readonly match: "mac" | "name" | "scan";
  /** 12 lowercase hex digits, as printed (most significant first), e.g. "a4c138112233". Only for "mac". */
  readonly mac?: string;
  /** Glob ("*" any run, "?" one character), compared case-insensitively. Only for "name". */
  readonly pattern?: string;
  /** Friendly name; when set it is the BMS id in MQTT topics instead of the MAC. */
  readonly name?: string;
  /** GATT service: "ff00" (FF01 notify / FF02 write) or the "fff0" variant (FFF1 / FFF2). */
  readonly service: BmsService;
}

export interface ConfigValues {
  ssid: string;
  password: string;
  mqttHost: string;
  mqttPort: number;
  mqttUser: string;
  mqttPassword: string;
  mqttTls: boolean;
  mqttTlsVerify: boolean;
  topicPrefix: string;
  gatewayName: string;
  bms: readonly BmsEntry[];
  pollInterval: number;
  mosControl: boolean;
  /** Writing the BMS's protection and capacity settings (EEPROM) is allowed; set on the serial console only. */
  settingsWrite: boolean;
  /** The maintenance functions (0x0A) allowed, canonical comma list ("capacity,protection"); "" none. */
  maintenance: string;
  /** The packs as one bank (a device with their totals): off, parallel or series. */
  bank: BankSetting;
  haDiscovery: boolean;
  haPrefix: string;
  logLevel: LogLevelName;
  remoteConsole: RemoteConsole;
  /** Per BMS of the `bms` list, by position: the BLE module's FF AA user password, the BMS PIN. */
  bms1Password: string;
  bms2Password: string;
  bms3Password: string;
  bms1Pin: string;
  bms2Pin: string;
  bms3Pin: string;
  /** Per BMS: the six-digit PIN its BLE module pairs with (passkey pairing, the newest modules). */
  bms1Passkey: string;
  bms2Passkey: string;
  bms3Passkey: string;
  /** The FF AA modules' root password for factory-mode writes (empty: the vendor's). */
  bmsRootPassword: string;
}

export type ConfigKey = keyof ConfigValues;

/** What has to happen for a changed value to take effect. */
export type Effect = "live" | "wifi" | "mqtt" | "restart";

export type ParseResult<T> = { readonly value: T; readonly error?: undefined } | { readonly value?: undefined; readonly error: string };

/** How a value is kept in preference storage (NVS: int32, boolean, string). */
export type StoredKind = "string" | "int" | "bool";

export interface Setting<K extends ConfigKey = ConfigKey> {
  readonly key: K;
  /** Preference key, at most 15 characters (NVS). */
  readonly pref: string;
  readonly kind: StoredKind;
  /** Short type description for help and messages. */
  readonly type: string;
  readonly defaultValue: ConfigValues[K];
  readonly secret: boolean;
  readonly effect: Effect;
  readonly summary: string;
  /** Text (console, mcconfig command line) to value. */
  parse(text: string): ParseResult<ConfigValues[K]>;
  /** Value to its canonical text (what parse() accepts back). */
  format(value: ConfigValues[K]): string;
}

export const MAX_BMS = 3;
export const PREFERENCE_DOMAIN = "jbd";
export const LOG_LEVELS: readonly LogLevelName[] = Object.freeze(["error", "warn", "info", "debug"] as const);

// ----- helpers -----------------------------------------------------------------------------------

/** Parsing and formatting of one value type. */
export interface ValueCodec<T> {
  readonly kind: StoredKind;
  readonly type: string;
  parse(text: string): ParseResult<T>;
  format(value: T): string;
}

function ok<T>(value: T): ParseResult<T> { return { value }; }
function fail<T>(error: string): ParseResult<T> { return { error }; }

/** Bytes of the UTF-8 encoding (XS strings index by code point, Node by UTF-16 unit: works on both). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp < 0x80) n += 1;
    else if (cp < 0x800) n += 2;
    else if (cp < 0x10000) n += 3;
    else {
      n += 4;
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++; // UTF-16 engines: skip the low surrogate
    }
  }
  return n;
}

function quote(text: string): string {
  return "'" + (text.length > 40 ? text.slice(0, 40) + "…" : text) + "'";
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function stringSetting(min: number, max: number, secret: boolean): ValueCodec<string> {
  return {
    kind: "string",
    type: min ? `text, ${min}..${max} bytes` : `text, up to ${max} bytes`,
    parse(text: string): ParseResult<string> {
      const n = utf8Length(text);
      const got = secret ? "" : ", got " + quote(text);
      if (n < min || n > max) return fail(min ? `must be ${min}..${max} bytes${got}` : `must be at most ${max} bytes${got}`);
      if (hasControl(text)) return fail("must not contain control characters");
      return ok(text);
    },
    format(value: string): string { return value; },
  };
}

/** Empty, or exactly six characters of `allowed` (`what` names them in the error; the value is never echoed). */
function modulePasswordSetting(): ValueCodec<string> { return codeSetting(/^[0-9A-Za-z]{6}$/, "letters or digits"); }

function codeSetting(allowed: RegExp, what: string): ValueCodec<string> {
  return {
    kind: "string",
    type: `six ${what}, or empty`,
    parse(text: string): ParseResult<string> {
      if (text === "" || allowed.test(text)) return ok(text);
      return fail(`must be six ${what} (or empty to clear it)`);
    },
    format(value: string): string { return value; },
  };
}

function intSetting(min: number, max: number): ValueCodec<number> {
  return {
    kind: "int",
    type: `integer ${min}..${max}`,
    parse(text: string): ParseResult<number> {
      const t = text.trim();
      let v = NaN;
      if (/^[+-]?\d{1,10}$/.test(t)) v = Number(t);
      if (!Number.isInteger(v) || v < min || v > max) return fail(`must be an integer ${min}..${max}, got ${quote(text)}`);
      return ok(v);
    },
    format(value: number): string { return String(value); },
  };
}

const TRUE_WORDS = Object.freeze(["1", "true", "on", "yes", "enable", "enabled"]);
const FALSE_WORDS = Object.freeze(["0", "false", "off", "no", "disable", "disabled"]);

function boolSetting(): ValueCodec<boolean> {
  return {
    kind: "bool",
    type: "on/off",
    parse(text: string): ParseResult<boolean> {
      const t = text.trim().toLowerCase();
      if (TRUE_WORDS.includes(t)) return ok(true);
      if (FALSE_WORDS.includes(t)) return ok(false);
      return fail(`must be on or off (true/false, 1/0), got ${quote(text)}`);
    },
    format(value: boolean): string { return value ? "on" : "off"; },
  };
}

function isTopicChar(c: number): boolean {
  // letters, digits, - _ . (no wildcards, no spaces, no '/' inside a level)
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e;
}

/** A topic level or id: 1..max of [A-Za-z0-9._-]. */
export function isTopicId(text: string, max = 32): boolean {
  if (!text.length || text.length > max) return false;
  for (let i = 0; i < text.length; i++) if (!isTopicChar(text.charCodeAt(i))) return false;
  return true;
}

function topicPrefixSetting(): ValueCodec<string> {
  return {
    kind: "string",
    type: "topic prefix",
    parse(text: string): ParseResult<string> {
      const t = text.trim();
      const levels = t.split("/");
      const good = t.length > 0 && t.length <= 64 && levels.every((level) => isTopicId(level, 64));
      if (!good) return fail(`must be 1..64 characters of letters, digits, '-', '_', '.' in '/'-separated levels (no wildcards, no leading or trailing '/'), got ${quote(text)}`);
      return ok(t);
    },
    format(value: string): string { return value; },
  };
}

// ----- host names --------------------------------------------------------------------------------

function hostSetting(): ValueCodec<string> {
  return {
    kind: "string",
    type: "host name or IP address (empty: MQTT off)",
    parse(text: string): ParseResult<string> {
      const t = text.trim();
      if (t !== "" && (t.length > 253 || !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(t)))
        return fail(`must be a host name or IPv4 address (letters, digits, '.', '-'), got ${quote(text)}`);
      return ok(t);
    },
    format(value: string): string { return value; },
  };
}

// ----- gateway name ------------------------------------------------------------------------------

/** "jbd-gw-" + the last three MAC bytes in lowercase hex, e.g. "jbd-gw-a1b2c3"; "jbd-gw" without a MAC. */
export function deriveGatewayName(mac: string | undefined): string {
  if (!mac) return "jbd-gw";
  const hex = mac.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
  return hex.length >= 6 ? "jbd-gw-" + hex.slice(-6) : "jbd-gw";
}

function gatewayNameSetting(): ValueCodec<string> {
  return {
    kind: "string",
    type: "id (empty: derived from the MAC)",
    parse(text: string): ParseResult<string> {
      const t = text.trim();
      if (t !== "" && !isTopicId(t, 32)) return fail(`must be 1..32 characters of letters, digits, '-', '_', '.', got ${quote(text)}`);
      return ok(t);
    },
    format(value: string): string { return value; },
  };
}

// ----- log level ---------------------------------------------------------------------------------

/** One of a few words, any case. */
function choiceSetting<T extends string>(choices: readonly T[]): ValueCodec<T> {
  return {
    kind: "string",
    type: choices.join("/"),
    parse(text: string): ParseResult<T> {
      const t = text.trim().toLowerCase();
      for (const choice of choices) if (choice === t) return ok(choice);
      return fail(`must be one of ${choices.join(", ")}, got ${quote(text)}`);
    },
    format(value: T): string { return value; },
  };
}

function maintenanceSetting(): ValueCodec<string> {
  return {
    kind: "string",
    type: "list",
    parse(text: string): ParseResult<string> {
      const parsed = parseMaintenanceList(text);
      return "error" in parsed ? fail(parsed.error) : ok(parsed.value);
    },
    format(value: string): string { return value; },
  };
}

function logLevelSetting(): ValueCodec<LogLevelName> {
  return {
    kind: "string",
    type: "error|warn|info|debug",
    parse(text: string): ParseResult<LogLevelName> {
      const t = text.trim().toLowerCase();
      if ((LOG_LEVELS as readonly string[]).includes(t)) return ok(t as LogLevelName);
      return fail(`must be one of error, warn, info, debug, got ${quote(text)}`);
    },
    format(value: LogLevelName): string { return value; },
  };
}

// ----- BMS list ----------------------------------------------------------------------------------
//
// Text form: entries separated by ';', each  <match>[@ff00|@fff0][=<name>]
//   <match>  a MAC "a4:c1:38:11:22:33" (or "-" separated, or 12 hex digits): connect directly;
//            "*" or nothing: scan for the BMS service;
//            anything else: a glob on the advertised name ("JBD-*", "xiaoxiang?").
//   @fff0    the FFF0/FFF1/FFF2 variant (default ff00).
//   =<name>  friendly name, used as the BMS id in topics: 1..24 of [A-Za-z0-9._-].
// Examples: "*" (default: the first BMS found by scanning), "a4:c1:38:11:22:33=house;JBD-SP04*@fff0=shed".

/** "A4:C1:38:11:22:33", "a4-c1-...", "A4C138112233" → "a4c138112233"; undefined if not a MAC. */
export function normalizeMac(text: string): string | undefined {
  // (regex literals stay inside functions: module-level objects of preloaded modules live in flash)
  const m = /^([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})$/.exec(text.trim());
  if (!m) return undefined;
  return (m[1] + m[2] + m[3] + m[4] + m[5] + m[6]).toLowerCase();
}

/** "a4c138112233" → "a4:c1:38:11:22:33". */
export function formatMac(hex: string): string {
  let s = "";
  for (let i = 0; i < hex.length; i += 2) s += (i ? ":" : "") + hex.slice(i, i + 2);
  return s;
}

/** Case-insensitive glob: '*' any run (also empty), '?' exactly one character. */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase(), t = text.toLowerCase();
  let pi = 0, ti = 0, star = -1, mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === "?" || p[pi] === t[ti])) { pi++; ti++; }
    else if (pi < p.length && p[pi] === "*") { star = pi++; mark = ti; }
    else if (star >= 0) { pi = star + 1; ti = ++mark; }
    else return false;
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

export function parseBmsEntry(text: string): ParseResult<BmsEntry> {
  let rest = text.trim();
  let name: string | undefined;
  const eq = rest.indexOf("=");
  if (eq >= 0) {
    name = rest.slice(eq + 1).trim();
    rest = rest.slice(0, eq).trim();
    if (!isTopicId(name, 24)) return fail(`BMS name must be 1..24 characters of letters, digits, '-', '_', '.', got ${quote(name)}`);
  }
  let service: BmsService = "ff00";
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const s = rest.slice(at + 1).trim().toLowerCase();
    if (s !== "ff00" && s !== "fff0") return fail(`BMS service must be @ff00 or @fff0, got ${quote("@" + s)}`);
    service = s;
    rest = rest.slice(0, at).trim();
  }
  if (rest === "" || rest === "*") return ok(name ? { match: "scan", name, service } : { match: "scan", service });
  const mac = normalizeMac(rest);
  if (mac) return ok(name ? { match: "mac", mac, name, service } : { match: "mac", mac, service });
  if (rest.length > 29 || hasControl(rest) || rest.includes(";"))
    return fail(`BMS name pattern must be at most 29 characters (the longest advertised name), got ${quote(rest)}`);
  return ok(name ? { match: "name", pattern: rest, name, service } : { match: "name", pattern: rest, service });
}

export function formatBmsEntry(entry: BmsEntry): string {
  let s = entry.match === "mac" ? formatMac(entry.mac!) : entry.match === "name" ? entry.pattern! : "*";
  if (entry.service !== "ff00") s += "@" + entry.service;
  if (entry.name) s += "=" + entry.name;
  return s;
}

/** The id a BMS gets in topics: its friendly name, else its MAC hex (undefined until a scan found it). */
export function bmsId(entry: BmsEntry, foundMac?: string): string | undefined {
  return entry.name ?? entry.mac ?? foundMac;
}

function bmsListSetting(): ValueCodec<readonly BmsEntry[]> {
  return {
    kind: "string",
    type: `BMS list (up to ${MAX_BMS}, ';'-separated  <mac|pattern|*>[@fff0][=name])`,
    parse(text: string): ParseResult<readonly BmsEntry[]> {
      const parts = text.split(";");
      const list: BmsEntry[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (parts[i].trim() === "" && parts.length > 1) continue; // stray separators
        const r = parseBmsEntry(parts[i]);
        if (r.error !== undefined) return fail(`entry ${list.length + 1}: ${r.error}`);
        list.push(r.value);
      }
      if (!list.length) list.push({ match: "scan", service: "ff00" });
      if (list.length > MAX_BMS) return fail(`at most ${MAX_BMS} BMS (BLE connection slots), got ${list.length}`);
      for (let i = 0; i < list.length; i++) {
        for (let j = 0; j < i; j++) {
          const a = list[i], b = list[j];
          if (a.mac && a.mac === b.mac) return fail(`MAC ${formatMac(a.mac)} is listed twice`);
          if (a.name && a.name === b.name) return fail(`name '${a.name}' is used twice (names are topic ids)`);
          if (a.name && (a.name === b.mac || a.mac === b.name)) return fail(`name '${a.name}' collides with a MAC id`);
        }
      }
      return ok(Object.freeze(list.map((e) => Object.freeze(e))) as readonly BmsEntry[]);
    },
    format(value: readonly BmsEntry[]): string {
      return (value as readonly BmsEntry[]).map(formatBmsEntry).join(";");
    },
  };
}

// ----- the table ---------------------------------------------------------------------------------

function setting<K extends ConfigKey>(
  key: K, pref: string, defaultValue: ConfigValues[K], effect: Effect, summary: string,
  impl: ValueCodec<ConfigValues[K]>, secret = false,
): Setting<K> {
  return Object.freeze({ key, pref, defaultValue, effect, summary, secret, kind: impl.kind, type: impl.type, parse: impl.parse, format: impl.format });
}

const SCAN_ANY: readonly BmsEntry[] = Object.freeze([Object.freeze({ match: "scan" as const, service: "ff00" as const })]);

export const SETTINGS: readonly Setting[] = Object.freeze([
  setting("ssid", "ssid", "", "wifi", "Wi-Fi network name (empty: Wi-Fi off)", stringSetting(0, 32, false)),
  setting("password", "wifiPass", "", "wifi", "Wi-Fi password", stringSetting(0, 64, true), true),
  setting("mqttHost", "mqttHost", "", "mqtt", "MQTT broker host (empty: MQTT off)", hostSetting()),
  setting("mqttPort", "mqttPort", 1883, "mqtt", "MQTT broker port (8883 for TLS)", intSetting(1, 65535)),
  setting("mqttUser", "mqttUser", "", "mqtt", "MQTT user name (empty: none)", stringSetting(0, 64, false)),
  setting("mqttPassword", "mqttPass", "", "mqtt", "MQTT password", stringSetting(0, 128, true), true),
  setting("mqttTls", "mqttTls", false, "mqtt", "MQTT over TLS", boolSetting()),
  setting("mqttTlsVerify", "mqttTlsVerify", true, "mqtt", "check the TLS broker's certificate against the CA ('tls'); off: encrypted but unauthenticated", boolSetting()),
  setting("topicPrefix", "topicPrefix", "jbd", "mqtt", "first level(s) of every topic", topicPrefixSetting()),
  setting("gatewayName", "gatewayName", "", "mqtt", "gateway id in topics (empty: jbd-gw-<last 3 MAC bytes>)", gatewayNameSetting()),
  setting("bms", "bms", SCAN_ANY, "restart", "which BMS to connect", bmsListSetting()),
  setting("pollInterval", "pollInterval", 5, "live", "seconds between reads", intSetting(1, 3600)),
  setting("mosControl", "mosControl", true, "live", "accept charge/discharge MOS commands", boolSetting()),
  setting("maintenance", "maintenance", "", "live", "maintenance functions the console, MQTT and Home Assistant buttons may run: capacity, protection, counters, all or none (set on the serial console only)", maintenanceSetting()),
  setting("settingsWrite", "settingsWrite", false, "live", "allow writing the BMS's protection and capacity settings (set on the serial console only)", boolSetting()),
  setting("bank", "bank", "off", "mqtt", "the BMS as one bank (a device with their totals): off, parallel or series (two or more BMS)",
    choiceSetting<BankSetting>(Object.freeze(["off", "parallel", "series"] as const))),
  setting("haDiscovery", "haDiscovery", true, "mqtt", "publish Home Assistant discovery", boolSetting()),
  setting("haPrefix", "haPrefix", "homeassistant", "mqtt", "Home Assistant discovery prefix", topicPrefixSetting()),
  setting("logLevel", "logLevel", "info", "live", "console/trace log level", logLevelSetting()),
  setting("remoteConsole", "remoteConsole", "read", "live", "the console over MQTT: off, read (read-only commands) or full (all but secrets); set on the serial console only",
    choiceSetting<RemoteConsole>(Object.freeze(["off", "read", "full"] as const))),
  ...[1, 2, 3].map((n) => setting(`bms${n}Password` as "bms1Password", `bms${n}Pass`, "", "live",
    `BMS ${n}: its BLE module's login password (FF AA modules; empty: try the factory defaults once)`, modulePasswordSetting(), true)),
  ...[1, 2, 3].map((n) => setting(`bms${n}Pin` as "bms1Pin", `bms${n}Pin`, "", "live",
    `BMS ${n}: its BMS password (PIN; firmware 0x16-0x20), sent on every connect`, codeSetting(/^[0-9]{6}$/, "digits"), true)),
  ...[1, 2, 3].map((n) => setting(`bms${n}Passkey` as "bms1Passkey", `bms${n}Passkey`, "", "live",
    `BMS ${n}: the PIN its BLE module pairs with (modules that echo every request until paired; empty: no pairing)`, codeSetting(/^[0-9]{6}$/, "digits"), true)),
  setting("bmsRootPassword", "bmsRootPass", "", "live", "FF AA modules' root password for MOS writes (empty: the vendor's)", stringSetting(0, 32, true), true),
] as Setting[]);

/** The setting names of each BMS's passwords, by its position in the `bms` list (a frozen table: flash on a device). */
const SECRET_KEYS: readonly BmsSecretKeys[] = Object.freeze([1, 2, 3].map((n) => Object.freeze({
  modulePassword: `bms${n}Password` as ConfigKey, bmsPin: `bms${n}Pin` as ConfigKey, passkey: `bms${n}Passkey` as ConfigKey,
})));

export interface BmsSecretKeys { readonly modulePassword: ConfigKey; readonly bmsPin: ConfigKey; readonly passkey: ConfigKey }

/** The setting names of BMS `index`'s (0-based, in the `bms` list) passwords. */
export function bmsSecretKeys(index: number): BmsSecretKeys {
  return SECRET_KEYS[index];
}

/** Setting by key, case-insensitive, also by its preference name. */
export function findSetting(name: string): Setting | undefined {
  const n = name.trim().toLowerCase();
  for (let i = 0; i < SETTINGS.length; i++) {
    const s = SETTINGS[i];
    if (s.key.toLowerCase() === n || s.pref.toLowerCase() === n) return s;
  }
  return undefined;
}

/** Reveals nothing about a secret but whether it is set. */
export const MASK = "****";

export function displayValue(s: Setting, value: unknown): string {
  const text = (s.format as (v: unknown) => string)(value);
  if (s.secret) return text === "" ? "(not set)" : MASK;
  return text === "" ? "(empty)" : text;
}
