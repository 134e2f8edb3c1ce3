// What Home Assistant shows for a BMS and for the gateway: one entry per entity, with the value
// template into our JSON payloads (keys of modules/protocol/json.ts, plus state-json.ts).
//
// Entities are addressed by a fixed index over every entity a BMS could have (all fixed entities,
// MAX_NTC temperatures, MAX_CELLS cells), so discovery goes through them one at a time without
// building a list, and can remove (empty retained config) those the current pack does not have.
import { MAX_NTC, PROTECTION_NAMES } from "../protocol/basic-info";
import { PROTECTION_LABELS } from "../protocol/problem-text";
import { MAX_CELLS } from "../protocol/cells";
import type { Fet } from "../link/bms-view";
import { allowedMaintenance, type MaintenanceName } from "../protocol/control";
import { SETTINGS_ENTITY_COUNT, settingsEntity } from "./settings-entities";

export type Component = "sensor" | "binary_sensor" | "switch" | "button" | "number" | "select";
/**
 * Which payload the entity reads: the BMS's state, diag or availability, or the gateway's diag or
 * availability; "none" for buttons, which read nothing.
 */
export type Source = "state" | "diag" | "availability" | "gatewayDiag" | "gatewayAvailability" | "settings" | "none";
/** Fixed entities that only some packs or settings have. */
export type When = "extended" | "control" | "noControl";

export interface Entity {
  readonly component: Component;
  /** Object id, unique within its device: the last part of unique_id and of the discovery topic. */
  readonly object: string;
  readonly name: string;
  readonly source: Source;
  readonly template?: string;
  readonly unit?: string;
  readonly deviceClass?: string;
  readonly stateClass?: "measurement" | "total_increasing";
  readonly precision?: number;
  readonly icon?: string;
  readonly diagnostic?: boolean;
  /** entity_category config: a control that changes how the gateway or BMS behaves, not a reading. */
  readonly config?: boolean;
  /** json_attributes_template over the same payload. */
  readonly attributes?: string;
  /** Switches: MOS commands go to <prefix>/<bms>/mos/<fet>/set. */
  readonly fet?: Fet;
  /** Buttons: what a press publishes on <prefix>/<bms>/release/set. */
  readonly releasePayload?: string;
  /** Maintenance buttons: the function a press asks for on <prefix>/<bms>/maintenance/set (shown only while allowed). */
  readonly maintenance?: MaintenanceName;
  /** Available while the gateway is, whatever the BMS's own availability says (the link's release controls). */
  readonly gatewayAvailable?: boolean;
  readonly when?: When;
  /** Settings (settings-entities.ts): numbers and selects send {"<setting>": value} to <prefix>/<bms>/settings/set. */
  readonly setting?: string;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
  readonly options?: readonly string[];
  /** A button that asks for a settings read (<prefix>/<bms>/settings/read). */
  readonly settingsRead?: boolean;
}

/** What decides which entities a BMS has. */
export interface Shape {
  cells: number;
  temperatures: number;
  extended: boolean;
  control: boolean;
  /** Settings entities: 0 none (not read yet), 1 read-only sensors, 2 numbers and selects (settingsWrite on). */
  settings?: number;
  /** The maintenance functions allowed (the `maintenance` setting: "capacity,protection"; "" none): each gets a button. */
  maintenance?: string;
}

/** A table of entities frozen through (a preloaded module's frozen objects stay in flash and take no alias: xsl warned "not frozen"). */
export function frozen(entities: Entity[]): readonly Entity[] {
  for (let i = 0; i < entities.length; i++) Object.freeze(entities[i]);
  return Object.freeze(entities);
}

const onIf = (condition: string) => "{{'ON' if " + condition + " else 'OFF'}}";
const value = (path: string) => "{{value_json." + path + "}}";

const V = Object.freeze({ unit: "V", deviceClass: "voltage", stateClass: "measurement" } as const);
const A = Object.freeze({ unit: "A", deviceClass: "current", stateClass: "measurement" } as const);
const AH = Object.freeze({ unit: "Ah", stateClass: "measurement", icon: "mdi:battery-50" } as const);

export { PROTECTION_LABELS };
/** Bit 12 (MOS software lock) is set whenever a FET was switched off by command: not a fault. */
const SOFTWARE_LOCK = 12;
const FAULT_MASK = 0xffff & ~(1 << SOFTWARE_LOCK);

