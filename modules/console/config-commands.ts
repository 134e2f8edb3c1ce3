// Console commands for configuration and logging:
//   config                      every setting (secrets masked) and where its value comes from
//   config get <key>
//   config set <key> <value>    validated, stored in flash, applied or flagged for reconnect/reboot
//   config reset [key]          forget stored values (all, or one)
//   log                         level and recent log lines
//   log level [error|warn|info|debug]
// Pure: they work on the Config and Log objects they are given.

import type { Config, SetResult } from "../config/config";
import { SETTINGS, findSetting } from "../config/schema";
import type { Log } from "./log";
import { UsageError, defineCommand, type CommandRegistry, type CommandSpec } from "./registry";
import type { Output } from "./output";
import { quoteArg } from "./args";

function printResult(r: SetResult, out: Output): void {
  if (!r.ok) {
    out.line("error: " + r.message);
    return;
  }
  out.line(r.message);
  if (r.changed && r.effect === "restart") out.line("type 'reboot' to apply");
}

/** The config command, in flash on a device (a frozen table of a preloaded module: no RAM per command). */
const CONFIG_COMMANDS: readonly CommandSpec<Config>[] = Object.freeze([
  defineCommand<Config>({
    name: "config",
    usage: "config [get <key> | set <key> <value> | reset [key]]",
    summary: "show or change settings (stored in flash)",
    access: configAccess,
    run: (config, args, out) => {
      const sub = (args[0] ?? "").toLowerCase();
      if (sub === "" || sub === "show" || sub === "list") {
        if (args.length > 1) return false;
        const rows = config.describe();
        let width = 0;
        for (const r of rows) if (r.key.length > width) width = r.key.length;
        for (const r of rows) {
          const text = /[\s"']/.test(r.value) && !r.value.startsWith("(") && !r.value.endsWith("(derived)") ? quoteArg(r.value) : r.value;
          out.line("  " + r.key.padEnd(width + 2) + text + (r.source === "default" ? "" : "  [" + r.source + "]"));
        }
        out.line("'config set <key> <value>' changes one; 'help config' for more");
        return;
      }
      if (sub === "get") {
        if (args.length !== 2) return false;
        const value = config.display(args[1]);
        if (value === undefined) throw new UsageError(`unknown setting '${args[1]}' (see 'config')`);
        const s = findSetting(args[1])!;
        out.line(`${s.key} = ${value}  [${config.sourceOf(s.key)}]`);
        out.line(`  ${s.summary}; ${s.type}`);
        return;
      }
      if (sub === "set") {
        if (args.length < 3) {
          if (args.length === 2) {
            const s = findSetting(args[1]);
            if (s) throw new UsageError(`missing value for ${s.key} (${s.type}; use "" for empty)`);
          }
          return false;
        }
        printResult(config.set(args[1], args.slice(2).join(" ")), out);
        return;
      }
      if (sub === "reset") {
        if (args.length > 2) return false;
        const results = config.reset(args[1]);
        if (!results.length) {
          out.line(args[1] ? `${findSetting(args[1])?.key ?? args[1]} is not stored; nothing to reset` : "nothing stored; all settings are build values or defaults");
          return;
        }
        for (const r of results) printResult(r, out);
        return;
      }
      if (sub === "keys") {
        for (const s of SETTINGS) out.line(`  ${s.key}: ${s.summary} (${s.type})`);
        return;
      }
      throw new UsageError(`unknown subcommand '${args[0]}'`);
    },
  }),
]);

export function registerConfigCommands(registry: CommandRegistry, config: Config): void {
  registry.addTable(CONFIG_COMMANDS, config);
}

/**
 * `config`, `config get`: read (secrets are masked); `config set`: a change, or a secret's when the
 * key is a secret or the MQTT console's own privilege (remoteConsole); `config reset` of all keys or
 * of such a key: the same.
 */
function configAccess(args: readonly string[]): "read" | "change" | "secret" {
  const sub = (args[0] ?? "").toLowerCase();
  if (sub === "" || sub === "show" || sub === "list" || sub === "get") return "read";
  if (sub !== "set" && sub !== "reset") return "read"; // a usage error
  if (sub === "reset" && args.length < 2) return "secret"; // every key, secrets too
  const setting = findSetting(args[1] ?? "");
  if (!setting) return "change";
  // who may command the gateway, whether a BMS's protection limits may be rewritten or its status cleared: physical access only
  return setting.secret || setting.key === "remoteConsole" || setting.key === "settingsWrite" || setting.key === "maintenance" ? "secret" : "change";
}

/** The commands, in flash on a device (a frozen table of a preloaded module: no RAM per command). */
const LOG_COMMANDS: readonly CommandSpec<Log>[] = Object.freeze([
  defineCommand<Log>({
    name: "log", usage: "log [level [error|warn|info|debug]]",
    summary: "recent log lines; 'log level X' sets the level until reboot",
    access: (args) => (args.length >= 2 ? "change" : "read"),
    run: (log, args, out) => {
      if (!args.length) {
        out.line(`log level ${log.levelName}; errors ${log.counts[0]}, warnings ${log.counts[1]}`);
        for (const line of log.recent()) out.line(line);
        return;
      }
      if (args[0].toLowerCase() !== "level" || args.length > 2) return false;
      if (args.length === 1) {
        out.line("log level " + log.levelName);
        return;
      }
      if (!log.setLevel(args[1])) throw new UsageError(`unknown level '${args[1]}'`);
      out.line("log level " + log.levelName);
    },
  }),
]);

export function registerLogCommands(registry: CommandRegistry, log: Log): void {
  registry.addTable(LOG_COMMANDS, log);
}

/** Make the logger follow the logLevel setting, now and whenever it changes. */
export function applyLogLevel(config: Config, log: Log): void {
  log.setLevel(config.get("logLevel"));
  config.onChange((key) => {
    if (key === "logLevel") log.setLevel(config.get("logLevel"));
  });
}
