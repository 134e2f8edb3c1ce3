// Run a console command and collect its answer as text (for the MQTT console topic). Pure.
import { CaptureOutput } from "./output";
import type { CommandRegistry } from "./registry";
import type { RemoteConsole } from "../config/schema";

/** Default answer size for remote commands (bytes, before "…(truncated)"). */
export const REMOTE_OUTPUT_LIMIT = 2048;

/**
 * The answer of one command line, limited to `limit` bytes. Synchronous commands answer at once;
 * asynchronous ones (scan, raw) return a promise that never rejects. Secrets are already masked by
 * the commands themselves.
 */
export function runCaptured(registry: CommandRegistry, line: string, limit = REMOTE_OUTPUT_LIMIT): string | Promise<string> {
  const out = new CaptureOutput(limit);
  const pending = registry.run(line, out);
  if (pending) return pending.then(() => out.text());
  return out.text();
}

/** Where remote commands are logged: the serial console and `log`. */
export interface RemoteLog { info(message: string, value?: unknown): void; warn(message: string, value?: unknown): void }

/**
 * A command line from the MQTT console: run when `mode` allows it, else refused with the reason;
 * logged either way (a secret's value never: only its key). `off`: nothing runs; `read`: read-only
 * commands; `full`: everything but secrets and remoteConsole itself (the serial console, physical
 * access, keeps every command).
 */
export function runRemote(registry: CommandRegistry, line: string, mode: RemoteConsole, log: RemoteLog, limit = REMOTE_OUTPUT_LIMIT): string | Promise<string> {
  const { name, access, args } = registry.accessOf(line);
  const shown = access === "secret" ? (name + " " + args.slice(0, 2).join(" ") + " ****").trim() : line;
  let refusal = "";
  if (mode === "off") refusal = "refused: the console over MQTT is off (remoteConsole off: set it on the serial console)";
  else if (access === "secret") refusal = "refused: secrets, remoteConsole, settingsWrite and maintenance are set on the serial console only";
  else if (access === "serial") refusal = `refused: '${name}' works on the serial console only (it changes what the gateway trusts)`;
  else if (access === "change" && mode !== "full") {
    refusal = `refused: '${name}' changes the gateway; over MQTT only read-only commands run (remoteConsole read; 'config set remoteConsole full' on the serial console allows the rest)`;
  }
  if (refusal) {
    log.warn("MQTT console refused:", shown);
    return refusal + "\n";
  }
  if (name) log.info("MQTT console:", shown);
  return runCaptured(registry, line, limit);
}
