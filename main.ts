// jbd-gateway: wiring only. Each part lives in modules/ (protocol, link, bridge, net, config,
// console); this file creates them in order and connects their callbacks.
import Net from "net";
import Timer from "timer";
import { Config } from "./modules/config/config";
import { platformConfigSource, platformDeviceIdStore } from "./modules/config/platform";
import { deviceId } from "./modules/config/device-id";
import { bmsId, bmsSecretKeys, formatMac, type BmsEntry } from "./modules/config/schema";
import { Log, traceSink } from "./modules/console/log";
import { CommandRegistry } from "./modules/console/registry";
import { Console } from "./modules/console/console";
import { openSerialConsole } from "./modules/console/serial-platform";
import { registerConfigCommands, registerLogCommands, applyLogLevel } from "./modules/console/config-commands";
import { registerGatewayCommands, useTimer } from "./modules/console/gateway-commands";
import { runRemote } from "./modules/console/capture";
import { BleCentral } from "./modules/link/ble-central";
import { Recovery } from "./modules/link/ble-recovery";
import { bleStore, foundAddress, rememberAddress } from "./modules/link/ble-memory";
import { BmsLink } from "./modules/link/bms-link";
import { energyStore } from "./modules/link/energy-store";
import type { LinkListener } from "./modules/link/bms-view";
import { stateExpiry } from "./modules/bridge/bridge";
import { bankTopology } from "./modules/bridge/bank";
import { MqttService } from "./modules/bridge/mqtt-service";
import { sdkClock, sdkDiscoveryStore, sdkMqtt, sdkSecureSocket, sdkTimers } from "./modules/bridge/sdk-ports";
import { WifiManager } from "./modules/net/wifi-manager";
import { Uptime } from "./modules/platform/uptime";
import { reportTimeoutErrorsTo } from "./modules/platform/timeout";
import { memoryFigures } from "./modules/platform/memory";
import { ClockSync } from "./modules/net/clock-sync";
import { TlsGate, TlsTrust } from "./modules/net/tls-trust";
import { platformTrust, systemFreeMemory } from "./modules/net/tls-platform";
import { registerTlsCommands } from "./modules/console/tls-commands";
import { ConsoleParts } from "./modules/console/console-parts";
import { registerSettingsCommands } from "./modules/console/settings-commands";

const VERSION = "0.1.0";

