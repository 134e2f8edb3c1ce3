// The maintenance functions and the `maintenance` setting's list, for what control.test.ts leaves
// open and mutation testing would find: what each function reads back and is called, the full
// refusal, "all" and "none" only on their own, whole names only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MAINTENANCE_FUNCTIONS, allowedMaintenance, maintenanceFunction, parseMaintenanceList } from "../../modules/protocol/control";

test("each function: its name, what it does in words, what is read back to see its effect", () => {
  assert.deepEqual(MAINTENANCE_FUNCTIONS.map((fn) => [fn.name, fn.label, fn.readBack]), [
    ["capacity", "Reset capacity (SOC from cell voltages)", "info"],
    ["protection", "Clear protection and alarm status", "info"],
    ["counters", "Clear error counters", "counters"],
  ]);
  assert.equal(maintenanceFunction("COUNTERS")?.name, "counters");
  assert.equal(maintenanceFunction("counter"), undefined, "whole names only");
});

test("the list: refusals name the word and what to use; all and none only on their own", () => {
  assert.deepEqual(parseMaintenanceList("protection sleep"), { error: "unknown function 'sleep': use capacity, protection, counters, all or none" });
  assert.deepEqual(parseMaintenanceList("all counters"), { error: "unknown function 'all': use capacity, protection, counters, all or none" });
  assert.deepEqual(parseMaintenanceList("none capacity"), { error: "unknown function 'none': use capacity, protection, counters, all or none" });
  assert.deepEqual(parseMaintenanceList(" ALL "), { value: "capacity,protection,counters" });
  assert.deepEqual(parseMaintenanceList("OFF"), { value: "" });
  assert.deepEqual(parseMaintenanceList("protection,,\tcapacity  protection"), { value: "capacity,protection" }, "any separators, each name once, table order");
  assert.deepEqual(parseMaintenanceList("counters"), { value: "counters" });
});

test("allowed: whole names of the canonical list only", () => {
  assert.equal(allowedMaintenance("capacity", "capacity"), true);
  assert.equal(allowedMaintenance("protection,counters", "protection"), true);
  assert.equal(allowedMaintenance("protection,counters", "counters"), true);
  assert.equal(allowedMaintenance("xcapacity,countersx", "capacity"), false);
  assert.equal(allowedMaintenance("xcapacity,countersx", "counters"), false);
});