function protectionEntity(key: string, bit: number): Entity {
  const lock = bit === SOFTWARE_LOCK;
  return {
    component: "binary_sensor", object: "prot_" + key, name: PROTECTION_LABELS[bit], source: "state",
    template: onIf("value_json.protection." + key), diagnostic: true,
    deviceClass: lock ? undefined : "problem", icon: lock ? "mdi:lock" : undefined,
  };
}

/** A switch while MOS control is on, a read-only state otherwise (same object id: one replaces the other). */
function fetEntity(fet: Fet, control: boolean): Entity {
  return {
    component: control ? "switch" : "binary_sensor", object: fet + "_mos", name: fet === "charge" ? "Charge MOS" : "Discharge MOS",
    source: "state", template: onIf("value_json.mos." + fet), icon: fet === "charge" ? "mdi:battery-arrow-up" : "mdi:battery-arrow-down",
    fet: control ? fet : undefined, deviceClass: control ? "switch" : undefined, when: control ? "control" : "noControl",
  };
}

const FIXED: readonly Entity[] = frozen([
  { component: "sensor", object: "voltage", name: "Voltage", source: "state", template: value("voltage"), ...V, precision: 2 },
  { component: "sensor", object: "current", name: "Current", source: "state", template: value("current"), ...A, precision: 2 },
  { component: "sensor", object: "power", name: "Power", source: "state", template: value("power"), unit: "W", deviceClass: "power", stateClass: "measurement", precision: 0 },
  { component: "sensor", object: "soc", name: "State of charge", source: "state", template: value("soc"), unit: "%", deviceClass: "battery", stateClass: "measurement", precision: 0 },
  { component: "sensor", object: "remaining", name: "Remaining capacity", source: "state", template: value("remainingCapacity"), ...AH, precision: 2 },
  { component: "sensor", object: "nominal", name: "Nominal capacity", source: "state", template: value("nominalCapacity"), unit: "Ah", icon: "mdi:battery", diagnostic: true, precision: 0 },
  { component: "sensor", object: "full_charge", name: "Full charge capacity", source: "state", template: value("fullChargeCapacity"), ...AH, diagnostic: true, when: "extended", precision: 0 },
  { component: "sensor", object: "cycles", name: "Cycles", source: "state", template: value("cycles"), stateClass: "total_increasing", icon: "mdi:battery-sync", precision: 0 },
  { component: "sensor", object: "cell_min", name: "Cell minimum", source: "state", template: value("cellMin"), ...V, precision: 3 },
  { component: "sensor", object: "cell_max", name: "Cell maximum", source: "state", template: value("cellMax"), ...V, precision: 3 },
  { component: "sensor", object: "cell_delta", name: "Cell difference", source: "state", template: value("cellDelta"), ...V, precision: 3 },
  { component: "sensor", object: "cell_avg", name: "Cell average", source: "state", template: value("cellAverage"), ...V, precision: 3 },
  { component: "sensor", object: "cell_min_no", name: "Lowest cell", source: "state", template: value("cellMinIndex"), icon: "mdi:battery-low", diagnostic: true, precision: 0 },
  { component: "sensor", object: "cell_max_no", name: "Highest cell", source: "state", template: value("cellMaxIndex"), icon: "mdi:battery-high", diagnostic: true, precision: 0 },
  { component: "sensor", object: "balance_current", name: "Balance current", source: "state", template: value("balanceCurrent"), ...A, precision: 3, when: "extended" },
  { component: "sensor", object: "humidity", name: "Humidity", source: "state", template: value("humidity"), unit: "%", deviceClass: "humidity", stateClass: "measurement", diagnostic: true, when: "extended", precision: 0 },
  { component: "sensor", object: "rssi", name: "RSSI", source: "state", template: value("rssi"), unit: "dBm", deviceClass: "signal_strength", stateClass: "measurement", diagnostic: true, precision: 0 },
  {
    component: "binary_sensor", object: "protection", name: "Protection", source: "state", deviceClass: "problem",
    template: onIf("value_json.protectionRaw|bitwise_and(" + FAULT_MASK + ")"), attributes: "{{value_json.protection|tojson}}",
  },
  {
    component: "binary_sensor", object: "alarm", name: "Alarm", source: "state", deviceClass: "problem", when: "extended",
    template: onIf("value_json.alarmRaw"), attributes: "{{value_json.alarm|tojson}}",
  },
  {
    component: "binary_sensor", object: "balancing", name: "Balancing", source: "state", icon: "mdi:scale-balance",
    template: onIf("value_json.balancing"), attributes: "{{{'cells':value_json.balancing}|tojson}}",
  },
  { component: "binary_sensor", object: "charging", name: "Charging", source: "state", deviceClass: "battery_charging", template: onIf("value_json.current>0") },
  fetEntity("charge", true),
  fetEntity("discharge", true),
  fetEntity("charge", false),
  fetEntity("discharge", false),
  ...PROTECTION_NAMES.map(protectionEntity),
  {
    component: "sensor", object: "link_connects", name: "Link connects", source: "diag", template: value("link.connects"),
    stateClass: "total_increasing", icon: "mdi:bluetooth-connect", diagnostic: true, attributes: "{{value_json.link|tojson}}", precision: 0,
  },
  { component: "sensor", object: "link_drops", name: "Link drops", source: "diag", template: value("link.drops"), stateClass: "total_increasing", icon: "mdi:bluetooth-off", diagnostic: true, precision: 0 },
  { component: "sensor", object: "polls_failed", name: "Polls failed", source: "diag", template: value("link.pollsFailed"), stateClass: "total_increasing", icon: "mdi:alert-circle-outline", diagnostic: true, precision: 0 },
  {
    component: "binary_sensor", object: "login_problem", name: "Login problem", source: "diag", deviceClass: "problem",
    template: onIf("value_json.login.problem"), attributes: "{{value_json.login|tojson}}", diagnostic: true, gatewayAvailable: true,
  },
  {
    component: "binary_sensor", object: "link_released", name: "Link released to the app", source: "availability",
    template: "{{'ON' if value=='released' else 'OFF'}}", icon: "mdi:cellphone-link", diagnostic: true, gatewayAvailable: true,
  },
  { component: "button", object: "release", name: "Release link to the app", source: "none", releasePayload: "PRESS", icon: "mdi:cellphone-link", gatewayAvailable: true, config: true },
  { component: "button", object: "resume", name: "Take link back", source: "none", releasePayload: "off", icon: "mdi:bluetooth-connect", gatewayAvailable: true, config: true },
  { component: "sensor", object: "latency", name: "Reply latency", source: "diag", template: value("link.latency.median"), unit: "ms", deviceClass: "duration", stateClass: "measurement", diagnostic: true, precision: 0 },
  // energy totals integrated on the gateway and runtime estimates (modules/link/energy-meter.ts)
  { component: "sensor", object: "energy_charged", name: "Energy charged", source: "state", template: value("energyCharged"), unit: "kWh", deviceClass: "energy", stateClass: "total_increasing", precision: 2 },
  { component: "sensor", object: "energy_discharged", name: "Energy discharged", source: "state", template: value("energyDischarged"), unit: "kWh", deviceClass: "energy", stateClass: "total_increasing", precision: 2 },
  { component: "sensor", object: "time_to_empty", name: "Time to empty", source: "state", template: value("timeToEmpty"), unit: "s", deviceClass: "duration", stateClass: "measurement", precision: 0, icon: "mdi:battery-clock-outline" },
  { component: "sensor", object: "time_to_full", name: "Time to full", source: "state", template: value("timeToFull"), unit: "s", deviceClass: "duration", stateClass: "measurement", precision: 0, icon: "mdi:battery-charging-high" },
  // the same flags as words (modules/protocol/problem-text.ts), for dashboards and notifications
  { component: "sensor", object: "protection_text", name: "Protection status", source: "state", template: value("protectionText"), icon: "mdi:shield-alert-outline" },
  { component: "sensor", object: "alarm_text", name: "Alarm status", source: "state", template: value("alarmText"), icon: "mdi:alert-outline", when: "extended" },
  { component: "sensor", object: "balancing_text", name: "Balancing cells", source: "state", template: value("balancingText"), icon: "mdi:scale-balance" },
  // maintenance functions (modules/protocol/control.ts), each only while the `maintenance` setting allows it
  { component: "button", object: "reset_capacity", name: "Reset capacity (SOC from cell voltages)", source: "none", maintenance: "capacity", icon: "mdi:battery-sync", config: true },
  { component: "button", object: "clear_protection", name: "Clear protection and alarm status", source: "none", maintenance: "protection", icon: "mdi:shield-refresh", config: true },
  { component: "button", object: "clear_counters", name: "Clear error counters", source: "none", maintenance: "counters", icon: "mdi:counter", config: true },
]);

