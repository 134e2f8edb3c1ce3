// What the console's commands work on (gateway-commands' GatewayParts, tls-commands' TlsParts,
// settings-commands' SettingsParts), as one object whose methods live on its class's prototype: in
// flash on a device. The object literals of arrow functions main() used to make cost a closure each
// in RAM (about six slots apiece, README "RAM budget").
import Timer, { type TimerID } from "timer";
import type { Config } from "../config/config";
import type { MqttService } from "../bridge/mqtt-service";
import type { BleCentral } from "../link/ble-central";
import type { BmsLink } from "../link/bms-link";
import type { WifiManager } from "../net/wifi-manager";
import type { TlsGate, TlsTrust } from "../net/tls-trust";
import type { Uptime } from "../platform/uptime";
import type { Console, LineReader } from "./console";
import type { GatewayParts } from "./gateway-commands";
import type { SettingsParts } from "./settings-commands";
import { tlsStatusLines, type TlsParts } from "./tls-commands";

/** What the parts are made from (main.ts's objects). */
export interface ConsolePartsOf {
  links: BmsLink[];
  central: BleCentral;
  wifi: WifiManager;
  trust: TlsTrust;
  gate: TlsGate;
  config: Config;
  mqtt: MqttService;
  console: Console;
  uptime: Uptime;
  /** Why the previous boot ended in a deliberate restart ("" if not). */
  restartReason: string;
}

export class ConsoleParts implements GatewayParts, TlsParts, SettingsParts {
  readonly links: BmsLink[];
  readonly central: BleCentral;
  readonly wifi: WifiManager;
  readonly trust: TlsTrust;
  readonly gate: TlsGate;
  readonly restartReason: string;
  private readonly config: Config;
  private readonly mqtt: MqttService;
  private readonly console: Console;
  private readonly uptime: Uptime;

  constructor(of: ConsolePartsOf) {
    this.links = of.links;
    this.central = of.central;
    this.wifi = of.wifi;
    this.trust = of.trust;
    this.gate = of.gate;
    this.restartReason = of.restartReason;
    this.config = of.config;
    this.mqtt = of.mqtt;
    this.console = of.console;
    this.uptime = of.uptime;
  }

  // ---- GatewayParts ----
  mqttStatus(): string[] {
    const mqtt = this.mqtt, s = mqtt.stats, broker = mqtt.setup.broker;
    const lines = [`mqtt ${broker.host ? (mqtt.connection.online ? "connected" : "not connected") : "not configured"} ${broker.host}:${broker.port}` +
      `, connects ${s.connects}/${s.connectAttempts}, disconnects ${s.disconnects}, publishes ${s.publishes} (failed ${s.publishFailures}), messages in ${s.messagesIn}, malformed ${s.malformedCommands}`];
    if (broker.tls) for (const line of tlsStatusLines(this)) lines.push(line);
    return lines;
  }
  mqttReconnect(): void { this.mqtt.reconnect(); }
  mosControl(): boolean { return this.config.get("mosControl"); }
  maintenance(): string { return this.config.get("maintenance"); }
  print(text: string): void { this.console.print(text); }
  uptimeSeconds(): number { return Math.floor(this.uptime.ms / 1000); }
  restart(): boolean {
    const system = (globalThis as { System?: { restart?: () => void } }).System;
    if (!system?.restart) return false;
    for (const link of this.links) link.energy.flush(); // what the rule has not written yet
    Timer.set(() => system.restart!(), 200);
    return true;
  }

  // ---- TlsParts ----
  enabled(): boolean { return this.config.get("mqttTls"); }
  state(): { problem: string; failures: number } {
    return { problem: this.mqtt.connection.tlsProblem, failures: this.mqtt.connection.tlsFailures };
  }
  reconnect(): void { this.mqtt.reconnect(); }

  // ---- TlsParts and SettingsParts: the serial console's line reader and timers ----
  readLines(reader: LineReader | undefined): void { this.console.readLines(reader); }
  setTimer(fn: () => void, ms: number): unknown { return Timer.set(fn, ms); }
  clearTimer(handle: unknown): void { Timer.clear(handle as TimerID); }
}
