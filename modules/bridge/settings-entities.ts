// Home Assistant entities of a pack's settings (the <prefix>/<bms>/settings payload): read-only sensors
// (category diagnostic: HA's sensor refuses the config category), or, when settingsWrite is on,
// number and select entities in the config category whose
// commands go to <prefix>/<bms>/settings/set as {"<key>": value} (the link checks each before any
// write). Only the settings a user tunes are here; the rest are in the payload and the backup.
import type { Entity } from "./entities";

/** [object id, name, settings key, unit, device class, min, max, step]: physical bounds as the link checks them. */
type Row = readonly [string, string, string, string, string | undefined, number, number, number];

const ROWS: readonly Row[] = Object.freeze([
  row("cell_ov", "Cell over-voltage", "cellOvervoltage", "V", "voltage", 1, 4.5, 0.001),
  row("cell_ov_rel", "Cell over-voltage release", "cellOvervoltageRelease", "V", "voltage", 1, 4.5, 0.001),
  row("cell_uv", "Cell under-voltage", "cellUndervoltage", "V", "voltage", 1, 4.5, 0.001),
  row("cell_uv_rel", "Cell under-voltage release", "cellUndervoltageRelease", "V", "voltage", 1, 4.5, 0.001),
  row("pack_ov", "Pack over-voltage", "packOvervoltage", "V", "voltage", 1, 144, 0.01),
  row("pack_uv", "Pack under-voltage", "packUndervoltage", "V", "voltage", 1, 144, 0.01),
  row("chg_oc", "Charge over-current", "chargeOvercurrent", "A", "current", 0.5, 3000, 0.01),
  row("dsg_oc", "Discharge over-current", "dischargeOvercurrent", "A", "current", 0.5, 3000, 0.01),
  row("chg_ot", "Charge over-temperature", "chargeOvertemp", "°C", "temperature", -40, 100, 0.1),
  row("chg_ut", "Charge under-temperature", "chargeUndertemp", "°C", "temperature", -40, 100, 0.1),
  row("dsg_ot", "Discharge over-temperature", "dischargeOvertemp", "°C", "temperature", -40, 100, 0.1),
  row("dsg_ut", "Discharge under-temperature", "dischargeUndertemp", "°C", "temperature", -40, 100, 0.1),
  row("bal_start", "Balance start voltage", "balanceStartVoltage", "V", "voltage", 1, 4.5, 0.001),
  row("bal_window", "Balance window", "balanceWindow", "V", "voltage", 0.005, 0.5, 0.001),
  row("design_cap", "Design capacity", "designCapacity", "Ah", undefined, 0.1, 6553.5, 0.01),
  row("cycle_cap", "Cycle capacity", "cycleCapacity", "Ah", undefined, 0.1, 6553.5, 0.01),
]);

function row(object: string, name: string, key: string, unit: string, deviceClass: string | undefined, min: number, max: number, step: number): Row {
  return Object.freeze([object, name, key, unit, deviceClass, min, max, step] as const);
}

export const BALANCE_OPTIONS: readonly string[] = Object.freeze(["off", "always", "charging"]);

/** The numbers, the balance mode and the read button. */
export const SETTINGS_ENTITY_COUNT = ROWS.length + 2;

/** Settings entity `index` (0 <= index < SETTINGS_ENTITY_COUNT), made when discovery needs it. */
export function settingsEntity(index: number, writable: boolean): Entity {
  if (index < ROWS.length) {
    const [object, name, key, unit, deviceClass, min, max, step] = ROWS[index];
    return {
      component: writable ? "number" : "sensor", object: "set_" + object, name, source: "settings", config: writable, diagnostic: !writable,
      template: "{{value_json.values." + key + "}}", unit, deviceClass, icon: deviceClass ? undefined : "mdi:battery-settings",
      setting: writable ? key : undefined, min, max, step,
    };
  }
  if (index === ROWS.length) {
    return {
      component: writable ? "select" : "sensor", object: "set_balance", name: "Balancing", source: "settings", config: writable, diagnostic: !writable,
      template: "{{value_json.values.balanceMode}}", icon: "mdi:scale-balance", setting: writable ? "balanceMode" : undefined, options: BALANCE_OPTIONS,
    };
  }
  return { component: "button", object: "settings_read", name: "Read settings", source: "none", icon: "mdi:refresh", config: true, settingsRead: true, gatewayAvailable: false };
}
