// Console commands for the person at the USB cable (and, through the MQTT console topic, for
// remote diagnostics): status, readings, statistics, scan, MOS, reconnect, raw frames, capture,
// reboot. They read the live objects; nothing here runs on the poll path.
import Time from "time";
import { memoryFigures } from "../platform/memory";
import type { BmsLink } from "../link/bms-link";
import type { BleCentral } from "../link/ble-central";
import type { MosResult } from "../link/bms-view";
import type { MaintenanceFacts, MaintenanceResult } from "../link/maintenance";
import { MAINTENANCE_FUNCTIONS, allowedMaintenance } from "../protocol/control";
import { RELEASE_DEFAULT_MINUTES, parseReleaseRequest } from "../link/release-request";
import type { WifiManager } from "../net/wifi-manager";
import { buildRequest, parseHex, toHex } from "../protocol/commands";
import { describeFrames } from "../protocol/describe";
import { PROTECTION_NAMES } from "../protocol/basic-info";
import { UsageError, defineCommand, type CommandRegistry, type CommandSpec } from "./registry";
import type { Output } from "./output";

export interface GatewayParts {
  links: BmsLink[];
  central: BleCentral;
  wifi: WifiManager;
  /** One line per MQTT fact (connection state, counters). */
  mqttStatus(): string[];
  mqttReconnect(): void;
  /** MOS commands allowed by config? */
  mosControl(): boolean;
  /** The maintenance functions allowed by config ("capacity,protection"; "" none). */
  maintenance?(): string;
  /** Print asynchronous lines (capture, scan results) on the console. */
  print(text: string): void;
  restart(): boolean;
  /** Why the previous boot ended in a deliberate restart ("" if not). */
  restartReason?: string;
  /** Seconds since start, wrap-safe (Time.ticks is epoch-based on the simulator and 32-bit on the ESP32). */
  uptimeSeconds(): number;
}

const SCAN_DEFAULT_S = 10;

function matchLink(parts: GatewayParts, name: string): BmsLink | undefined {
  return parts.links.find((l) => l.id === name || l.name === name || l.address?.toLowerCase() === name.toLowerCase());
}

function findLink(parts: GatewayParts, name: string | undefined): BmsLink {
  if (name === undefined) {
    if (parts.links.length === 1) return parts.links[0];
    throw new UsageError(`which BMS? one of: ${parts.links.map((l) => l.id).join(", ")}`);
  }
  const link = matchLink(parts, name);
  if (!link) throw new UsageError(`no BMS '${name}' (configured: ${parts.links.map((l) => l.id).join(", ")})`);
  return link;
}

/** An optional leading BMS argument: taken off `args` when it names one, else the only BMS. */
function takeLink(parts: GatewayParts, args: string[]): BmsLink {
  const named = args.length ? matchLink(parts, args[0]) : undefined;
  if (named) { args.shift(); return named; }
  return findLink(parts, undefined);
}

function age(at: number): string { return at === -1 ? "never" : `${(Time.delta(at) / 1000).toFixed(1)} s ago`; }

function uptime(seconds: number): string {
  let s = seconds;
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return `${d}d ${h}h ${m}m ${s}s`;
}

/** Memory figures the build reports (debug and instrumented builds; release builds report none). */
/** Live memory, read after a collection (modules/platform/memory.ts), where the build collects the figures. */
function memory(): string {
  const m = memoryFigures();
  if (!m) return "n/a (release build)";
  const figures: string[] = [];
  if (m.freeBytes !== undefined) figures.push(`free bytes ${m.freeBytes}`);
  if (m.slotHeapBytes !== undefined) figures.push(`XS slot heap bytes ${m.slotHeapBytes}`);
  if (m.chunkHeapBytes !== undefined) figures.push(`XS chunk heap bytes ${m.chunkHeapBytes}`);
  if (m.stackBytes !== undefined) figures.push(`XS stack bytes ${m.stackBytes}`);
  return figures.join(", ") + " (after a collection)";
}