function main(): void {
  const uptime = new Uptime();
  const log = new Log({ now: () => uptime.ms });
  log.addSink(traceSink);
  reportTimeoutErrorsTo(log);

  const registry = new CommandRegistry();
  const console = new Console(registry, { banner: `jbd-gateway ${VERSION} — type 'help'` });
  log.addSink((_level, line) => console.print(line));
  const serial = openSerialConsole(console);
  if (serial.error) log.warn("serial console unavailable:", serial.error);

  const config = new Config(platformConfigSource()); // warnings shown after the banner
  applyLogLevel(config, log);
  const settings = config.values();

  // Wi-Fi before the id: on ESP32 the MAC exists only once Wi-Fi is initialised (modNet.c)
  const clock = new ClockSync(log);
  const wifi = new WifiManager(settings.ssid, settings.password, {
    onUp: () => { bridge.resume(); clock.start(); },
    onDown: () => { bridge.pause(); clock.stop(); },
  }, log);
  wifi.initStation();
  const device = deviceId(platformDeviceIdStore, () => Net.get("MAC"), Math.random, settings.mqttHost !== "");
  config.useDeviceId(device.suffix);
  const gatewayId = config.gatewayName();

  // BLE: a deliberate restart is the way out of what only a reboot clears (ble-recovery).
  const recovery = new Recovery({
    restart: () => {
      const system = (globalThis as { System?: { restart?: () => void } }).System;
      if (!system?.restart) return false;
      system.restart();
      return true;
    },
    uptimeMs: () => uptime.ms, store: bleStore, log,
  });
  // TLS: the broker's CA from flash or the build, checked only once the clock is set (tls-trust)
  const trust = new TlsTrust(platformTrust);
  const tls = new TlsGate({ trust, verify: () => config.get("mqttTlsVerify"), now: () => Date.now(), freeMemory: systemFreeMemory });
  // The MQTT settings are read again at every change of them and at `reconnect mqtt` (mqtt-service).
  const bridge = new MqttService(() => ({
    bridge: {
      prefix: config.get("topicPrefix"), gatewayId: config.gatewayName(), discovery: config.get("haDiscovery"), discoveryPrefix: config.get("haPrefix"),
      mosControl: config.get("mosControl"), firmwareVersion: VERSION, restartReason: recovery.bootReason,
      stateExpireS: stateExpiry(config.get("pollInterval")), maintenance: config.get("maintenance"),
      bank: bankTopology(config.get("bank")),
    },
    broker: { host: config.get("mqttHost"), port: config.get("mqttPort"), tls: config.get("mqttTls"), tlsVerify: config.get("mqttTlsVerify"), user: config.get("mqttUser"), password: config.get("mqttPassword") },
  }), { MQTT: sdkMqtt, SecureSocket: sdkSecureSocket, tls, timers: sdkTimers, clock: sdkClock, log, random: Math.random, discoveryStore: sdkDiscoveryStore, memory: memoryFigures });

  // The links tell the bridge (a LinkListener that never throws: BLE callbacks) directly: a
  // forwarding object would cost a closure per event in RAM.
  const listener: LinkListener = bridge;

  const central = new BleCentral(log, recovery);
  const readSetting = (key: string) => String(config.get(key as "bmsRootPassword"));
  const links = settings.bms.map((entry: BmsEntry, index: number) => {
    // a BMS found by scanning is named after its MAC; the address found last time keeps it stable
    const query = entry.match === "name" ? entry.pattern ?? "" : "*";
    const found = entry.match === "mac" ? undefined : foundAddress(index, query);
    const mac = entry.match === "mac" ? entry.mac : found;
    const address = mac ? formatMac(mac) : "";
    const id = bmsId(entry, found);
    const link = new BmsLink({
      id: id ?? `bms${index + 1}`,
      name: entry.name || address || `BMS ${index + 1}`,
      address,
      pattern: entry.match === "name" ? entry.pattern ?? "" : "",
      pollIntervalMs: settings.pollInterval * 1000,
      // read when a login needs them: a password set at the console counts from the next login
      secretSettings: bmsSecretKeys(index), readSetting,
      energyFlash: { store: energyStore, slot: index + 1 },
      // first sight of a scanned-for BMS: its MAC becomes its id (unless named), kept in flash
      onFound: id ? undefined : (found, at) => {
        const hex = at.replace(/:/g, "").toLowerCase();
        found.config.id = bmsId(entry, hex)!;
        try { rememberAddress(index, query, hex); } catch (error) { log.warn("BMS address not saved:", error); }
        bridge.addBms(found);
      },
    }, central, listener, log);
    central.add(link);
    if (id) bridge.addBms(link);
    return link;
  });
  let wifiChange: unknown;
  config.onChange((key, effect) => {
    if (key === "pollInterval") {
      for (const link of links) link.config.pollIntervalMs = config.get("pollInterval") * 1000;
      bridge.setStateExpiry(stateExpiry(config.get("pollInterval")));
    }
    if (key === "mosControl") bridge.setMosControl(config.get("mosControl"));
    if (key === "maintenance") bridge.setMaintenance(config.get("maintenance"));
    if (key === "settingsWrite") for (const link of links) link.settingsChanged(); // HA: numbers or read-only sensors
    if (effect === "mqtt") bridge.settingsChanged();
    // both keys in one command (config reset): one Wi-Fi reconnect, on the next turn
    if ((key === "ssid" || key === "password") && wifiChange === undefined) {
      wifiChange = Timer.set(() => {
        wifiChange = undefined;
        try { wifi.setCredentials(config.get("ssid"), config.get("password")); } catch (error) { log.error("Wi-Fi settings:", error); }
      }, 0);
    }
  });

  registerConfigCommands(registry, config);
  registerLogCommands(registry, log);
  useTimer((fn, ms) => Timer.set(fn, ms));
  const parts = new ConsoleParts({ links, central, wifi, trust, gate: tls, config, mqtt: bridge, console, uptime, restartReason: recovery.bootReason });
  registerTlsCommands(registry, parts);
  registerSettingsCommands(registry, parts);
  registerGatewayCommands(registry, parts);
  bridge.setConsoleHandler((line, reply) => {
    const result = runRemote(registry, line, config.get("remoteConsole"), log);
    if (typeof result === "string") reply(result);
    else result.then(reply, (error) => reply(`error: ${error}`));
  });

  console.start();
  for (const warning of config.warnings) log.warn(warning);
  log.info("gateway", gatewayId);
  if (device.warning) log.warn(device.warning);

  central.start();
  for (const link of links) link.start();
  if (wifi.configured) { bridge.pause(); wifi.start(); }
  else clock.start(); // network managed outside the firmware (simulator builds)
  bridge.start();
}

main();
