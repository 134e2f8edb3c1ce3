// Link releases from MQTT: <prefix>/<bms>/release/set with minutes, "PRESS" (a Home Assistant
// button: the default minutes) or "off"; the answer goes to <prefix>/<bms>/release/result. A BMS
// takes one central at a time, so this is how a user lets the JBD phone app connect.
import type { Logger } from "../link/logger";
import { parseReleaseRequest } from "../link/release-request";
import type { JsonWriter } from "../protocol/json";
import type { CommandTarget } from "./mos-commands";
import { MAX_SWITCH_PAYLOAD, payloadText, quoted } from "./incoming";
import type { MqttStats } from "./mqtt-connection";
import type { Pump } from "./pump";
import { unknownBmsJson } from "./payloads";

export class ReleaseCommands {
  /** `w`: the bridge's writer, borrowed (answers are written at once, never kept). */
  constructor(
    private readonly w: JsonWriter, private readonly stats: MqttStats, private readonly pump: Pump,
    private readonly log: Logger, private readonly errorTopic: string,
  ) {}

  /** <prefix>/<id>/release/set for a BMS this gateway does not have: answered on the gateway's error topic. */
  misaddressed(topic: string, targets: readonly CommandTarget[]): void {
    this.stats.malformedCommands++;
    this.pump.enqueue(this.errorTopic, unknownBmsJson(this.w, topic, targets));
  }

  command(target: CommandTarget, data: ArrayBuffer): void {
    const text = payloadText(data);
    const request = text === undefined ? undefined : parseReleaseRequest(text);
    const w = this.w.clear().beginObject();
    if (request === undefined || typeof request === "string") {
      this.stats.malformedCommands++;
      if (text === undefined && data.byteLength > MAX_SWITCH_PAYLOAD) this.stats.oversizedPayloads++;
      w.key("ok").bool(false).key("error").string(request ?? "invalid payload " + quoted(text) + ": send minutes (1..1440), PRESS or off");
    } else if ("resume" in request) {
      const ended = target.view.resume("MQTT");
      this.log.info("MQTT: link release of " + target.topics.id, ended ? "ended" : "not active");
      w.key("ok").bool(true).key("released").bool(false);
    } else {
      this.log.info("MQTT: link of " + target.topics.id + " released for", request.minutes + " min");
      try {
        target.view.release(request.minutes);
        w.key("ok").bool(true).key("released").bool(true).key("minutes").number(request.minutes);
      } catch (error) {
        this.log.error("release:", error);
        w.key("ok").bool(false).key("error").string("internal error: " + String(error));
      }
    }
    this.pump.enqueue(target.topics.releaseResult(), w.endObject().payload);
  }
}
