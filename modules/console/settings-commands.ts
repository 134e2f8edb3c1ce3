// Console commands for a pack's settings (protection and capacity parameters, modules/link/bms-settings):
//   settings [bms]                          the values last read, with units
//   settings read [bms]                     read them now (one factory-mode session)
//   settings backup [bms]                   the backup document (the retained MQTT settings payload), in lines
//   settings set [bms] <key> <value> ...    change values (settingsWrite on): checked, written, read back, saved
//   settings restore [bms] [dry]            paste a backup document; `dry` lists what would change
// The backup is printed in lines of at most 120 characters, cut after commas: pasted back, the lines
// are joined as they are (a console line holds 160 characters, a document about 2,000).
import type { BmsLink } from "../link/bms-link";
import type { SettingsOutcome } from "../link/bms-settings";
import { JsonWriter } from "../protocol/json";
import { REGISTERS, REGISTER_COUNT, decodeRegister, balanceMode, registerIndex } from "../protocol/registers";
import { settingsText } from "../bridge/settings-payloads";
import type { LineReader } from "./console";
import { UsageError, defineCommand, type CommandRegistry, type CommandSpec } from "./registry";
import type { Output } from "./output";

export interface SettingsParts {
  links: BmsLink[];
  readLines(reader: LineReader | undefined): void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const BACKUP_LINE = 120;
const PASTE_TIMEOUT_MS = 60_000;
const MAX_DOCUMENT = 4096;

function pick(parts: SettingsParts, args: string[]): BmsLink {
  const named = args.length ? parts.links.find((l) => l.id === args[0] || l.name === args[0]) : undefined;
  if (named) { args.shift(); return named; }
  if (parts.links.length === 1) return parts.links[0];
  throw new UsageError(`which BMS? one of: ${parts.links.map((l) => l.id).join(", ")}`);
}

/** The outcome of a request in lines. */
export function outcomeLines(id: string, o: SettingsOutcome): string[] {
  const lines = [`${id}: ${o.action}${o.dryRun ? " (dry run: nothing written)" : ""} ${o.ok ? "ok" : "failed: " + o.error}`];
  if (o.ok && o.error) lines.push("  " + o.error);
  for (const c of o.changes ?? []) lines.push(`  ${c.key}: ${c.from} -> ${c.to}${o.dryRun ? "" : o.ok ? " (saved)" : " (not saved)"}`);
  if (o.failed) lines.push(`  ${o.failed.key}: wrote ${o.failed.wrote}, read back ${o.failed.read ?? "nothing"}`);
  if (o.unchanged?.length) lines.push("  unchanged: " + o.unchanged.join(", "));
  if (o.skipped?.length) lines.push("  skipped: " + o.skipped.join(", "));
  if (o.unreadable?.length) lines.push("  unreadable: " + o.unreadable.join(", "));
  return lines;
}

function printValues(link: BmsLink, out: Output): void {
  const set = link.settings.values;
  if (!set) { out.line(`${link.id}: settings not read yet${link.settings.busy ? " (a read is under way)" : ": settings read " + link.id}`); return; }
  out.line(`${link.id}: settings (writes ${link.settings.writable ? "allowed" : "off: config set settingsWrite on"})`);
  const large = set.largeUnits, absent: string[] = [];
  let line = "";
  for (let i = 0; i < REGISTER_COUNT; i++) {
    const info = REGISTERS[i];
    if (!set.has(i)) { if (set.state[i] === 2) absent.push(info.key); continue; }
    const value = decodeRegister(i, set.raw[i], large);
    const raw = set.raw[i];
    const text = info.pair ? `${raw >> 8}/${raw & 0xff} s`
      : info.key === "manufactureDate" ? `${2000 + (raw >> 9)}-${(raw >> 5) & 0x0f}-${raw & 0x1f}`
      : Number.isNaN(value) ? "0x" + raw.toString(16).padStart(4, "0") : `${Math.round(value * 1000) / 1000}${info.unit ? " " + info.unit : ""}`;
    const item = `${info.key} ${text}${info.writable ? "" : " (ro)"}`;
    if (line.length + item.length > 100) { out.line("  " + line); line = ""; }
    line += (line ? ", " : "") + item;
  }
  if (line) out.line("  " + line);
  out.line(`  balanceMode ${balanceMode(set.raw[registerIndex("functionsRaw")])}`);
  if (absent.length) out.line("  absent (this firmware lacks them): " + absent.join(", "));
}

/** The document cut after commas into lines of at most BACKUP_LINE characters. */
export function backupLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (text.length - start > BACKUP_LINE) {
    let cut = text.lastIndexOf(",", start + BACKUP_LINE - 1);
    if (cut <= start) cut = start + BACKUP_LINE - 1;
    lines.push(text.slice(start, cut + 1));
    start = cut + 1;
  }
  lines.push(text.slice(start));
  return lines;
}

