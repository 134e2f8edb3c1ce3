// MOS commands from MQTT: validate, refuse with a reason, or hand to the link's closed loop and
// publish what the BMS reports afterwards. Nothing reaches a BMS unless the payload, the topic,
// the BMS and the configuration all allow it. The link queues what it takes (one per FET, the latest
// wins, writes paced: modules/link/mos-queue.ts) and answers every command exactly once.
import type { BmsView, Fet, MosResult } from "../link/bms-view";
import type { Logger } from "../link/logger";
import type { JsonWriter } from "../protocol/json";
import { MAX_SWITCH_PAYLOAD, parseSwitch, payloadText, quoted } from "./incoming";
import type { MqttStats } from "./mqtt-connection";
import { mosResultJson, refusalJson } from "./payloads";
import type { Pump } from "./pump";
import { parseCommandTopic, type BmsTopics, type GatewayTopics } from "./topics";

/** A BMS as commands see it. */
export interface CommandTarget {
  readonly view: BmsView;
  readonly topics: BmsTopics;
}

export class MosCommands {
  readonly #w: JsonWriter;

  constructor(
    /** The bridge's writer, borrowed: answers are written at once, never kept. */
    w: JsonWriter,
    public enabled: boolean,
    private readonly gateway: GatewayTopics,
    private readonly stats: MqttStats,
    private readonly pump: Pump,
    private readonly log: Logger,
  ) { this.#w = w; }

  /** A payload on <prefix>/<bms>/mos/<fet>/set. */
  command(target: CommandTarget, fet: Fet, data: ArrayBuffer): void {
    const text = payloadText(data);
    const on = text === undefined ? undefined : parseSwitch(text);
    const w = this.#w, result = target.topics.result;
    if (on === undefined) {
      this.stats.malformedCommands++;
      if (text === undefined && data.byteLength > MAX_SWITCH_PAYLOAD) {
        this.stats.oversizedPayloads++;
        this.log.warn("MQTT: " + data.byteLength + "-byte payload on " + target.topics.id + " " + fet + " discarded (a command is at most " + MAX_SWITCH_PAYLOAD + " bytes)");
      }
      this.pump.enqueue(result, refusalJson(w, "invalid payload " + quoted(text) + ": send ON or OFF", fet));
      return;
    }
    if (!this.enabled) { this.pump.enqueue(result, refusalJson(w, "control disabled (mosControl is off)", fet, on)); return; }
    this.log.info("MOS command: " + target.topics.id + " " + fet, on ? "ON" : "OFF");
    try {
      target.view.setMos(fet, on, (outcome) => this.done(target, outcome));
    } catch (error) {
      this.log.error("setMos:", error);
      this.pump.enqueue(result, refusalJson(w, "internal error: " + String(error), fet, on));
    }
  }

  /** A command topic that names no known BMS or FET: say why, and switch nothing. */
  misaddressed(topic: string, prefix: string, targets: readonly CommandTarget[]): void {
    this.stats.malformedCommands++;
    const parsed = parseCommandTopic(prefix, topic);
    if (!parsed) { this.log.warn("MQTT: unexpected topic", topic); return; }
    const target = targets.find((t) => t.topics.id === parsed.id);
    if (target) {
      this.pump.enqueue(target.topics.result, refusalJson(this.#w, "unknown topic " + quoted(topic) + ": use mos/charge/set or mos/discharge/set"));
      return;
    }
    // Another gateway on the same broker may own that BMS: answer on our own error topic, not on its.
    let known = "";
    for (const t of targets) known += (known ? ", " : "") + t.topics.id;
    const w = this.#w.clear().beginObject();
    w.key("topic").string(topic).key("ok").bool(false).key("error").string("unknown BMS " + quoted(parsed.id) + " (this gateway has: " + (known || "none") + ")");
    this.pump.enqueue(this.gateway.error, w.endObject().payload);
  }

  private done(target: CommandTarget, outcome: MosResult): void {
    try {
      this.pump.enqueue(target.topics.result, mosResultJson(this.#w, outcome));
    } catch (error) { this.log.error("MOS result:", error); }
  }
}
