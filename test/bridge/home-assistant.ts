// What Home Assistant's MQTT discovery accepts, written down from its sources
// (homeassistant/components/mqtt: abbreviations.py, schemas of sensor/binary_sensor/switch/button/number/select;
// sensor/const.py DEVICE_CLASS_UNITS), for the few components and keys the gateway uses; and a
// tiny evaluator for the value templates we write, to check them against real state payloads.
import assert from "node:assert/strict";

const ABBREVIATIONS: Record<string, string> = {
  avty: "availability", avty_mode: "availability_mode", avty_t: "availability_topic", cmd_t: "command_topic",
  dev: "device", dev_cla: "device_class", ent_cat: "entity_category", ic: "icon", json_attr_t: "json_attributes_topic",
  json_attr_tpl: "json_attributes_template", o: "origin", pl_off: "payload_off", pl_on: "payload_on",
  stat_cla: "state_class", stat_t: "state_topic", sug_dsp_prc: "suggested_display_precision", uniq_id: "unique_id",
  unit_of_meas: "unit_of_measurement", val_tpl: "value_template", name: "name", ret: "retain", pl_prs: "payload_press",
  exp_aft: "expire_after", cmd_tpl: "command_template", min: "min", max: "max", step: "step", mode: "mode", ops: "options",
};
const DEVICE_ABBREVIATIONS: Record<string, string> = {
  ids: "identifiers", name: "name", mf: "manufacturer", mdl: "model", sw: "sw_version", hw: "hw_version",
  via_device: "via_device", cns: "connections", sa: "suggested_area", sn: "serial_number",
};
const AVAILABILITY_ABBREVIATIONS: Record<string, string> = {
  t: "topic", pl_avail: "payload_available", pl_not_avail: "payload_not_available", val_tpl: "value_template",
};
const ORIGIN_ABBREVIATIONS: Record<string, string> = { name: "name", sw: "sw_version", url: "support_url" };

/** Units HA accepts per sensor device class (only the classes we use). */
const SENSOR_UNITS: Record<string, readonly string[]> = {
  voltage: ["V", "mV", "µV", "kV", "MV"],
  current: ["A", "mA"],
  power: ["W", "kW", "mW", "MW", "GW", "TW", "BTU/h"],
  battery: ["%"],
  humidity: ["%"],
  temperature: ["°C", "°F", "K"],
  signal_strength: ["dB", "dBm"],
  duration: ["d", "h", "min", "s", "ms", "µs"],
  energy: ["J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal", "Gcal"],
  // stored energy (a battery's content): the energy units (UNIT_CONVERTERS: EnergyConverter)
  energy_storage: ["J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal", "Gcal"],
};
const BINARY_SENSOR_CLASSES = new Set(["battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door", "garage_door",
  "gas", "heat", "light", "lock", "moisture", "motion", "moving", "occupancy", "opening", "plug", "power", "presence", "problem",
  "running", "safety", "smoke", "sound", "tamper", "update", "vibration", "window"]);
const SWITCH_CLASSES = new Set(["outlet", "switch"]);
const BUTTON_CLASSES = new Set(["identify", "restart", "update"]);
const STATE_CLASSES = new Set(["measurement", "measurement_angle", "total", "total_increasing"]);
/** DEVICE_CLASS_STATE_CLASSES: state classes HA allows per sensor device class (unlisted: any). */
const DEVICE_STATE_CLASSES: Record<string, readonly string[]> = {
  voltage: ["measurement"], current: ["measurement"], power: ["measurement"], battery: ["measurement"],
  humidity: ["measurement"], temperature: ["measurement"], signal_strength: ["measurement"],
  // sensor/const.py DEVICE_CLASS_STATE_CLASSES: energy is a total, never a measurement
  energy: ["total", "total_increasing"],
  // ... and stored energy a measurement only
  energy_storage: ["measurement"],
};
const ID = /^[a-zA-Z0-9_-]+$/;

export interface Discovered { topic: string; component: string; node: string; object: string; config: Record<string, any> }

function expand(abbreviated: Record<string, any>, table: Record<string, string>, where: string): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(abbreviated)) {
    const full = table[key];
    assert.ok(full, `${where}: key '${key}' is not one Home Assistant knows`);
    out[full] = value;
  }
  return out;
}

