// The V11 control functions (0x0A, `DD 5A 0A 02 hi lo`, facts §4.5) the gateway offers as maintenance
// (modules/link/maintenance.ts runs them), and the `maintenance` setting that allows each one. Only
// functions that switch no FET and no power state: capacity reset, clear protection/alarm status,
// clear the 0xAA history counters. MCU reset (0x0300), sleep (0x0500), power-down (0x0600, needs a
// charger to wake), storage mode (0x0800) and the forced switches (0x0900-0x0C00) are never sent.
// Pure: no platform imports.

export type MaintenanceName = "capacity" | "protection" | "counters";

export interface MaintenanceFunction {
  readonly name: MaintenanceName;
  /** The 0x0A data word. */
  readonly code: number;
  /** What it does, for people (console help, Home Assistant's button name). */
  readonly label: string;
  /** What is read back to see the effect. */
  readonly readBack: "info" | "counters";
}

/** The functions offered, in the order the console and Home Assistant list them (frozen: flash on a device). */
export const MAINTENANCE_FUNCTIONS: readonly MaintenanceFunction[] = Object.freeze([
  Object.freeze({ name: "capacity" as const, code: 0x0100, label: "Reset capacity (SOC from cell voltages)", readBack: "info" as const }),
  Object.freeze({ name: "protection" as const, code: 0x0400, label: "Clear protection and alarm status", readBack: "info" as const }),
  Object.freeze({ name: "counters" as const, code: 0x0200, label: "Clear error counters", readBack: "counters" as const }),
]);

export function maintenanceFunction(name: string): MaintenanceFunction | undefined {
  const wanted = name.toLowerCase();
  for (let i = 0; i < MAINTENANCE_FUNCTIONS.length; i++) if (MAINTENANCE_FUNCTIONS[i].name === wanted) return MAINTENANCE_FUNCTIONS[i];
  return undefined;
}

/** Whether the `maintenance` setting's value (its canonical text, "capacity,protection"; "" for none) allows `name`. */
export function allowedMaintenance(setting: string, name: MaintenanceName): boolean {
  return ("," + setting + ",").indexOf("," + name + ",") >= 0;
}

/**
 * The setting's text as given ("all", "none", "protection counters", "Capacity,protection") in its
 * canonical form (known names, comma separated, in table order), or an error naming what is wrong.
 */
export function parseMaintenanceList(text: string): { value: string } | { error: string } {
  const words = text.trim().toLowerCase().split(/[\s,]+/).filter((word) => word !== "");
  if (words.length === 1 && (words[0] === "none" || words[0] === "off")) return { value: "" };
  if (words.length === 1 && words[0] === "all") return { value: MAINTENANCE_FUNCTIONS.map((fn) => fn.name).join(",") };
  for (const word of words) {
    if (!maintenanceFunction(word)) return { error: `unknown function '${word}': use ${MAINTENANCE_FUNCTIONS.map((fn) => fn.name).join(", ")}, all or none` };
  }
  return { value: MAINTENANCE_FUNCTIONS.filter((fn) => words.includes(fn.name)).map((fn) => fn.name).join(",") };
}