/** Fixed entities, then one per possible temperature sensor, then one per possible cell. */
export const BMS_ENTITY_SLOTS = FIXED.length + MAX_NTC + MAX_CELLS;

/** Slots of the settings entities, after every slot of BMS_ENTITY_SLOTS (whose per-entity topics are migrated: these never had one). */
export const SETTINGS_SLOTS_START = BMS_ENTITY_SLOTS;

/** The entity at `index` (0 <= index < BMS_ENTITY_SLOTS, then the settings'); temperatures, cells and settings are made on demand. */
export function bmsEntity(index: number, shape?: Shape): Entity {
  if (index >= SETTINGS_SLOTS_START) return settingsEntity(index - SETTINGS_SLOTS_START, (shape?.settings ?? 0) > 1);
  if (index < FIXED.length) return FIXED[index];
  index -= FIXED.length;
  if (index < MAX_NTC) {
    return {
      component: "sensor", object: "temp_" + (index + 1), name: "Temperature " + (index + 1), source: "state",
      template: value("temperatures[" + index + "]"), unit: "°C", deviceClass: "temperature", stateClass: "measurement", precision: 1,
    };
  }
  index -= MAX_NTC;
  return {
    component: "sensor", object: "cell_" + (index + 1), name: "Cell " + (index + 1), source: "state",
    template: value("cells[" + index + "]"), ...V, precision: 3,
  };
}

