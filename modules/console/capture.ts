// Run a console command and collect its answer as text (for the MQTT console topic). Pure.
import { CaptureOutput } from "./output";
import type { CommandRegistry } from "./registry";

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