function printStatus(parts: GatewayParts, out: Output): void {
  out.line(`uptime ${uptime(parts.uptimeSeconds())}, memory: ${memory()}`);
  out.line(`wifi ${parts.wifi.configured ? (parts.wifi.up ? "up" : "down") : "not configured"}` +
    `${parts.wifi.lastError ? ` (last error: ${parts.wifi.lastError})` : ""}`);
  for (const line of parts.mqttStatus()) out.line(line);
  const c = parts.central;
  const pending = c.connecting;
  out.line(`ble ${c.ready ? "ready" : "starting"}${c.scanning ? ", scanning" : ""}${pending ? `, connecting ${pending.id}` : ""}` +
    `${c.suspectSince !== undefined ? ", a connect may hang" : ""}, stack resets ${c.stackResets}, connect timeouts ${c.connectTimeouts}`);
  if (parts.restartReason) out.line(`last restart: ${parts.restartReason}`);
  for (const link of parts.links) {
    const released = link.released ? ` for ${Math.ceil(link.releaseRemainingMs / 60_000)} more min` : "";
    out.line(`bms ${link.id}: ${link.stateName}${released}${link.online ? ", online" : ", offline"}, address ${link.address ?? "(not found yet)"}` +
      `, rssi ${link.rssi ?? "?"} dBm, last reading ${age(link.infoAt)}${link.login.outcome ? `, login: ${link.login.outcome}` : ""}`);
  }
}

function printReading(link: BmsLink, out: Output): void {
  const info = link.info;
  if (link.infoAt === -1) { out.line(`${link.id}: no reading yet`); return; }
  out.line(`${link.id} (${age(link.infoAt)}): ${info.volts.toFixed(2)} V, ${info.amps.toFixed(2)} A, ${info.watts.toFixed(1)} W, SOC ${info.soc} %`);
  out.line(`  capacity ${info.remainingAh.toFixed(2)} / ${info.nominalAh.toFixed(2)} Ah, cycles ${info.cycles}`);
  const temps: string[] = [];
  for (let i = 0; i < info.temperatureCount; i++) temps.push(info.temperatureC(i).toFixed(1));
  out.line(`  temperatures ${temps.length ? temps.join(", ") + " °C" : "none"}`);
  out.line(`  charge FET ${info.chargeOn ? "on" : "off"}, discharge FET ${info.dischargeOn ? "on" : "off"}`);
  const active = PROTECTION_NAMES.filter((_, bit) => info.isProtected(bit));
  out.line(`  protection ${active.length ? active.join(", ") : "none"}`);
  printCells(link, out);
}

function printCells(link: BmsLink, out: Output): void {
  const cells = link.cells;
  if (link.cellsAt === -1 || !cells.count) { out.line(`${link.id}: no cell voltages yet`); return; }
  const list: string[] = [];
  let min = Infinity, max = 0;
  for (let i = 0; i < cells.count; i++) {
    const mv = cells.millivolts[i];
    list.push(`${i + 1}:${(mv / 1000).toFixed(3)}${link.info.isBalancing(i + 1) ? "*" : ""}`);
    if (mv < min) min = mv;
    if (mv > max) max = mv;
  }
  out.line(`  cells ${list.join(" ")}  (* balancing)`);
  out.line(`  min ${(min / 1000).toFixed(3)} V, max ${(max / 1000).toFixed(3)} V, delta ${max - min} mV`);
}

function printStats(link: BmsLink, out: Output): void {
  const s = link.stats, a = link.assembler.stats;
  out.line(`${link.id}: connects ${s.connects} (attempts ${s.connectAttempts}, timeouts ${s.connectTimeouts}), drops ${s.drops}, forced ${s.forcedDisconnects}, stack resets ${s.stackResets}`);
  out.line(`  reconnect last ${s.lastReconnectMs} ms, max ${s.maxReconnectMs} ms`);
  out.line(`  polls ok ${s.pollsOk}, failed ${s.pollsFailed} (timeouts ${s.timeouts}, retries ${s.retries}, error replies ${s.errorReplies}, strays ${s.strays})`);
  out.line(`  latency min ${s.latency.min} / median ~${s.latency.median} / max ${s.latency.max} ms (${s.latency.count} replies)`);
  out.line(`  frames ${a.frames}, discarded: garbage bytes ${a.garbageBytes}, bad checksum ${a.badChecksum}, bad end ${a.badEnd}, gap timeouts ${a.gapTimeouts}, error status ${a.errorStatus}`);
}