/** Whether a BMS of this shape has the entity at `index` (without making it). */
export function hasBmsEntity(shape: Shape, index: number): boolean {
  if (index >= SETTINGS_SLOTS_START) return (shape.settings ?? 0) > 0;
  if (index >= FIXED.length + MAX_NTC) return index - FIXED.length - MAX_NTC < shape.cells;
  if (index >= FIXED.length) return index - FIXED.length < shape.temperatures;
  const maintenance = FIXED[index].maintenance;
  if (maintenance) return allowedMaintenance(shape.maintenance ?? "", maintenance);
  switch (FIXED[index].when) {
    case "extended": return shape.extended;
    case "control": return shape.control;
    case "noControl": return !shape.control;
    default: return true;
  }
}

/** The gateway's own device: connection status, uptime, MQTT statistics. */
export const GATEWAY_ENTITIES: readonly Entity[] = frozen([
  { component: "binary_sensor", object: "status", name: "Status", source: "gatewayAvailability", deviceClass: "connectivity", diagnostic: true },
  { component: "sensor", object: "uptime", name: "Uptime", source: "gatewayDiag", template: value("uptime"), unit: "s", deviceClass: "duration", stateClass: "total_increasing", diagnostic: true, precision: 0 },
  {
    component: "sensor", object: "mqtt_connects", name: "MQTT connects", source: "gatewayDiag", template: value("mqtt.connects"),
    stateClass: "total_increasing", icon: "mdi:lan-connect", diagnostic: true, attributes: "{{value_json.mqtt|tojson}}", precision: 0,
  },
]);

/** One part of a BMS's device-based discovery: the entity slots [start, end), under a name that
 *  stays with them from version to version (FIXED only grows at its end, so no entity changes part:
 *  HA would remove it from one part and make it anew in the other). */
export interface Part { readonly name: string; readonly start: number; readonly end: number }

/** Sized so that the largest part stays within 4 KB, half the ESP32's send buffer (test/bridge/ha-device.test.ts). */
const FIXED_PER_PART = 12;
const CELLS_PER_PART = 8;
const SETTINGS_PER_PART = 6;

function bmsParts(): readonly Part[] {
  const parts: Part[] = [];
  for (let start = 0, k = 1; start < FIXED.length; start += FIXED_PER_PART, k++) {
    parts.push(Object.freeze({ name: "f" + k, start, end: Math.min(FIXED.length, start + FIXED_PER_PART) }));
  }
  parts.push(Object.freeze({ name: "t", start: FIXED.length, end: FIXED.length + MAX_NTC }));
  const cells = FIXED.length + MAX_NTC;
  for (let start = 0, k = 1; start < MAX_CELLS; start += CELLS_PER_PART, k++) {
    parts.push(Object.freeze({ name: "c" + k, start: cells + start, end: cells + Math.min(MAX_CELLS, start + CELLS_PER_PART) }));
  }
  // the settings (settings-entities.ts): parts of their own, empty until the settings are read
  for (let start = 0, k = 1; start < SETTINGS_ENTITY_COUNT; start += SETTINGS_PER_PART, k++) {
    parts.push(Object.freeze({ name: "s" + k, start: SETTINGS_SLOTS_START + start, end: SETTINGS_SLOTS_START + Math.min(SETTINGS_ENTITY_COUNT, start + SETTINGS_PER_PART) }));
  }
  return Object.freeze(parts);
}

export const BMS_PARTS = bmsParts();
/** The gateway's device is one part. */
export const GATEWAY_PART = "main";
