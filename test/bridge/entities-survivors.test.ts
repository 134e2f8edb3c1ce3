// The entity table Home Assistant is told about (modules/bridge/entities.ts), pinned entry by
// entry: names, icons, device and state classes, templates and the `when` of each entity are what
// Home Assistant shows and how it reads our payloads, and no other test pins most of them (a
// blanked name or icon breaks nothing else). Also: which temperature and cell entities a pack of
// each size has, exactly. entities.ts was not measured by Stryker when this was written; the test
// was checked to fail with small bugs put in by hand (a name, an icon, a `when`, the lock bit...).
import { test } from "node:test";
import assert from "node:assert/strict";
import { BMS_ENTITY_SLOTS, GATEWAY_ENTITIES, PROTECTION_LABELS, bmsEntity, hasBmsEntity, type Shape } from "../../modules/bridge/entities";
import { MAX_NTC } from "../../modules/protocol/basic-info";
import { MAX_CELLS } from "../../modules/protocol/cells";

/** As the entity is written into a discovery payload: keys whose value is undefined are absent. */
const plain = (e: object) => JSON.parse(JSON.stringify(e));

// Object keys in the order the table gives them; each row reviewed against the README's payload
// keys and Home Assistant's sensor device classes and units (buttons: the release/set payloads).
const FIXED_ENTITIES: Array<Record<string, any>> = [
  {"component":"sensor","object":"voltage","name":"Voltage","source":"state","template":"{{value_json.voltage}}","unit":"V","deviceClass":"voltage","stateClass":"measurement","precision":2},
  {"component":"sensor","object":"current","name":"Current","source":"state","template":"{{value_json.current}}","unit":"A","deviceClass":"current","stateClass":"measurement","precision":2},
  {"component":"sensor","object":"power","name":"Power","source":"state","template":"{{value_json.power}}","unit":"W","deviceClass":"power","stateClass":"measurement","precision":0},
  {"component":"sensor","object":"soc","name":"State of charge","source":"state","template":"{{value_json.soc}}","unit":"%","deviceClass":"battery","stateClass":"measurement","precision":0},
  {"component":"sensor","object":"remaining","name":"Remaining capacity","source":"state","template":"{{value_json.remainingCapacity}}","unit":"Ah","stateClass":"measurement","icon":"mdi:battery-50","precision":2},
  {"component":"sensor","object":"nominal","name":"Nominal capacity","source":"state","template":"{{value_json.nominalCapacity}}","unit":"Ah","icon":"mdi:battery","diagnostic":true,"precision":0},
  {"component":"sensor","object":"full_charge","name":"Full charge capacity","source":"state","template":"{{value_json.fullChargeCapacity}}","unit":"Ah","stateClass":"measurement","icon":"mdi:battery-50","diagnostic":true,"when":"extended","precision":0},
  {"component":"sensor","object":"cycles","name":"Cycles","source":"state","template":"{{value_json.cycles}}","stateClass":"total_increasing","icon":"mdi:battery-sync","precision":0},
  {"component":"sensor","object":"cell_min","name":"Cell minimum","source":"state","template":"{{value_json.cellMin}}","unit":"V","deviceClass":"voltage","stateClass":"measurement","precision":3},
  {"component":"sensor","object":"cell_max","name":"Cell maximum","source":"state","template":"{{value_json.cellMax}}","unit":"V","deviceClass":"voltage","stateClass":"measurement","precision":3},
  {"component":"sensor","object":"cell_delta","name":"Cell difference","source":"state","template":"{{value_json.cellDelta}}","unit":"V","deviceClass":"voltage","stateClass":"measurement","precision":3},
  {"component":"sensor","object":"cell_avg","name":"Cell average","source":"state","template":"{{value_json.cellAverage}}","unit":"V","deviceClass":"voltage","stateClass":"measurement","precision":3},
  {"component":"sensor","object":"cell_min_no","name":"Lowest cell","source":"state","template":"{{value_json.cellMinIndex}}","icon":"mdi:battery-low","diagnostic":true,"precision":0},
  {"component":"sensor","object":"cell_max_no","name":"Highest cell","source":"state","template":"{{value_json.cellMaxIndex}}","icon":"mdi:battery-high","diagnostic":true,"precision":0},
  {"component":"sensor","object":"balance_current","name":"Balance current","source":"state","template":"{{value_json.balanceCurrent}}","unit":"A","deviceClass":"current","stateClass":"measurement","precision":3,"when":"extended"},
  {"component":"sensor","object":"humidity","name":"Humidity","source":"state","template":"{{value_json.humidity}}","unit":"%","deviceClass":"humidity","stateClass":"measurement","diagnostic":true,"when":"extended","precision":0},
  {"component":"sensor","object":"rssi","name":"RSSI","source":"state","template":"{{value_json.rssi}}","unit":"dBm","deviceClass":"signal_strength","stateClass":"measurement","diagnostic":true,"precision":0},
  {"component":"binary_sensor","object":"protection","name":"Protection","source":"state","deviceClass":"problem","template":"{{'ON' if value_json.protectionRaw|bitwise_and(61439) else 'OFF'}}","attributes":"{{value_json.protection|tojson}}"},
  {"component":"binary_sensor","object":"alarm","name":"Alarm","source":"state","deviceClass":"problem","when":"extended","template":"{{'ON' if value_json.alarmRaw else 'OFF'}}","attributes":"{{value_json.alarm|tojson}}"},
  {"component":"binary_sensor","object":"balancing","name":"Balancing","source":"state","icon":"mdi:scale-balance","template":"{{'ON' if value_json.balancing else 'OFF'}}","attributes":"{{{'cells':value_json.balancing}|tojson}}"},
  {"component":"binary_sensor","object":"charging","name":"Charging","source":"state","deviceClass":"battery_charging","template":"{{'ON' if value_json.current>0 else 'OFF'}}"},
  {"component":"switch","object":"charge_mos","name":"Charge MOS","source":"state","template":"{{'ON' if value_json.mos.charge else 'OFF'}}","icon":"mdi:battery-arrow-up","fet":"charge","deviceClass":"switch","when":"control"},
  {"component":"switch","object":"discharge_mos","name":"Discharge MOS","source":"state","template":"{{'ON' if value_json.mos.discharge else 'OFF'}}","icon":"mdi:battery-arrow-down","fet":"discharge","deviceClass":"switch","when":"control"},
  {"component":"binary_sensor","object":"charge_mos","name":"Charge MOS","source":"state","template":"{{'ON' if value_json.mos.charge else 'OFF'}}","icon":"mdi:battery-arrow-up","when":"noControl"},
  {"component":"binary_sensor","object":"discharge_mos","name":"Discharge MOS","source":"state","template":"{{'ON' if value_json.mos.discharge else 'OFF'}}","icon":"mdi:battery-arrow-down","when":"noControl"},
  {"component":"binary_sensor","object":"prot_cellOvervoltage","name":"Cell overvoltage","source":"state","template":"{{'ON' if value_json.protection.cellOvervoltage else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_cellUndervoltage","name":"Cell undervoltage","source":"state","template":"{{'ON' if value_json.protection.cellUndervoltage else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_packOvervoltage","name":"Pack overvoltage","source":"state","template":"{{'ON' if value_json.protection.packOvervoltage else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_packUndervoltage","name":"Pack undervoltage","source":"state","template":"{{'ON' if value_json.protection.packUndervoltage else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_chargeOvertemperature","name":"Charge overtemperature","source":"state","template":"{{'ON' if value_json.protection.chargeOvertemperature else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_chargeUndertemperature","name":"Charge undertemperature","source":"state","template":"{{'ON' if value_json.protection.chargeUndertemperature else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_dischargeOvertemperature","name":"Discharge overtemperature","source":"state","template":"{{'ON' if value_json.protection.dischargeOvertemperature else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_dischargeUndertemperature","name":"Discharge undertemperature","source":"state","template":"{{'ON' if value_json.protection.dischargeUndertemperature else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_chargeOvercurrent","name":"Charge overcurrent","source":"state","template":"{{'ON' if value_json.protection.chargeOvercurrent else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_dischargeOvercurrent","name":"Discharge overcurrent","source":"state","template":"{{'ON' if value_json.protection.dischargeOvercurrent else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_shortCircuit","name":"Short circuit","source":"state","template":"{{'ON' if value_json.protection.shortCircuit else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_frontEndError","name":"Front-end IC error","source":"state","template":"{{'ON' if value_json.protection.frontEndError else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_mosSoftwareLock","name":"MOS software lock","source":"state","template":"{{'ON' if value_json.protection.mosSoftwareLock else 'OFF'}}","diagnostic":true,"icon":"mdi:lock"},
  {"component":"binary_sensor","object":"prot_chargeMosFault","name":"Charge MOS fault","source":"state","template":"{{'ON' if value_json.protection.chargeMosFault else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"binary_sensor","object":"prot_dischargeMosFault","name":"Discharge MOS fault","source":"state","template":"{{'ON' if value_json.protection.dischargeMosFault else 'OFF'}}","diagnostic":true,"deviceClass":"problem"},
  {"component":"sensor","object":"link_connects","name":"Link connects","source":"diag","template":"{{value_json.link.connects}}","stateClass":"total_increasing","icon":"mdi:bluetooth-connect","diagnostic":true,"attributes":"{{value_json.link|tojson}}","precision":0},
  {"component":"sensor","object":"link_drops","name":"Link drops","source":"diag","template":"{{value_json.link.drops}}","stateClass":"total_increasing","icon":"mdi:bluetooth-off","diagnostic":true,"precision":0},
  {"component":"sensor","object":"polls_failed","name":"Polls failed","source":"diag","template":"{{value_json.link.pollsFailed}}","stateClass":"total_increasing","icon":"mdi:alert-circle-outline","diagnostic":true,"precision":0},
  {"component":"binary_sensor","object":"login_problem","name":"Login problem","source":"diag","deviceClass":"problem","template":"{{'ON' if value_json.login.problem else 'OFF'}}","attributes":"{{value_json.login|tojson}}","diagnostic":true,"gatewayAvailable":true},
  {"component":"binary_sensor","object":"link_released","name":"Link released to the app","source":"availability","template":"{{'ON' if value=='released' else 'OFF'}}","icon":"mdi:cellphone-link","diagnostic":true,"gatewayAvailable":true},
  {"component":"button","object":"release","name":"Release link to the app","source":"none","releasePayload":"PRESS","icon":"mdi:cellphone-link","gatewayAvailable":true,"config":true},
  {"component":"button","object":"resume","name":"Take link back","source":"none","releasePayload":"off","icon":"mdi:bluetooth-connect","gatewayAvailable":true,"config":true},
  {"component":"sensor","object":"latency","name":"Reply latency","source":"diag","template":"{{value_json.link.latency.median}}","unit":"ms","deviceClass":"duration","stateClass":"measurement","diagnostic":true,"precision":0},
  {"component":"sensor","object":"energy_charged","name":"Energy charged","source":"state","template":"{{value_json.energyCharged}}","unit":"kWh","deviceClass":"energy","stateClass":"total_increasing","precision":2},
  {"component":"sensor","object":"energy_discharged","name":"Energy discharged","source":"state","template":"{{value_json.energyDischarged}}","unit":"kWh","deviceClass":"energy","stateClass":"total_increasing","precision":2},
  {"component":"sensor","object":"time_to_empty","name":"Time to empty","source":"state","template":"{{value_json.timeToEmpty}}","unit":"s","deviceClass":"duration","stateClass":"measurement","precision":0,"icon":"mdi:battery-clock-outline"},
  {"component":"sensor","object":"time_to_full","name":"Time to full","source":"state","template":"{{value_json.timeToFull}}","unit":"s","deviceClass":"duration","stateClass":"measurement","precision":0,"icon":"mdi:battery-charging-high"},
  {"component":"sensor","object":"protection_text","name":"Protection status","source":"state","template":"{{value_json.protectionText}}","icon":"mdi:shield-alert-outline"},
  {"component":"sensor","object":"alarm_text","name":"Alarm status","source":"state","template":"{{value_json.alarmText}}","icon":"mdi:alert-outline","when":"extended"},
  {"component":"sensor","object":"balancing_text","name":"Balancing cells","source":"state","template":"{{value_json.balancingText}}","icon":"mdi:scale-balance"},
  {"component":"button","object":"reset_capacity","name":"Reset capacity (SOC from cell voltages)","source":"none","maintenance":"capacity","icon":"mdi:battery-sync","config":true},
  {"component":"button","object":"clear_protection","name":"Clear protection and alarm status","source":"none","maintenance":"protection","icon":"mdi:shield-refresh","config":true},
  {"component":"button","object":"clear_counters","name":"Clear error counters","source":"none","maintenance":"counters","icon":"mdi:counter","config":true},
];
const GATEWAY: Array<Record<string, unknown>> = [
  {"component":"binary_sensor","object":"status","name":"Status","source":"gatewayAvailability","deviceClass":"connectivity","diagnostic":true},
  {"component":"sensor","object":"uptime","name":"Uptime","source":"gatewayDiag","template":"{{value_json.uptime}}","unit":"s","deviceClass":"duration","stateClass":"total_increasing","diagnostic":true,"precision":0},
  {"component":"sensor","object":"mqtt_connects","name":"MQTT connects","source":"gatewayDiag","template":"{{value_json.mqtt.connects}}","stateClass":"total_increasing","icon":"mdi:lan-connect","diagnostic":true,"attributes":"{{value_json.mqtt|tojson}}","precision":0},
];

test("every fixed BMS entity, in slot order: component, object id, name, template, unit, classes, icon, category, when", () => {
  const fixed = BMS_ENTITY_SLOTS - MAX_NTC - MAX_CELLS;
  assert.equal(fixed, FIXED_ENTITIES.length);
  for (let i = 0; i < fixed; i++) assert.deepStrictEqual(plain(bmsEntity(i)), FIXED_ENTITIES[i], "slot " + i + " " + FIXED_ENTITIES[i].object);
});

test("the protection sensors: one per bit, a problem each except the MOS software lock (set by every MOS command)", () => {
  const prot = FIXED_ENTITIES.filter((e) => e.object.startsWith("prot_"));
  assert.deepEqual(prot.map((e) => e.name), [...PROTECTION_LABELS]);
  assert.deepEqual(prot.filter((e) => e.deviceClass !== "problem").map((e) => e.object), ["prot_mosSoftwareLock"]);
  const raw = FIXED_ENTITIES.find((e) => e.object === "protection")!;
  assert.equal(raw.template, "{{'ON' if value_json.protectionRaw|bitwise_and(" + (0xffff ^ (1 << 12)) + ") else 'OFF'}}", "the lock bit is no fault");
});

test("temperature and cell entities: slot by slot, object, name, template index, unit, precision", () => {
  const fixed = BMS_ENTITY_SLOTS - MAX_NTC - MAX_CELLS;
  for (let t = 0; t < MAX_NTC; t++) {
    assert.deepStrictEqual(plain(bmsEntity(fixed + t)), {
      component: "sensor", object: "temp_" + (t + 1), name: "Temperature " + (t + 1), source: "state",
      template: "{{value_json.temperatures[" + t + "]}}", unit: "°C", deviceClass: "temperature", stateClass: "measurement", precision: 1,
    });
  }
  for (let c = 0; c < MAX_CELLS; c++) {
    assert.deepStrictEqual(plain(bmsEntity(fixed + MAX_NTC + c)), {
      component: "sensor", object: "cell_" + (c + 1), name: "Cell " + (c + 1), source: "state",
      template: "{{value_json.cells[" + c + "]}}", unit: "V", deviceClass: "voltage", stateClass: "measurement", precision: 3,
    });
  }
});

test("a pack has exactly its temperature and cell entities, whatever its size", () => {
  const numbered = (shape: Shape) => {
    const out: string[] = [];
    for (let i = 0; i < BMS_ENTITY_SLOTS; i++) if (hasBmsEntity(shape, i) && /^(temp|cell)_\d+$/.test(bmsEntity(i).object)) out.push(bmsEntity(i).object);
    return out;
  };
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => prefix + (i + 1));
  for (const temperatures of [0, 1, 2, MAX_NTC - 1, MAX_NTC]) {
    for (const cells of [0, 1, 2, 15, 16, MAX_CELLS - 1, MAX_CELLS]) {
      const shape = { cells, temperatures, extended: false, control: true };
      assert.deepEqual(numbered(shape), [...names("temp_", temperatures), ...names("cell_", cells)], JSON.stringify(shape));
    }
  }
});

