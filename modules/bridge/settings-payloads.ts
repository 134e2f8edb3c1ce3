// The settings JSON: <prefix>/<bms>/settings (retained), which is also the backup document (console
// `settings backup`, restored by <prefix>/<bms>/settings/restore), and the answers to settings requests.
import type { BmsView } from "../link/bms-view";
import type { SettingsOutcome } from "../link/bms-settings";
import type { JsonWriter } from "../protocol/json";
import { utf8Bytes } from "../protocol/json-writer";
import { SETTINGS_FORMAT, writeSettingsValues } from "../protocol/registers";
import { softwareVersion } from "./payloads";

/** {"format":"jbd-settings/1","bms":..,"softwareVersion":..,"writable":..,"values":{..},"absent":[..]} */
export function settingsJson(w: JsonWriter, bms: BmsView): ArrayBuffer {
  return utf8Bytes(settingsText(w, bms));
}

/** The same as text (the console prints it). */
export function settingsText(w: JsonWriter, bms: BmsView): string {
  const settings = bms.settings, set = settings?.values;
  w.clear().beginObject().key("format").string(SETTINGS_FORMAT).key("bms").string(bms.id);
  if (bms.infoAt !== -1) w.key("softwareVersion").string(softwareVersion(bms));
  w.key("writable").bool(settings?.writable ?? false);
  if (set) writeSettingsValues(w, set);
  return w.endObject().text;
}

export function settingsResultJson(w: JsonWriter, outcome: SettingsOutcome): string {
  w.clear().beginObject().key("ok").bool(outcome.ok).key("action").string(outcome.action);
  if (outcome.dryRun) w.key("dryRun").bool(true);
  if (outcome.error) w.key("error").string(outcome.error);
  if (outcome.changes) {
    w.key("changes").beginArray();
    for (const c of outcome.changes) {
      w.beginObject().key("key").string(c.key).key("from");
      if (typeof c.from === "number") w.number(c.from); else w.string(c.from);
      w.key("to");
      if (typeof c.to === "number") w.number(c.to); else w.string(c.to);
      w.endObject();
    }
    w.endArray();
  }
  list(w, "unchanged", outcome.unchanged);
  list(w, "skipped", outcome.skipped);
  list(w, "unreadable", outcome.unreadable);
  if (outcome.failed) {
    const f = outcome.failed;
    w.key("failed").beginObject().key("key").string(f.key).key("wrote");
    if (typeof f.wrote === "number") w.number(f.wrote); else w.string(f.wrote);
    w.key("read");
    if (f.read === null) w.null(); else if (typeof f.read === "number") w.number(f.read); else w.string(f.read);
    w.endObject();
  }
  return w.endObject().text;
}

function list(w: JsonWriter, key: string, items: string[] | undefined): void {
  if (!items?.length) return;
  w.key(key).beginArray();
  for (const item of items) w.string(item);
  w.endArray();
}