/** Parse and expand one discovery message the way HA's discovery does, checking the topic. */
export function parseDiscovery(prefix: string, topic: string, payload: string): Discovered {
  const parts = topic.split("/");
  assert.equal(parts.length, 5, `discovery topic ${topic}: <prefix>/<component>/<node>/<object>/config`);
  const [p, component, node, object, last] = parts;
  assert.equal(p, prefix);
  assert.equal(last, "config");
  assert.match(node, ID, topic);
  assert.match(object, ID, topic);
  const config = expand(JSON.parse(payload), ABBREVIATIONS, topic);
  if (config.device) config.device = expand(config.device, DEVICE_ABBREVIATIONS, topic + " device");
  if (config.origin) config.origin = expand(config.origin, ORIGIN_ABBREVIATIONS, topic + " origin");
  if (Array.isArray(config.availability)) config.availability = config.availability.map((a: Record<string, any>) => expand(a, AVAILABILITY_ABBREVIATIONS, topic + " availability"));
  return { topic, component, node, object, config };
}

/** Everything HA's schemas require of the entity, or would refuse. */
export function assertAccepted(d: Discovered): void {
  const c = d.config, where = d.topic;
  assert.ok(["sensor", "binary_sensor", "switch", "button", "number", "select"].includes(d.component), `${where}: component`);
  assert.ok(typeof c.name === "string" && c.name.length > 0, `${where}: name`);
  assert.ok(typeof c.unique_id === "string" && c.unique_id.length > 0, `${where}: unique_id (required with a device)`);
  // a button has no state (button.py's schema has no state_topic)
  if (d.component === "button") assert.equal(c.state_topic, undefined, `${where}: a button has no state_topic`);
  else if (d.component === "number" || d.component === "select") assert.ok(c.state_topic === undefined || (typeof c.state_topic === "string" && !/[+#]/.test(c.state_topic)), `${where}: state_topic`);
  else assert.ok(typeof c.state_topic === "string" && c.state_topic.length > 0 && !/[+#]/.test(c.state_topic), `${where}: state_topic`);
  assert.ok(c.device && Array.isArray(c.device.identifiers) && c.device.identifiers.length > 0, `${where}: device identifiers`);
  assert.ok(typeof c.device.name === "string" && c.device.name, `${where}: device name`);
  if (c.availability !== undefined) {
    assert.ok(Array.isArray(c.availability) && c.availability.length > 0, `${where}: availability list`);
    for (const a of c.availability) {
      assert.ok(typeof a.topic === "string" && a.topic, `${where}: availability topic`);
      if (a.value_template !== undefined) assert.equal(typeof a.value_template, "string", `${where}: availability value_template`);
    }
    assert.equal(c.availability_topic, undefined, `${where}: availability and availability_topic are exclusive`);
  }
  if (c.availability_mode !== undefined) assert.ok(["all", "any", "latest"].includes(c.availability_mode), `${where}: availability_mode`);
  if (c.entity_category !== undefined) {
    assert.ok(["diagnostic", "config"].includes(c.entity_category), `${where}: entity_category`);
    // sensor/__init__.py and binary_sensor/__init__.py refuse to add an entity of category config
    if (!["switch", "button", "number", "select"].includes(d.component)) assert.equal(c.entity_category, "diagnostic", `${where}: only controls may be "config"`);
  }
  // expire_after: cv.positive_int in the sensor and binary_sensor schemas only
  if (c.expire_after !== undefined) {
    assert.ok(d.component === "sensor" || d.component === "binary_sensor", `${where}: expire_after is not an option of ${d.component}`);
    assert.ok(Number.isInteger(c.expire_after) && c.expire_after > 0, `${where}: expire_after`);
  }
  if (c.json_attributes_template !== undefined) assert.ok(c.json_attributes_topic, `${where}: json_attributes_template needs its topic`);
  if (c.suggested_display_precision !== undefined) assert.ok(Number.isInteger(c.suggested_display_precision) && c.suggested_display_precision >= 0, where);
  switch (d.component) {
    case "sensor":
      if (c.device_class !== undefined) {
        const units = SENSOR_UNITS[c.device_class];
        assert.ok(units, `${where}: sensor device_class '${c.device_class}'`);
        assert.ok(units.includes(c.unit_of_measurement), `${where}: unit '${c.unit_of_measurement}' is not valid for ${c.device_class}`);
      }
      if (c.state_class !== undefined) {
        assert.ok(STATE_CLASSES.has(c.state_class), `${where}: state_class '${c.state_class}'`);
        const allowed = c.device_class && DEVICE_STATE_CLASSES[c.device_class];
        if (allowed) assert.ok(allowed.includes(c.state_class), `${where}: state_class ${c.state_class} is invalid for ${c.device_class}`);
      }
      assert.equal(c.command_topic, undefined, `${where}: sensors take no commands`);
      break;
    case "binary_sensor":
      if (c.device_class !== undefined) assert.ok(BINARY_SENSOR_CLASSES.has(c.device_class), `${where}: binary_sensor device_class '${c.device_class}'`);
      assert.equal(c.unit_of_measurement, undefined, where);
      assert.equal(c.state_class, undefined, where);
      break;
    case "switch":
      assert.ok(typeof c.command_topic === "string" && c.command_topic && !/[+#]/.test(c.command_topic), `${where}: command_topic`);
      if (c.device_class !== undefined) assert.ok(SWITCH_CLASSES.has(c.device_class), `${where}: switch device_class`);
      assert.equal(c.payload_on ?? "ON", "ON", where);
      assert.equal(c.payload_off ?? "OFF", "OFF", where);
      assert.equal(c.state_class, undefined, where);
      break;
    // mqtt/number.py: MQTT_RW_SCHEMA (command_topic required), min/max floats with min < max
    // (validate_config; newer versions allow equal), step >= 0.001, mode auto/box/slider
    case "number":
      assert.ok(typeof c.command_topic === "string" && c.command_topic && !/[+#]/.test(c.command_topic), `${where}: command_topic`);
      assert.ok(typeof (c.min ?? 1) === "number" && typeof (c.max ?? 100) === "number" && (c.min ?? 1) < (c.max ?? 100), `${where}: 'max' must be > 'min'`);
      assert.ok(c.step === undefined || (typeof c.step === "number" && c.step >= 1e-3), `${where}: step >= 0.001`);
      assert.ok(c.mode === undefined || ["auto", "box", "slider"].includes(c.mode), `${where}: mode`);
      if (c.command_template !== undefined) assert.equal(typeof c.command_template, "string", `${where}: command_template`);
      assert.equal(c.state_class, undefined, where);
      break;
    // mqtt/select.py: MQTT_RW_SCHEMA and options (cv.ensure_list of strings), required
    case "select":
      assert.ok(typeof c.command_topic === "string" && c.command_topic && !/[+#]/.test(c.command_topic), `${where}: command_topic`);
      assert.ok(Array.isArray(c.options) && c.options.length > 0 && c.options.every((o: unknown) => typeof o === "string"), `${where}: options`);
      if (c.command_template !== undefined) assert.equal(typeof c.command_template, "string", `${where}: command_template`);
      assert.equal(c.unit_of_measurement, undefined, where);
      break;
    case "button":
      assert.ok(typeof c.command_topic === "string" && c.command_topic && !/[+#]/.test(c.command_topic), `${where}: command_topic`);
      if (c.device_class !== undefined) assert.ok(BUTTON_CLASSES.has(c.device_class), `${where}: button device_class`);
      assert.equal(c.unit_of_measurement, undefined, where);
      assert.equal(c.value_template, undefined, where);
      break;
  }
}

// ---- value templates ----

function lookup(root: unknown, path: string, where: string): unknown {
  let value: any = root;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    assert.ok(value !== null && typeof value === "object" && part in value, `${where}: '${path}' is not in the payload`);
    value = value[part];
  }
  return value;
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : !!value; // Jinja: empty lists are false
}

/**
 * Renders the template forms the gateway uses, as HA's Jinja would, against a payload; fails when a
 * key it reads is missing (HA would log a template error and show nothing).
 */
export function render(template: string, payload: unknown, where = template): string {
  // templates over the raw payload (`value`), e.g. an availability topic's text
  let m = /^\{\{'(\w+)' if value=='(\w+)' else '(\w+)'\}\}$/.exec(template);
  if (m) return String(payload) === m[2] ? m[1] : m[3];
  m = /^\{\{value_json\.([\w.[\]]+)\}\}$/.exec(template);
  if (m) { const v = lookup({ value_json: payload }, "value_json." + m[1], where); return v === null ? "None" : String(v); }
  m = /^\{\{value_json\.([\w.[\]]+)\|tojson\}\}$/.exec(template);
  if (m) return JSON.stringify(lookup({ value_json: payload }, "value_json." + m[1], where));
  // a dict literal of one or more 'key':value_json.path entries, as JSON
  m = /^\{\{\{((?:'\w+':value_json\.[\w.[\]]+,?)+)\}\|tojson\}\}$/.exec(template);
  if (m) {
    const out: Record<string, unknown> = {};
    for (const entry of m[1].split(",")) {
      const [, key, path] = /^'(\w+)':value_json\.([\w.[\]]+)$/.exec(entry) ?? [];
      if (!key) throw new Error(`${where}: dict entry not understood: ${entry}`);
      out[key] = lookup({ value_json: payload }, "value_json." + path, where);
    }
    return JSON.stringify(out);
  }
  m = /^\{\{'ON' if value_json\.([\w.[\]]+)(?:\|bitwise_and\((\d+)\)|>(-?\d+))? else 'OFF'\}\}$/.exec(template);
  if (m) {
    let v = lookup({ value_json: payload }, "value_json." + m[1], where);
    if (m[2] !== undefined) v = (v as number) & Number(m[2]);
    if (m[3] !== undefined) v = (v as number) > Number(m[3]);
    return truthy(v) ? "ON" : "OFF";
  }
  throw new Error(`${where}: template form not understood by this test: ${template}`);
}

// ---- device-based discovery (homeassistant/components/mqtt/discovery.py) ----

/** Options of a device payload's root that HA copies into each component lacking them (SHARED_OPTIONS, abbreviated). */
const SHARED = ["avty", "avty_mode", "avty_tpl", "avty_t", "cmd_t", "e", "pl_avail", "pl_not_avail", "stat_t", "qos"];

/**
 * A device-based discovery payload split as HA's async_discovery_message_received splits it: per
 * component (keyed by its id in `cmps`) an abbreviated per-entity config with `dev`, `o` and the
 * shared root options merged in, and its platform (`p`) taken out. Checks what DEVICE_DISCOVERY_SCHEMA
 * requires: dev, o, cmps, and a platform per component.
 */
export function splitDevicePayload(topic: string, payload: string): Map<string, { component: string; config: Record<string, any> }> {
  const root = JSON.parse(payload);
  assert.ok(root.dev && typeof root.dev === "object", `${topic}: device`);
  assert.ok(root.o && typeof root.o.name === "string", `${topic}: origin (required for device discovery)`);
  assert.ok(root.cmps && typeof root.cmps === "object" && Object.keys(root.cmps).length > 0, `${topic}: components`);
  for (const key of Object.keys(root)) assert.ok(["dev", "o", "cmps", ...SHARED].includes(key), `${topic}: root key '${key}'`);
  const out = new Map<string, { component: string; config: Record<string, any> }>();
  for (const [object, raw] of Object.entries(root.cmps as Record<string, Record<string, any>>)) {
    assert.match(object, ID, `${topic}: component id ${object}`);
    const { p, ...config } = raw;
    assert.equal(typeof p, "string", `${topic} ${object}: platform`);
    for (const option of SHARED) if (option in root && !(option in config)) config[option] = root[option];
    config.dev = root.dev;
    config.o = root.o;
    out.set(object, { component: p, config });
  }
  return out;
}

/**
 * What Home Assistant holds, as per-entity configs: `<prefix>/<component>/<device id>/<object>/config`
 * -> abbreviated JSON, or "" once removed. Device configs are split and merged; a component a part
 * no longer lists is removed, as HA removes it; per-entity topics count until a device config has the
 * same entity, and a migrate_discovery message is a hand-over, not a config.
 */
export function haView(prefix: string, messages: readonly { topic: string; text: string }[]): Map<string, string> {
  const view = new Map<string, string>();
  const byDevice = new Map<string, string[]>();
  const fromDevice = new Set<string>();
  for (const m of messages) {
    if (!m.topic.startsWith(prefix + "/") || !m.topic.endsWith("/config")) continue;
    if (m.topic.split("/")[1] === "device") {
      const now: string[] = [];
      if (m.text) {
        for (const [object, { component, config }] of splitDevicePayload(m.topic, m.text)) {
          const key = `${prefix}/${component}/${config.dev.ids[0]}/${object}/config`;
          view.set(key, JSON.stringify(config));
          now.push(key);
          fromDevice.add(key);
        }
      }
      for (const key of byDevice.get(m.topic) ?? []) if (!now.includes(key)) view.set(key, "");
      byDevice.set(m.topic, now);
    } else if (!fromDevice.has(m.topic) && !m.text.includes("migrate_discovery") && (m.text || view.has(m.topic))) {
      view.set(m.topic, m.text); // an empty config for one HA never had removes nothing
    }
  }
  return view;
}