function duration(seconds: number): string {
  if (seconds < 0) return "-";
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min`;
}

function printEnergy(link: BmsLink, out: Output): void {
  const e = link.energy;
  out.line(`${link.id}: charged ${(Math.floor(e.chargedWh) / 1000).toFixed(3)} kWh, discharged ${(Math.floor(e.dischargedWh) / 1000).toFixed(3)} kWh` +
    `, time to empty ${duration(e.timeToEmptyS)}, time to full ${duration(e.timeToFullS)}`);
  out.line(`  flash writes ${e.writes} (failed ${e.writeFailures}), gaps not integrated ${e.gaps}`);
}

function mosResultText(r: MosResult): string {
  const state = r.charge === undefined ? "" : ` (now charge ${r.charge ? "on" : "off"}, discharge ${r.discharge ? "on" : "off"})`;
  return r.ok ? `ok: ${r.fet} FET ${r.requested ? "on" : "off"} confirmed${state}` : `failed: ${r.error}${state}`;
}

function factsText(facts: MaintenanceFacts | undefined): string {
  if (!facts) return "?";
  const shown: string[] = [];
  if (facts.soc !== undefined) shown.push(`SOC ${facts.soc} %`);
  if (facts.remainingAh !== undefined) shown.push(`${facts.remainingAh.toFixed(2)} Ah`);
  if (facts.protection !== undefined) shown.push(`protection: ${facts.protection}`);
  if (facts.errorCounters !== undefined) shown.push(`error counters: ${facts.errorCounters}`);
  return shown.join(", ") || "?";
}

function maintenanceText(r: MaintenanceResult): string {
  const change = r.after ? ` (before: ${factsText(r.before)}; after: ${factsText(r.after)})` : "";
  return r.ok ? `ok: ${r.function} done${change}` : `failed: ${r.error}${change}`;
}

/** The commands, in flash on a device (a frozen table of a preloaded module: no RAM per command). */
const GATEWAY_COMMANDS: readonly CommandSpec<GatewayParts>[] = Object.freeze([
  defineCommand<GatewayParts>({
    name: "status", usage: "status",
    summary: "Wi-Fi, MQTT, BLE and each BMS link, uptime, memory (where the build reports it)",
    access: "read",
    run: (parts, args, out) => {
      if (args.length) return false;
      printStatus(parts, out);
    },
  }),
  defineCommand<GatewayParts>({
    name: "reading", usage: "reading [bms]",
    summary: "the latest reading and cell voltages",
    access: "read",
    run: (parts, args, out) => {
      if (args.length > 1) return false;
      if (!args.length && parts.links.length > 1) { for (const l of parts.links) printReading(l, out); return; }
      printReading(findLink(parts, args[0]), out);
    },
  }),
  defineCommand<GatewayParts>({
    name: "cells", usage: "cells [bms]",
    summary: "cell voltages with min/max/delta",
    access: "read",
    run: (parts, args, out) => {
      if (args.length > 1) return false;
      printCells(findLink(parts, args[0]), out);
    },
  }),
  defineCommand<GatewayParts>({
    name: "stats", usage: "stats [bms]",
    summary: "link, frame and MQTT statistics",
    access: "read",
    run: (parts, args, out) => {
      if (args.length > 1) return false;
      for (const link of args.length ? [findLink(parts, args[0])] : parts.links) printStats(link, out);
      for (const line of parts.mqttStatus()) out.line(line);
    },
  }),
  defineCommand<GatewayParts>({
    name: "scan", usage: "scan [seconds]",
    summary: "list nearby BLE devices (name, address, RSSI)",
    access: "read",
    run: (parts, args, out) => {
      if (args.length > 1) return false;
      const seconds = args.length ? Number(args[0]) : SCAN_DEFAULT_S;
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) throw new UsageError("seconds: an integer 1..60");
      // advertisement and scan response come as separate reports (the name often only in the
      // latter): collect per address and list them when the scan ends
      const seen = new Map<string, { rssi: number; name: string | undefined }>();
      const started = parts.central.scanFor(seconds * 1000, (device) => {
        const address = String(device.address);
        const ad = device.scanResponse;
        const name = ad.completeName ?? ad.shortName;
        const entry = seen.get(address);
        if (!entry) seen.set(address, { rssi: device.rssi, name });
        else if (name !== undefined) entry.name = name;
      });
      if (!started) { out.line("BLE busy (connecting or not ready); try again in a few seconds"); return; }
      out.line(`scanning for ${seconds} s...`);
      return new Promise<void>((resolve) => {
        const poll = () => {
          if (parts.central.userScanning) { timer.set(poll, 250); return; }
          for (const [address, d] of seen) out.line(`  ${address}  ${String(d.rssi).padStart(4)} dBm  ${d.name || "(no name)"}`);
          out.line(`${seen.size} device(s) seen`);
          // a JBD module stops advertising while it is connected: name the ones we hold
          for (const link of parts.links) if (link.connected) out.line(`  ${link.address}  connected (${link.id}): does not advertise while connected`);
          resolve();
        };
        timer.set(poll, 250);
      });
    },
  }),
  defineCommand<GatewayParts>({
    name: "mos", usage: "mos [bms] <charge|discharge> <on|off>",
    summary: "switch a FET and confirm by reading back",
    run: (parts, args, out) => {
      const link = takeLink(parts, args);
      if (args.length !== 2) return false;
      const fet = args[0].toLowerCase(), value = args[1].toLowerCase();
      if (fet !== "charge" && fet !== "discharge") throw new UsageError(`FET must be charge or discharge, got '${args[0]}'`);
      if (value !== "on" && value !== "off") throw new UsageError(`state must be on or off, got '${args[1]}'`);
      if (!parts.mosControl()) { out.line("refused: MOS control is disabled (config set mosControl on)"); return; }
      return new Promise<void>((resolve) => link.setMos(fet, value === "on", (r) => { out.line(mosResultText(r)); resolve(); }));
    },
  }),
  defineCommand<GatewayParts>({
    name: "maintenance", usage: `maintenance [bms] <${MAINTENANCE_FUNCTIONS.map((fn) => fn.name).join("|")}>`,
    summary: "run a maintenance function of the BMS (V11 firmware), if the maintenance setting allows it, and read its effect back",
    run: (parts, args, out) => {
      // two words: the first names the BMS (a wrong name is said as such, not taken for a missing one)
      const link = args.length === 2 ? findLink(parts, args.shift()) : takeLink(parts, args);
      if (args.length !== 1) return false;
      return new Promise<void>((resolve) => link.maintain(args[0], (r) => { out.line(`${link.id}: ${maintenanceText(r)}`); resolve(); }));
    },
  }),
  defineCommand<GatewayParts>({
    name: "reconnect", usage: "reconnect [bms|ble|wifi|mqtt]",
    summary: "drop a link and connect again",
    run: (parts, args, out) => {
      if (args.length > 1) return false;
      const what = args[0]?.toLowerCase();
      if (what === "wifi") { parts.wifi.reconnect(); out.line("Wi-Fi reconnecting"); return; }
      if (what === "mqtt") { parts.mqttReconnect(); out.line("MQTT reconnecting"); return; }
      if (what === "ble") { out.line("BLE: checking the stack; a pending connect can only be cleared by a restart"); parts.central.recover("console: reconnect ble"); return; }
      for (const link of what ? [findLink(parts, args[0])] : parts.links) { link.reconnect(); out.line(`${link.id}: reconnecting`); }
    },
  }),
  defineCommand<GatewayParts>({
    name: "release", usage: "release [bms] [minutes|off]",
    summary: `let the JBD app have a BMS for a while (default ${RELEASE_DEFAULT_MINUTES} min), or take it back`,
    run: (parts, args, out) => {
      const link = takeLink(parts, args);
      if (args.length > 1) return false;
      const request = parseReleaseRequest(args[0] ?? "");
      if (typeof request === "string") throw new UsageError(request);
      if ("resume" in request) {
        out.line(link.resume("console") ? `${link.id}: release over, connecting again` : `${link.id}: not released`);
        return;
      }
      link.release(request.minutes);
      out.line(`${link.id}: released for ${request.minutes} min: the link closes and comes back by itself (release ${link.id} off: at once)`);
    },
  }),
  defineCommand<GatewayParts>({
    name: "send", usage: "send [bms] <hex frame> | send [bms] read <reg>",
    summary: "send a raw request, print the reply in hex",
    run: (parts, args, out) => {
      const link = takeLink(parts, args);
      if (!args.length) return false;
      let bytes: Uint8Array;
      if (args[0]?.toLowerCase() === "read" && args.length === 2) {
        const reg = Number(args[1]);
        if (!Number.isInteger(reg) || reg < 0 || reg > 255) throw new UsageError("register: 0..255 (e.g. 0x03)");
        bytes = new Uint8Array(buildRequest(false, reg, []));
      } else {
        const parsed = parseHex(args.join(" "));
        if (typeof parsed === "string") throw new UsageError(parsed);
        if (parsed.length < 7 || parsed[0] !== 0xdd || parsed[parsed.length - 1] !== 0x77) throw new UsageError("a frame starts with DD and ends with 77 (DD A5 03 00 FF FD 77)");
        bytes = parsed;
      }
      // a raw MOS write is a MOS command: it obeys mosControl like the others
      if (bytes[1] === 0x5a && (bytes[2] === 0xe1 || bytes[2] === 0xfb) && !parts.mosControl()) {
        out.line("refused: a MOS write while MOS control is disabled (config set mosControl on)");
        return;
      }
      // a raw control function: only those 'maintenance' offers (the others can cut the pack's power), when allowed
      if (bytes[1] === 0x5a && bytes[2] === 0x0a) {
        const code = bytes.length > 5 ? (bytes[4] << 8) | bytes[5] : -1;
        const fn = MAINTENANCE_FUNCTIONS.find((f) => f.code === code);
        if (!fn || !allowedMaintenance(parts.maintenance?.() ?? "", fn.name)) {
          out.line(fn ? `refused: ${fn.name} is not allowed (config set maintenance ${fn.name}), and is better run as 'maintenance ${fn.name}'`
            : "refused: control functions (0x0A) other than those of 'maintenance' are never sent (they can cut the pack's power)");
          return;
        }
      }
      out.line(`tx ${toHex(bytes)}`);
      return new Promise<void>((resolve) => link.sendRaw(bytes.slice().buffer, (reply, error) => {
        if (reply) { out.line(`rx ${toHex(reply)}`); for (const text of describeFrames(reply)) out.line(`   ${text}`); }
        else out.line(`no reply: ${error}`);
        resolve();
      }));
    },
  }),
  defineCommand<GatewayParts>({
    name: "capture", usage: "capture [on|off]",
    summary: "print every frame in and out in hex",
    run: (parts, args, out) => {
      if (args.length > 1) return false;
      const on = args.length ? args[0].toLowerCase() === "on" : !parts.links.some((l) => l.capture);
      if (args.length && !["on", "off"].includes(args[0].toLowerCase())) return false;
      for (const link of parts.links) {
        link.capture = on ? (direction, bytes) => parts.print(`${link.id} ${direction} ${toHex(bytes)}`) : undefined;
      }
      out.line(`capture ${on ? "on" : "off"}`);
    },
  }),
  defineCommand<GatewayParts>({
    name: "energy", usage: "energy [bms] | energy reset <bms>",
    summary: "energy totals and runtime estimates; reset a pack's totals to zero",
    access: (args) => (args[0]?.toLowerCase() === "reset" ? "change" : "read"),
    run: (parts, args, out) => {
      if (args[0]?.toLowerCase() === "reset") {
        if (args.length !== 2) return false;
        const link = findLink(parts, args[1]);
        link.energy.reset();
        out.line(`${link.id}: energy totals reset to 0 kWh${link.energy.writeFailures ? " (flash write failed: kept in RAM only)" : ""}`);
        return;
      }
      if (args.length > 1) return false;
      for (const link of args.length ? [findLink(parts, args[0])] : parts.links) printEnergy(link, out);
    },
  }),
  defineCommand<GatewayParts>({
    name: "reboot", usage: "reboot",
    summary: "restart the gateway",
    run: (parts, args, out) => {
      if (args.length) return false;
      out.line(parts.restart() ? "rebooting..." : "reboot is not available in this build");
    },
  }),
]);

export function registerGatewayCommands(registry: CommandRegistry, parts: GatewayParts): void {
  registry.addTable(GATEWAY_COMMANDS, parts);
}

// Timer through a tiny indirection so this module stays testable without the platform. A property,
// not a module-level `let`: a preloaded module's bindings are constants on the device ("set x: const").
const timer: { set: (fn: () => void, ms: number) => void } = { set: () => {} };
export function useTimer(set: (fn: () => void, ms: number) => void): void { timer.set = set; }
