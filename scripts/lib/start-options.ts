// The command line of `npm start`: every option checked, with a message a user can act on
// (never a stack trace, never a NaN passed on). The broker URL becomes the firmware's own MQTT
// settings (mqttHost, mqttPort, mqttUser, mqttPassword, mqttTls), checked by the firmware's schema.
import fs from "node:fs";
import { findSetting, MAX_BMS } from "../../modules/config/schema";

export interface BrokerTarget {
  host: string;
  port: number;
  tls: boolean;
  user: string;
  password: string;
}

export interface StartOptions {
  /** undefined: the embedded broker. */
  broker: BrokerTarget | undefined;
  bms: number;
  node: boolean;
  /** Seconds; 0 = until stopped. */
  duration: number;
  quietMqtt: boolean;
  /** PEM text of the CA that signed an mqtts:// broker's certificate (--ca file). */
  ca: string | undefined;
  /** The file it came from. */
  caFile: string | undefined;
  /** Accept any certificate from an mqtts:// broker (self-signed test brokers). */
  insecure: boolean;
  /** Seconds to wait for late output after piped input has been answered. */
  linger: number;
  /** Keep running when piped standard input ends. */
  keepRunning: boolean;
  help: boolean;
}

export class OptionError extends Error {}

export const USAGE = `Usage: npm start -- [options]

The gateway firmware on the virtual device: the XS engine, simulated BMS, a real MQTT broker.
Its serial console is this terminal (type 'help'); Ctrl-C stops it.

Options:
  --broker <url>     an MQTT broker instead of the embedded one:
                       mqtt://host[:port]                plain, port 1883 by default
                       mqtts://host[:port]               TLS, port 8883 by default
                       mqtt[s]://user:password@host...   with a login (percent-encode @ : / in them)
  --ca <file>        PEM file of the CA that signed the mqtts:// broker's certificate
  --insecure         accept any certificate from the mqtts:// broker (self-signed test brokers)
  --bms <n>          number of simulated BMS, 1..${MAX_BMS} (default 1)
  --node             run the firmware in Node instead of XS (faster startup, debugging)
  --duration <s>     stop after this many seconds
  --quiet-mqtt       do not echo MQTT traffic
  --linger <s>       when standard input is not a terminal: after its last line has been
                     answered, wait this long for late output, then stop (default 2)
  --keep-running     when standard input is not a terminal: keep running after it ends
  -h, --help         this text

Exit status: 0 after a stop (Ctrl-C, a signal, --duration, the end of piped input), 2 for a bad
command line, 1 if the virtual device could not start.`;

const FLAGS = new Set(["--node", "--quiet-mqtt", "--insecure", "--keep-running", "--help", "-h"]);
const VALUED = new Set(["--broker", "--ca", "--bms", "--duration", "--linger"]);

function setting(key: string, text: string, what: string): void {
  const result = findSetting(key)!.parse(text);
  if (result.error !== undefined) throw new OptionError(`--broker: the ${what} ${result.error}`);
}

/** mqtt://[user[:password]@]host[:port] or mqtts://..., as the firmware's settings would take it. */
export function parseBrokerUrl(text: string): BrokerTarget {
  const hint = "expected mqtt://host[:port] or mqtts://[user:password@]host[:port]";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionError(`--broker: '${text}' is not a URL (${hint})`);
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (scheme !== "mqtt" && scheme !== "mqtts") throw new OptionError(`--broker: unsupported scheme '${scheme}' (${hint})`);
  const tls = scheme === "mqtts";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) throw new OptionError(`--broker: '${text}' has no host (${hint})`);
  if (url.pathname !== "" && url.pathname !== "/") throw new OptionError(`--broker: a broker URL has no path ('${url.pathname}')`);
  if (url.search || url.hash) throw new OptionError(`--broker: a broker URL has no query or fragment`);
  setting("mqttHost", host, "host");
  const port = url.port ? Number(url.port) : tls ? 8883 : 1883;
  if (!(port >= 1 && port <= 65535)) throw new OptionError(`--broker: the port must be 1..65535, got ${url.port}`);
  let user: string, password: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw new OptionError(`--broker: bad percent-encoding in the user name or password`);
  }
  if (password && !user) throw new OptionError(`--broker: a password needs a user name (mqtt://user:password@host)`);
  setting("mqttUser", user, "user name");
  setting("mqttPassword", password, "password");
  return { host, port, tls, user, password };
}

function seconds(name: string, text: string, allowZero: boolean): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || (!allowZero && value === 0) || value > 1e6)
    throw new OptionError(`${name} must be a number of seconds${allowZero ? "" : " above 0"}, got '${text}'`);
  return value;
}

export function parseStartOptions(argv: readonly string[]): StartOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (FLAGS.has(name)) {
      if (eq > 0) throw new OptionError(`${name} takes no value`);
      flags.add(name === "-h" ? "--help" : name);
    } else if (VALUED.has(name)) {
      let value: string | undefined;
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) value = argv[++i];
      if (value === undefined || value === "") throw new OptionError(`${name} needs a value (see --help)`);
      if (values.has(name)) throw new OptionError(`${name} given twice`);
      values.set(name, value);
    } else if (arg.startsWith("-")) {
      throw new OptionError(`unknown option ${name} (see --help)`);
    } else {
      throw new OptionError(`unexpected argument '${arg}' (options start with --; see --help)`);
    }
  }
  const options: StartOptions = {
    broker: undefined, bms: 1, node: flags.has("--node"), duration: 0, quietMqtt: flags.has("--quiet-mqtt"),
    ca: undefined, caFile: undefined, insecure: flags.has("--insecure"), linger: 2, keepRunning: flags.has("--keep-running"), help: flags.has("--help"),
  };
  if (options.help) return options;
  const bms = values.get("--bms");
  if (bms !== undefined) {
    if (!/^\d+$/.test(bms) || Number(bms) < 1 || Number(bms) > MAX_BMS) throw new OptionError(`--bms must be a whole number from 1 to ${MAX_BMS}, got '${bms}'`);
    options.bms = Number(bms);
  }
  const duration = values.get("--duration");
  if (duration !== undefined) options.duration = seconds("--duration", duration, false);
  const linger = values.get("--linger");
  if (linger !== undefined) options.linger = seconds("--linger", linger, true);
  const url = values.get("--broker");
  if (url !== undefined) options.broker = parseBrokerUrl(url);
  const ca = values.get("--ca");
  if ((ca !== undefined || options.insecure) && !options.broker?.tls)
    throw new OptionError(`${ca !== undefined ? "--ca" : "--insecure"} is for a TLS broker: give --broker mqtts://...`);
  if (ca !== undefined && options.insecure) throw new OptionError(`--ca and --insecure exclude each other`);
  if (ca !== undefined) {
    options.caFile = ca;
    try {
      options.ca = fs.readFileSync(ca, "utf8");
    } catch (error) {
      throw new OptionError(`--ca: cannot read '${ca}' (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (!options.ca.includes("-----BEGIN CERTIFICATE-----")) throw new OptionError(`--ca: '${ca}' is not a PEM certificate file`);
  }
  return options;
}

/** The firmware's mc/config overrides (strings, as on the mcconfig command line) for a broker. */
export function brokerConfig(target: { host: string; port: number; tls?: boolean; user?: string; password?: string }): Record<string, string> {
  return {
    mqttHost: target.host, mqttPort: String(target.port), mqttTls: target.tls ? "true" : "false",
    mqttUser: target.user ?? "", mqttPassword: target.password ?? "",
  };
}
