// The maintenance table (0x0A control functions) and the `maintenance` setting's list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAINTENANCE_FUNCTIONS, allowedMaintenance, maintenanceFunction, parseMaintenanceList } from "../../modules/protocol/control";
import { controlRequest } from "../../modules/protocol/commands";
import { toHex } from "../../modules/protocol/hex";
import { findSetting } from "../../modules/config/schema";

test("only the functions that switch no FET and no power state, with the V11 codes", () => {
  assert.deepEqual(MAINTENANCE_FUNCTIONS.map((fn) => [fn.name, fn.code]), [["capacity", 0x0100], ["protection", 0x0400], ["counters", 0x0200]]);
  assert.ok(Object.isFrozen(MAINTENANCE_FUNCTIONS) && MAINTENANCE_FUNCTIONS.every(Object.isFrozen), "flash on a device");
  assert.equal(maintenanceFunction("Protection")?.code, 0x0400, "any case");
  for (const name of ["sleep", "reset", "powerdown", ""]) assert.equal(maintenanceFunction(name), undefined, name);
});

test("the request: DD 5A 0A 02 hi lo, checksum, 77", () => {
  assert.equal(toHex(new Uint8Array(controlRequest(0x0400))), "dd5a0a020400fff077");
  assert.equal(toHex(new Uint8Array(controlRequest(0x0100))), "dd5a0a020100fff377");
  assert.throws(() => controlRequest(0x10000), RangeError);
});

test("the setting: none by default; a list in table order; all; unknown names refused", () => {
  const setting = findSetting("maintenance")!;
  assert.equal(setting.defaultValue, "");
  assert.deepEqual(parseMaintenanceList("counters, Capacity"), { value: "capacity,counters" });
  assert.deepEqual(parseMaintenanceList("all"), { value: "capacity,protection,counters" });
  for (const none of ["", "none", "off", " "]) assert.deepEqual(parseMaintenanceList(none), { value: "" }, none);
  assert.match((parseMaintenanceList("protection sleep") as { error: string }).error, /^unknown function 'sleep'/);
  assert.equal(allowedMaintenance("capacity,counters", "counters"), true);
  assert.equal(allowedMaintenance("capacity,counters", "protection"), false);
  assert.equal(allowedMaintenance("", "capacity"), false);
});