test("fixed entities by shape: the extended block only with it; switches with MOS control, read-only FETs without", () => {
  const present = (shape: Shape) => FIXED_ENTITIES.filter((_, i) => hasBmsEntity(shape, i)).map((e) => e.component + ":" + e.object);
  const always = FIXED_ENTITIES.filter((e) => !("when" in e) && !("maintenance" in e)).map((e) => e.component + ":" + e.object);
  const extended = ["sensor:full_charge", "sensor:balance_current", "sensor:humidity", "binary_sensor:alarm", "sensor:alarm_text"];
  const switches = ["switch:charge_mos", "switch:discharge_mos"], sensors = ["binary_sensor:charge_mos", "binary_sensor:discharge_mos"];
  const sorted = (list: string[]) => [...list].sort();
  assert.deepEqual(sorted(present({ cells: 4, temperatures: 1, extended: false, control: true })), sorted([...always, ...switches]));
  assert.deepEqual(sorted(present({ cells: 4, temperatures: 1, extended: false, control: false })), sorted([...always, ...sensors]));
  assert.deepEqual(sorted(present({ cells: 4, temperatures: 1, extended: true, control: true })), sorted([...always, ...extended, ...switches]));
  assert.deepEqual(sorted(present({ cells: 4, temperatures: 1, extended: true, control: false })), sorted([...always, ...extended, ...sensors]));
  // maintenance buttons: each only while the setting allows its function
  assert.deepEqual(sorted(present({ cells: 4, temperatures: 1, extended: false, control: true, maintenance: "" })), sorted([...always, ...switches]));
  assert.deepEqual(sorted(present({ cells: 4, temperatures: 1, extended: false, control: true, maintenance: "protection,counters" })),
    sorted([...always, ...switches, "button:clear_protection", "button:clear_counters"]));
  assert.deepEqual(sorted(present({ cells: 4, temperatures: 1, extended: false, control: true, maintenance: "capacity,protection,counters" })),
    sorted([...always, ...switches, "button:reset_capacity", "button:clear_protection", "button:clear_counters"]));
});

test("the gateway's entities: status from availability, uptime and MQTT connects from its diag", () => {
  assert.deepStrictEqual(GATEWAY_ENTITIES.map(plain), GATEWAY);
});
