// Settings requests from MQTT, under <prefix>/<bms>/settings/: `read` (any payload: Home Assistant's
// button), `set` (a JSON object of changes, {"cellOvervoltage":3.6}: Home Assistant's number and
// select entities send one key each) and `restore` (a backup document, the retained settings
// payload; {"dryRun":true,...} lists what would change and writes nothing). Answers go to
// <prefix>/<bms>/settings/result. The link refuses writes unless settingsWrite is on, checks every
// value and writes nothing it has not checked (modules/link/bms-settings.ts).
import type { Logger } from "../link/logger";
import type { SettingsOutcome } from "../link/bms-settings";
import type { JsonWriter } from "../protocol/json";
import { payloadText, quoted } from "./incoming";
import type { CommandTarget } from "./mos-commands";
import type { MqttStats } from "./mqtt-connection";
import type { Pump } from "./pump";
import { settingsResultJson } from "./settings-payloads";

/** A backup document is about 2 KB; more is not a settings request. */
export const MAX_SETTINGS_PAYLOAD = 4096;

export class SettingsCommands {
  /** One subscription for every BMS's settings requests. */
  readonly subscription: string;

  constructor(
    private readonly w: JsonWriter, prefix: string, private readonly stats: MqttStats, private readonly pump: Pump,
    private readonly log: Logger, private readonly errorTopic: string,
  ) {
    this.subscription = prefix + "/+/settings/+";
  }

  /** A message on one of `target`'s settings topics is handled here (true); anything else is not (false). */
  command(target: CommandTarget, topic: string, data: ArrayBuffer): boolean {
    const base = target.topics.settings;
    if (topic.length <= base.length || !topic.startsWith(base) || topic.charCodeAt(base.length) !== 0x2f) return false;
    const what = topic.slice(base.length + 1), result = base + "/result";
    const settings = target.view.settings;
    const answer = (outcome: SettingsOutcome) => {
      try { this.pump.enqueue(result, settingsResultJson(this.w, outcome)); } catch (error) { this.log.error("settings result:", error); }
    };
    if (what === "result") return true; // our own answers (a broker echoing them back)
    if (!settings) { answer({ ok: false, action: "read", error: "this BMS has no settings" }); return true; }
    if (what === "read") {
      this.log.info("MQTT: settings read of", target.topics.id);
      settings.read(answer);
      return true;
    }
    if (what !== "set" && what !== "restore") {
      this.stats.malformedCommands++;
      answer({ ok: false, action: "read", error: "unknown topic " + quoted(topic) + ": use settings/read, settings/set or settings/restore" });
      return true;
    }
    const restore = what === "restore", action = restore ? "restore" : "write";
    const text = payloadText(data, MAX_SETTINGS_PAYLOAD);
    let body: unknown;
    try { body = text === undefined ? undefined : JSON.parse(text); } catch { body = undefined; }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      this.stats.malformedCommands++;
      if (text === undefined && data.byteLength > MAX_SETTINGS_PAYLOAD) this.stats.oversizedPayloads++;
      answer({ ok: false, action, error: "invalid payload " + quoted(text) + (restore ? ": send a backup document (the settings payload)" : ": send a JSON object, e.g. {\"cellOvervoltage\":3.6}") });
      return true;
    }
    const request = body as Record<string, unknown>;
    const values = restore ? request.values : request;
    if (restore && request.format !== undefined && request.format !== "jbd-settings/1") {
      answer({ ok: false, action, error: "not a backup of this format: " + quoted(String(request.format)) });
      return true;
    }
    if (restore && request.dryRun === true) { answer(settings.dryRun(values, true)); return true; }
    this.log.info("MQTT: settings " + action + " of", target.topics.id);
    settings.write(values, answer, restore);
    return true;
  }

  /** A settings topic of a BMS this gateway does not have: answered on the gateway's error topic. */
  misaddressed(topic: string, prefix: string, targets: readonly CommandTarget[]): boolean {
    const start = prefix.length + 1, idEnd = topic.indexOf("/", start);
    if (!topic.startsWith(prefix + "/") || idEnd < 0 || !topic.startsWith("/settings/", idEnd)) return false;
    if (topic.endsWith("/result")) return true;
    this.stats.malformedCommands++;
    let known = "";
    for (const t of targets) known += (known ? ", " : "") + t.topics.id;
    const w = this.w.clear().beginObject();
    w.key("topic").string(topic).key("ok").bool(false).key("error").string("unknown BMS " + quoted(topic.slice(start, idEnd)) + " (this gateway has: " + (known || "none") + ")");
    this.pump.enqueue(this.errorTopic, w.endObject().payload);
    return true;
  }
}
