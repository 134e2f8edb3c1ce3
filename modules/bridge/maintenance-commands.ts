// Maintenance requests from MQTT: <prefix>/<bms>/maintenance/set with a function's name (capacity,
// protection, counters: what a Home Assistant button publishes); the answer goes to
// <prefix>/<bms>/maintenance/result. Whether the function is allowed, and everything else that can
// refuse it, is decided by the link (BmsLink.maintain), which answers every request exactly once.
import type { Logger } from "../link/logger";
import type { MaintenanceResult } from "../link/maintenance";
import { MAINTENANCE_FUNCTIONS, maintenanceFunction } from "../protocol/control";
import type { JsonWriter } from "../protocol/json";
import type { CommandTarget } from "./mos-commands";
import { MAX_SWITCH_PAYLOAD, payloadText, quoted } from "./incoming";
import type { MqttStats } from "./mqtt-connection";
import { maintenanceResultJson, refusalJson, unknownBmsJson } from "./payloads";
import type { Pump } from "./pump";

export class MaintenanceCommands {
  /** `w`: the bridge's writer, borrowed (answers are written at once, never kept). */
  constructor(
    private readonly w: JsonWriter, private readonly stats: MqttStats, private readonly pump: Pump,
    private readonly log: Logger, private readonly errorTopic: string,
  ) {}

  command(target: CommandTarget, data: ArrayBuffer): void {
    const text = payloadText(data);
    const fn = text === undefined ? undefined : maintenanceFunction(text.trim());
    if (!fn) {
      this.stats.malformedCommands++;
      if (text === undefined && data.byteLength > MAX_SWITCH_PAYLOAD) this.stats.oversizedPayloads++;
      let names = "";
      for (let i = 0; i < MAINTENANCE_FUNCTIONS.length; i++) names += (i ? ", " : "") + MAINTENANCE_FUNCTIONS[i].name;
      this.pump.enqueue(target.topics.maintenanceResult(), refusalJson(this.w, "invalid payload " + quoted(text) + ": send one of " + names));
      return;
    }
    this.log.info("MQTT: maintenance of " + target.topics.id + ":", fn.name);
    try {
      target.view.maintain(fn.name, (result) => this.done(target, result));
    } catch (error) {
      this.log.error("maintain:", error);
      this.pump.enqueue(target.topics.maintenanceResult(), refusalJson(this.w, "internal error: " + String(error)));
    }
  }

  /** <prefix>/<id>/maintenance/set for a BMS this gateway does not have: answered on the gateway's error topic. */
  misaddressed(topic: string, targets: readonly CommandTarget[]): void {
    this.stats.malformedCommands++;
    this.pump.enqueue(this.errorTopic, unknownBmsJson(this.w, topic, targets));
  }

  private done(target: CommandTarget, result: MaintenanceResult): void {
    try {
      this.pump.enqueue(target.topics.maintenanceResult(), maintenanceResultJson(this.w, result));
    } catch (error) { this.log.error("maintenance result:", error); }
  }
}
