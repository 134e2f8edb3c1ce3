// Home Assistant MQTT discovery messages: device-based discovery in parts
// (<discoveryPrefix>/device/<node>_<part>/config), with HA's documented key abbreviations (stat_t,
// val_tpl, dev, p, ...) to keep each payload small; and the per-entity topics of the discovery the
// gateway used before (<discoveryPrefix>/<component>/<node>/<object>/config), which it migrates.
import { JsonWriter } from "../protocol/json";
import type { Entity } from "./entities";

/** Topics an entity of this device may read or command. */
export interface DeviceTopics {
  state?: string;
  diag?: string;
  chargeSet?: string;
  dischargeSet?: string;
  releaseSet?: string;
  /** Maintenance buttons publish their function's name here. */
  maintenanceSet?: string;
  /** The pack's settings payload; its requests are under it (/set, /read). */
  settings?: string;
  /** The BMS's own availability: "online", "offline" or "released" (read through AVAILABLE_TEMPLATE). */
  bmsAvailability?: string;
  gatewayDiag: string;
  gatewayAvailability: string;
  /** Every entity of the device is available only while all of these say "online". */
  availability: readonly string[];
}

export interface DeviceInfo {
  /** Also the node id in discovery topics and the start of every unique_id. */
  node: string;
  name: string;
  manufacturer: string;
  model: string;
  softwareVersion?: string;
  /** Node of the device this one talks through (the gateway, for a BMS). */
  via?: string;
}

/** Characters HA allows in node and object ids: [a-zA-Z0-9_-]; anything else becomes "_". */
export function nodeId(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
    out += ok ? text[i] : "_";
  }
  return out;
}

/** <discoveryPrefix>/<component>/<node>/<object>/config */
export function discoveryTopic(discoveryPrefix: string, node: string, entity: Entity): string {
  return discoveryPrefix + "/" + entity.component + "/" + node + "/" + entity.object + "/config";
}

/** "released" (the link handed to the JBD app) is "offline" to Home Assistant, which knows only two payloads. */
export const AVAILABLE_TEMPLATE = "{{'online' if value=='online' else 'offline'}}";

/** <discoveryPrefix>/device/<node>_<part>/config: one part of a device's device-based discovery. */
export function partTopic(discoveryPrefix: string, node: string, part: string): string {
  return discoveryPrefix + "/device/" + node + "_" + part + "/config";
}

/**
 * Device-based discovery of one device (HA 2024.11+): each part is one retained message with the
 * device, the origin and (for a BMS) the shared availability once, and its entities under `cmps`;
 * HA merges the shared options into each entity and removes the entities a part no longer lists.
 * A device is sent in parts because the whole of a 32-cell pack would not fit the ESP32's 8 KB TCP
 * send buffer, and the parts keep the largest message, and so the RAM it needs, small.
 */
export class DeviceDiscovery {
  readonly #availability: string;
  readonly #gatewayAvailability: string;
  readonly #device: string;
  readonly #origin: string;
  /** A BMS: every entity shares the availability (set once at the root); the gateway: each its own. */
  readonly #shared: boolean;

  constructor(
    private readonly discoveryPrefix: string,
    private readonly info: DeviceInfo,
    private readonly topics: DeviceTopics,
    origin: { name: string; version?: string },
    /** expire_after of the entities that read the BMS's state (0: none): values older than this show unavailable. */
    private readonly stateExpireS = 0,
  ) {
    const w = new JsonWriter().beginArray();
    for (const topic of topics.availability) {
      w.beginObject().key("t").string(topic);
      if (topic === topics.bmsAvailability) w.key("val_tpl").string(AVAILABLE_TEMPLATE);
      w.endObject();
    }
    this.#availability = w.endArray().text;
    this.#gatewayAvailability = w.beginArray().beginObject().key("t").string(topics.gatewayAvailability).endObject().endArray().text;
    this.#shared = topics.availability.length > 1;

    w.clear().beginObject().key("ids").beginArray().string(info.node).endArray().key("name").string(info.name)
      .key("mf").string(info.manufacturer).key("mdl").string(info.model);
    if (info.softwareVersion) w.key("sw").string(info.softwareVersion);
    if (info.via) w.key("via_device").string(info.via);
    this.#device = w.endObject().text;

    w.clear().beginObject().key("name").string(origin.name);
    if (origin.version) w.key("sw").string(origin.version);
    this.#origin = w.endObject().text;
  }

  /** Where a part of this device is announced. */
  topic(part: string): string {
    return partTopic(this.discoveryPrefix, this.info.node, part);
  }