/** "3.6" -> 3.6; a balance mode stays a word. */
function parseValue(key: string, text: string): number | string {
  if (key === "balanceMode") return text;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`${key}: '${text}' is not a number`);
  return value;
}

function run(link: BmsLink, out: Output, start: (done: (o: SettingsOutcome) => void) => void): Promise<void> {
  return new Promise<void>((resolve) => start((o) => { for (const l of outcomeLines(link.id, o)) out.line(l); resolve(); }));
}

function paste(parts: SettingsParts, link: BmsLink, dry: boolean, out: Output): Promise<void> {
  out.line(`paste the backup document of ${link.id} (the lines of 'settings backup'); Ctrl-C cancels`);
  return new Promise<void>((resolve) => {
    let text = "", finished = false;
    const finish = (lines: string[]) => {
      if (finished) return;
      finished = true;
      parts.clearTimer(timer);
      parts.readLines(undefined);
      for (const l of lines) out.line(l);
      resolve();
    };
    const timer = parts.setTimer(() => finish([`settings restore: nothing complete within ${PASTE_TIMEOUT_MS / 1000} s: nothing written`]), PASTE_TIMEOUT_MS);
    parts.readLines({
      line: (line) => {
        text += line.trim();
        if (text.length > MAX_DOCUMENT) { finish([`settings restore: more than ${MAX_DOCUMENT} characters: not a backup document; nothing written`]); return true; }
        let doc: { format?: unknown; values?: unknown } | undefined;
        try { doc = JSON.parse(text); } catch { return false; } // not complete yet
        if (typeof doc !== "object" || doc === null || doc.format !== "jbd-settings/1") {
          finish(["settings restore: not a backup document (format jbd-settings/1): nothing written"]);
          return true;
        }
        if (dry) { finish(outcomeLines(link.id, link.settings.dryRun(doc.values, true))); return true; }
        finished = true; // the answer comes from the session
        parts.clearTimer(timer);
        parts.readLines(undefined);
        link.settings.write(doc.values, (o) => { for (const l of outcomeLines(link.id, o)) out.line(l); resolve(); }, true);
        return true;
      },
      cancel: (why) => finish([`\r\nsettings restore: ${why}: nothing written`]),
    });
  });
}

/** The commands, in flash on a device (a frozen table of a preloaded module: no RAM per command). */
const SETTINGS_COMMANDS: readonly CommandSpec<SettingsParts>[] = Object.freeze([
  defineCommand<SettingsParts>({
    name: "settings", usage: "settings [read|backup|set|restore] [bms] ...",
    summary: "a pack's protection and capacity settings: show, read now, backup, set <key> <value> ..., restore [dry]",
    access: (args) => {
      const sub = (args[0] ?? "").toLowerCase();
      if (sub === "set") return "change";
      if (sub === "restore") return "serial"; // a paste at the serial console (over MQTT: <prefix>/<bms>/settings/restore)
      return "read"; // show, backup, and a read (it changes nothing)
    },
    run: (parts, args, out) => {
      const sub = (args[0] ?? "").toLowerCase();
      if (sub === "read") {
        args.shift();
        const link = pick(parts, args);
        if (args.length) return false;
        out.line(`${link.id}: reading the settings (factory mode, about 3 s)...`);
        return run(link, out, (done) => link.settings.read(done));
      }
      if (sub === "backup") {
        args.shift();
        const link = pick(parts, args);
        if (args.length) return false;
        if (!link.settings.values) { out.line(`${link.id}: settings not read yet: settings read ${link.id}`); return; }
        for (const l of backupLines(settingsText(new JsonWriter(), link))) out.line(l);
        return;
      }
      if (sub === "set") {
        args.shift();
        const link = pick(parts, args);
        if (args.length < 2 || args.length % 2) return false;
        const values: Record<string, number | string> = {};
        for (let i = 0; i < args.length; i += 2) values[args[i]] = parseValue(args[i], args[i + 1]);
        return run(link, out, (done) => link.settings.write(values, done));
      }
      if (sub === "restore") {
        args.shift();
        const link = pick(parts, args);
        const dry = args[0]?.toLowerCase() === "dry";
        if (dry) args.shift();
        if (args.length) return false;
        if (!dry && !link.settings.writable) { out.line(`${link.id}: restore failed: settings writes are disabled (config set settingsWrite on)`); return; }
        return paste(parts, link, dry, out);
      }
      if (args.length > 1) return false;
      if (!args.length && parts.links.length > 1) { for (const l of parts.links) printValues(l, out); return; }
      printValues(pick(parts, args), out);
    },
  }),
]);

export function registerSettingsCommands(registry: CommandRegistry, parts: SettingsParts): void {
  registry.addTable(SETTINGS_COMMANDS, parts);
}
