// `tls`: what the gateway trusts for MQTT over TLS and why it is (not) connecting; `tls ca` takes the
// broker's CA pasted as PEM at the serial console and keeps it in flash; `tls ca clear` forgets it.
// Changing the CA is a serial-console-only command: it decides who the gateway believes is its broker.
import type { LineReader } from "./console";
import type { Output } from "./output";
import { UsageError, defineCommand, type CommandRegistry, type CommandSpec } from "./registry";
import { PemReader, PemState, MAX_CA_BYTES } from "../net/pem";
import type { TlsGate, TlsTrust } from "../net/tls-trust";
import { dayText } from "../net/x509";

/** A paste that has not ended by then is abandoned (the console would otherwise stay taken). */
export const PASTE_TIMEOUT_MS = 120_000;

export interface TlsParts {
  trust: TlsTrust;
  gate: TlsGate;
  /** mqttTls. */
  enabled(): boolean;
  /** The connection's view: why TLS waits, failures since the last success. */
  state(): { problem: string; failures: number };
  /** Reconnect MQTT so a new CA is used now. */
  reconnect(): void;
  /** The serial console's line reader. */
  readLines(reader: LineReader | undefined): void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The `tls` status lines (also part of `status` when TLS is on). */
export function tlsStatusLines(parts: TlsParts): string[] {
  const lines = [`tls ${parts.enabled() ? "on" : "off (config set mqttTls on)"}: ${parts.gate.describe()}`];
  if (parts.trust.problem) lines.push("tls: " + parts.trust.problem);
  if (!parts.enabled()) return lines;
  const now = parts.gate.problem();
  const { problem, failures } = parts.state();
  if (now ?? problem) lines.push("tls waits: " + (now ?? problem));
  if (failures) lines.push(`tls: ${failures} connection${failures === 1 ? "" : "s"} failed before the broker accepted the gateway (see the log for what to check)`);
  return lines;
}

function paste(parts: TlsParts, out: Output): Promise<void> {
  out.line(`paste the broker's CA certificate (PEM, -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----, at most ${MAX_CA_BYTES} bytes DER); Ctrl-C cancels`);
  return new Promise<void>((resolve) => {
    const pem = new PemReader();
    let finished = false;
    const finish = (text: string) => {
      if (finished) return;
      finished = true;
      parts.clearTimer(timer);
      out.line(text);
      resolve();
    };
    const timer = parts.setTimer(() => {
      if (finished) return;
      parts.readLines(undefined); // the console's input is its own again
      finish(`tls ca: nothing complete within ${PASTE_TIMEOUT_MS / 1000} s: nothing stored`);
    }, PASTE_TIMEOUT_MS);
    const reader: LineReader = {
      line: (text) => {
        const state = pem.feed(text);
        if (state === PemState.Failed) { finish("tls ca: " + pem.error + ": nothing stored"); return true; }
        if (state !== PemState.Done) return false;
        let refusal: string | undefined;
        try { refusal = parts.trust.store(pem.der); } catch (error) { refusal = "flash write failed: " + String(error); }
        if (refusal) { finish("tls ca: " + refusal + ": nothing stored"); return true; }
        const ca = parts.trust.summary!;
        finish(`tls ca: stored '${ca.name}' (${ca.byteLength} bytes, valid ${dayText(ca.notBefore)} to ${dayText(ca.notAfter)}); MQTT reconnects`);
        parts.reconnect();
        return true;
      },
      cancel: (why) => finish("\r\ntls ca: " + why + ": nothing stored"), // after the half-echoed line
    };
    parts.readLines(reader);
  });
}

/** The commands, in flash on a device (a frozen table of a preloaded module: no RAM per command). */
const TLS_COMMANDS: readonly CommandSpec<TlsParts>[] = Object.freeze([
  defineCommand<TlsParts>({
    name: "tls", usage: "tls [ca [clear]]",
    summary: "TLS for MQTT: the CA and why it waits; 'tls ca' pastes the broker's CA (serial console only)",
    access: (args) => (args.length ? "serial" : "read"),
    run: (parts, args, out) => {
      if (!args.length) {
        for (const line of tlsStatusLines(parts)) out.line(line);
        return;
      }
      if (args[0] !== "ca" || args.length > 2 || (args.length === 2 && args[1] !== "clear")) throw new UsageError("tls [ca [clear]]");
      if (args.length === 1) return paste(parts, out);
      const had = parts.trust.source;
      try { parts.trust.clear(); } catch (error) { out.line("tls ca clear: flash erase failed: " + String(error)); return; }
      const now = parts.trust.source;
      out.line(had === "flash" ? `tls ca: the CA in flash is forgotten; now ${now === "none" ? "no CA" : "the built-in CA"}; MQTT reconnects` : "tls ca: no CA in flash (nothing to clear)");
      if (had === "flash") parts.reconnect();
    },
  }),
]);

export function registerTlsCommands(registry: CommandRegistry, parts: TlsParts): void {
  registry.addTable(TLS_COMMANDS, parts);
}