  /** The per-entity topic of the discovery before device-based discovery (migrated, then cleared). */
  entityTopic(entity: Entity): string {
    return discoveryTopic(this.discoveryPrefix, this.info.node, entity);
  }

  /** Starts a part's payload in `w` (cleared first); add entities with component(), finish with endPart(). */
  beginPart(w: JsonWriter): void {
    w.clear().beginObject().key("dev").raw(this.#device).key("o").raw(this.#origin);
    if (this.#shared) {
      w.key("avty").raw(this.#availability);
      w.key("avty_mode").string("all");
    }
    w.key("cmps").beginObject();
  }

  endPart(w: JsonWriter): ArrayBuffer {
    return w.endObject().endObject().payload;
  }

  /** One entity under `cmps`, keyed by its object id. */
  component(w: JsonWriter, entity: Entity): void {
    const t = this.topics;
    w.key(entity.object).beginObject();
    w.key("p").string(entity.component);
    w.key("name").string(entity.name);
    w.key("uniq_id").string(this.info.node + "_" + entity.object);
    if (entity.source !== "none") w.key("stat_t").string(this.stateTopic(entity));
    if (entity.template) w.key("val_tpl").string(entity.template);
    if (entity.source === "gatewayAvailability") w.key("pl_on").string("online").key("pl_off").string("offline");
    if (entity.unit) w.key("unit_of_meas").string(entity.unit);
    if (entity.deviceClass) w.key("dev_cla").string(entity.deviceClass);
    if (entity.stateClass) w.key("stat_cla").string(entity.stateClass);
    if (entity.precision !== undefined) w.key("sug_dsp_prc").number(entity.precision);
    if (entity.icon) w.key("ic").string(entity.icon);
    if (entity.diagnostic) w.key("ent_cat").string("diagnostic");
    else if (entity.config) w.key("ent_cat").string("config");
    // HA's sensor and binary_sensor schemas have expire_after; switches and buttons do not
    if (this.stateExpireS > 0 && entity.source === "state" && (entity.component === "sensor" || entity.component === "binary_sensor")) {
      w.key("exp_aft").number(this.stateExpireS);
    }
    if (entity.attributes) w.key("json_attr_t").string(this.stateTopic(entity)).key("json_attr_tpl").string(entity.attributes);
    if (entity.fet) {
      const command = entity.fet === "charge" ? t.chargeSet : t.dischargeSet;
      if (command) w.key("cmd_t").string(command);
      w.key("pl_on").string("ON").key("pl_off").string("OFF");
    }
    if (entity.releasePayload !== undefined && t.releaseSet) w.key("cmd_t").string(t.releaseSet).key("pl_prs").string(entity.releasePayload);
    if (entity.maintenance && t.maintenanceSet) w.key("cmd_t").string(t.maintenanceSet).key("pl_prs").string(entity.maintenance);
    if (t.settings && (entity.setting || entity.settingsRead)) this.settingsCommand(w, entity, t.settings);
    // The link's release controls work while the gateway does; the gateway's status entity reports
    // "offline" itself instead of becoming unavailable (so it has no availability at all).
    if (entity.gatewayAvailable) w.key("avty").raw(this.#gatewayAvailability);
    else if (!this.#shared && entity.source !== "gatewayAvailability") w.key("avty").raw(this.#availability);
    w.endObject();
  }

  /** Numbers and selects send {"<key>": value} to <settings>/set; the read button presses <settings>/read. */
  private settingsCommand(w: JsonWriter, entity: Entity, settings: string): void {
    if (entity.settingsRead) { w.key("cmd_t").string(settings + "/read").key("pl_prs").string("PRESS"); return; }
    const value = entity.component === "select" ? "\"{{value}}\"" : "{{value}}";
    w.key("cmd_t").string(settings + "/set").key("cmd_tpl").string("{\"" + entity.setting + "\":" + value + "}");
    if (entity.component === "number") w.key("min").number(entity.min ?? 0).key("max").number(entity.max ?? 0).key("step").number(entity.step ?? 1).key("mode").string("box");
    if (entity.options) {
      w.key("ops").beginArray();
      for (let i = 0; i < entity.options.length; i++) w.string(entity.options[i]);
      w.endArray();
    }
  }

  private stateTopic(entity: Entity): string {
    const t = this.topics;
    switch (entity.source) {
      case "settings": return t.settings ?? "";
      case "state": return t.state ?? "";
      case "diag": return t.diag ?? "";
      case "availability": return t.bmsAvailability ?? "";
      case "none": return "";
      case "gatewayDiag": return t.gatewayDiag;
      case "gatewayAvailability": return t.gatewayAvailability;
    }
  }
}
