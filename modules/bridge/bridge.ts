// The MQTT bridge: BMS readings out, MOS commands in, Home Assistant discovery, diagnostics.
//
// Link and connection events only mark what a BMS (or the gateway) needs published; the pump
// (pump.ts) asks for the most urgent marked item, turn by turn. Marks made while offline are all
// sent on the next connect: only the latest value of a topic matters.
//
// Availability: the gateway's is retained and the broker's will says "offline" when the gateway
// dies. A pack's cannot be a will too (one will per connection), so a retained "online" there would
// outlive a dead gateway for every consumer but Home Assistant (which also reads the gateway's). A
// pack's availability is therefore not retained: it is sent at each connect, after each discovery
// pass and with every diag (60 s), and a retained copy (an older firmware's) is deleted once per boot.
//
// Every entry point (link callbacks, MQTT callbacks, timers) is a boundary: nothing thrown inside
// may escape, since on the device an uncaught exception reboots it.
import type { BmsView, LinkListener } from "../link/bms-view";
import type { Logger } from "../link/logger";
import { JsonWriter, ReadingTexts } from "../protocol/json";
import { utf8Bytes } from "../protocol/json-writer";
import { payloadText, quoted, MAX_CONSOLE_LINE } from "./incoming";
import { DeviceDiscovery, discoveryTopic, nodeId, partTopic } from "./discovery";
import { DiscoveryPass, type PassPlan } from "./discovery-pass";
import { DiscoveryMemory, type DiscoveryStore } from "./discovery-memory";
import { BMS_ENTITY_SLOTS, BMS_PARTS, GATEWAY_ENTITIES, GATEWAY_PART, bmsEntity, hasBmsEntity, type Shape } from "./entities";
import { MosCommands } from "./mos-commands";
import { MqttConnection, type MqttPlatform } from "./mqtt-connection";
import { bmsDiagJson, gatewayDiagJson, infoJson, refusalJson, softwareVersion, stateJson } from "./payloads";
import type { Clock, TimerHandle } from "./ports";
import { Pump } from "./pump";
import { ReleaseCommands } from "./release-commands";
import { MaintenanceCommands } from "./maintenance-commands";
import { BANK_ENTITIES, Bank, type BankTopology } from "./bank";
import type { MemoryFigures } from "../platform/memory";
import { SettingsCommands } from "./settings-commands";
import { settingsJson } from "./settings-payloads";
import { Retirement, type RetirePlan, type TopicGroup } from "./retire";
import { BmsTopics, GatewayTopics, OFFLINE, ONLINE, RELEASED } from "./topics";

export interface BridgeSettings {
  /** First level(s) of every topic (default "jbd"). */
  prefix: string;
  /** The gateway's id in topics. */
  gatewayId: string;
  /** Home Assistant discovery on/off, and its prefix (default "homeassistant"). */
  discovery: boolean;
  discoveryPrefix: string;
  /** MOS commands accepted; when off they are refused with "control disabled". */
  mosControl: boolean;
  /** The maintenance functions allowed ("capacity,protection"; "" or absent: none): Home Assistant gets their buttons. */
  maintenance?: string;
  /** The packs are wired as one bank (bank.ts); absent or "": no bank device. */
  bank?: BankTopology | "";
  /** Default 60 s. */
  diagIntervalMs?: number;
  /** Home Assistant's expire_after for entities of the BMS state (stateExpiry(pollInterval)); 0 or absent: none. */
  stateExpireS?: number;
  /** Shown in Home Assistant as the gateway's firmware version. */
  firmwareVersion?: string;
  /** Why the previous boot ended in a deliberate restart (gateway diag "restartReason"), "" if not. */
  restartReason?: string;
}

export interface BrokerSettings {
  host: string;
  /** 0: 1883, or 8883 with TLS. */
  port: number;
  tls: boolean;
  /** mqttTlsVerify: the broker's certificate checked (read by the TLS gate; here so a change reconnects). */
  tlsVerify?: boolean;
  user: string;
  password: string;
  /** Default: the gateway id. */
  clientId?: string;
  keepAliveMs?: number;
  connectTimeoutMs?: number;
}

export interface BridgePorts extends MqttPlatform {
  clock: Clock;
  log: Logger;
  /** The gateway's uptime for diag payloads; default: seconds since this bridge was made. */
  uptimeSeconds?: () => number;
  /** Flash for what discovery must remember (announced BMS, migration done); absent: nothing kept. */
  discoveryStore?: DiscoveryStore;
  /** The gateway's memory after a collection, where the build collects it (gateway diag); absent: none reported. */
  memory?: () => MemoryFigures | undefined;
  /** Availability topics whose retained copy was deleted since boot, shared by the bridges of one gateway. */
  clearedAvailability?: Set<string>;
}

/** Runs one console command line; `reply` may be called any number of times. */
export type ConsoleHandler = (line: string, reply: (text: string) => void) => void;

/**
 * What a BMS or the gateway still needs published (bit set). The bits' order is the publishing order
 * (lowest first): availability first, so nothing is shown live before it is; the settings (about 2 KB
 * each, rarely changing) last, so a full republish stays within the send buffer on a healthy link
 * (mqtt-pacing.test.ts).
 */
const enum Need { Availability = 1, State = 2, Info = 4, Discovery = 8, Diag = 16, Settings = 32 }

const DIAG_INTERVAL_MS = 60_000;

/**
 * How long Home Assistant shows a state reading before it shows "unavailable": three missed polls
 * and half a minute more (a reconnect, a settings read), never under a minute. A link that is down
 * says so at once through availability; this is for a gateway that is up but has stopped reading.
 */
export function stateExpiry(pollIntervalS: number): number {
  return Math.max(60, 3 * pollIntervalS + 30);
}
/** Home Assistant's birth messages closer together than this make one republish (HA restarts take longer). */
const BIRTH_MIN_INTERVAL_MS = 10_000;
const MAX_CONSOLE_REPLY = 2048;
const ORIGIN = "jbd-gateway";

class BmsSlot {
  need = Need.Availability | Need.Diag;
  online: boolean;
  /** Shape of the entities last announced; `known` once a reading gave one. */
  readonly shape: Shape = { cells: 0, temperatures: 0, extended: false, control: false };
  known = false;
  /** The discovery pass under way (each part lists exactly the entities this shape has: HA removes the rest). */
  pass: DiscoveryPass | undefined;
  /** Parts (bit per BMS_PARTS index) announced empty since boot: an empty one is not sent again. */
  emptyParts = 0;
  /** The state's rarely changing parts, as last written for this pack. */
  readonly texts = new ReadingTexts();

  constructor(readonly view: BmsView, readonly topics: BmsTopics, readonly node: string) {
    this.online = view.online;
  }
}

export class Bridge implements LinkListener {
  readonly connection: MqttConnection;
  readonly topics: GatewayTopics;
  readonly #slots: BmsSlot[] = [];
  readonly #pump: Pump;
  readonly #commands: MosCommands;
  readonly #releases: ReleaseCommands;
  readonly #maintenance: MaintenanceCommands;
  /** The bank of every configured pack (made at start, with two or more), and what it needs published. */
  #bank: Bank | undefined;
  #bankNeed = 0;
  readonly #settingsCommands: SettingsCommands;
  readonly #w = new JsonWriter();
  readonly #gatewayNode: string;
  readonly #gatewayDiscovery: DeviceDiscovery;
  #gatewayNeed = 0;
  #gatewayPass: DiscoveryPass | undefined;
  readonly #memory: DiscoveryMemory;
  /** BMS announced by an earlier boot that are no longer configured: removed from HA, topics cleared. */
  #gone: string[] = [];
  #gonePass: DiscoveryPass | undefined;
  /** <haPrefix>/status: Home Assistant's birth ("online") and will ("offline"). */
  readonly #haStatus: string;
  #lastBirth: number | undefined;
  #diagTimer: TimerHandle | undefined;
  #consoleHandler: ConsoleHandler | undefined;
  /** Clearing the topics this gateway leaves (retire()): then nothing else is published. */
  #retirement: Retirement | undefined;
  #retired: (() => void) | undefined;
  #uptimeMs = 0;
  #uptimeTick: number;
  readonly #log: Logger;
  readonly #cleared: Set<string>;
  readonly #sendRetained = (topic: string, payload: string | ArrayBuffer) => this.#pump.send(topic, payload, true, true);
  readonly #onDiag = () => {
    this.#diagTimer = undefined;
    try { this.diagDue(); } catch (error) { this.#log.error("bridge diag:", error); }
  };
  readonly #consoleReply = (text: string) => {
    try {
      // as UTF-8 bytes made by the engine: counting a 2 KB answer's bytes in JavaScript costs XS thousands of slots
      this.#pump.enqueue(this.topics.consoleOut, utf8Bytes(text.length > MAX_CONSOLE_REPLY ? text.slice(0, MAX_CONSOLE_REPLY) + "\n...(cut)" : text));
    } catch (error) { this.#log.error("bridge console reply:", error); }
  };

  constructor(private settings: BridgeSettings, broker: BrokerSettings, private readonly ports: BridgePorts) {
    const log = this.#log = ports.log;
    this.#cleared = ports.clearedAvailability ?? new Set();
    this.#uptimeTick = ports.clock.ticks();
    const topics = this.topics = new GatewayTopics(settings.prefix, settings.gatewayId);
    this.#memory = new DiscoveryMemory(ports.discoveryStore);
    this.#haStatus = settings.discoveryPrefix + "/status";
    this.#gatewayNode = "jbd_gateway_" + nodeId(settings.gatewayId);
    this.#gatewayDiscovery = new DeviceDiscovery(settings.discoveryPrefix,
      { node: this.#gatewayNode, name: "JBD gateway " + settings.gatewayId, manufacturer: ORIGIN, model: "ESP32 BLE-MQTT gateway", softwareVersion: settings.firmwareVersion },
      { gatewayDiag: topics.diag, gatewayAvailability: topics.availability, availability: [topics.availability] },
      this.origin());
    this.connection = new MqttConnection(
      { ...broker, clientId: broker.clientId || settings.gatewayId, willTopic: topics.availability },
      ports,
      { onOnline: () => this.wentOnline(), onOffline: () => this.offline(), onMessage: (topic, data, replayed) => this.message(topic, data, replayed) },
      log);
    this.#pump = new Pump(this.connection, ports.timers, log, () => this.publishNext());
    this.#commands = new MosCommands(this.#w, settings.mosControl, topics, this.connection.stats, this.#pump, log);
    this.#releases = new ReleaseCommands(this.#w, this.connection.stats, this.#pump, log, topics.error);
    this.#maintenance = new MaintenanceCommands(this.#w, this.connection.stats, this.#pump, log, topics.error);
    this.#settingsCommands = new SettingsCommands(this.#w, settings.prefix, this.connection.stats, this.#pump, log, topics.error);
    this.connection.guardReplays(topics.sync);
  }

  /** A BMS to bridge; its topics are built here, once. */
  addBms(view: BmsView): void {
    const slot = new BmsSlot(view, new BmsTopics(this.settings.prefix, view.id), "jbd_" + nodeId(view.id));
    this.#slots.push(slot);
    if (view.infoAt !== -1) this.reading(slot);
    this.#pump.kick();
  }

  /** Lets the console's command registry answer on <prefix>/<gateway>/console. */
  setConsoleHandler(handler: ConsoleHandler): void {
    this.#consoleHandler = handler;
    this.connection.subscribe(this.topics.console);
  }

  start(): void {
    this.connection.subscribe(this.topics.commands);
    this.connection.subscribe(this.topics.releaseCommands);
    this.connection.subscribe(this.topics.maintenanceCommands);
    this.connection.subscribe(this.#settingsCommands.subscription);
    if (this.settings.discovery) this.connection.subscribe(this.#haStatus);
    // every configured BMS has been added by now (main.ts, mqtt-service.ts): the rest left the configuration
    this.#gone = this.#memory.announced().filter((id) => !this.#slots.some((slot) => slot.topics.id === id));
    const topology = this.settings.bank;
    if (topology && this.#slots.length >= 2) this.#bank = new Bank(topology, this.#slots.map((slot) => slot.view));
    else if (topology) this.#log.warn("bank: a " + topology + " bank needs two or more BMS (this gateway has " + this.#slots.length + "): no bank device");
    this.#diagTimer = this.ports.timers.set(this.#onDiag, this.settings.diagIntervalMs ?? DIAG_INTERVAL_MS);
    this.connection.start();
  }

  /** `announce`: publish "offline" on the gateway's availability (false when retire() cleared it). */
  stop(announce = true): void {
    if (this.#diagTimer !== undefined) this.ports.timers.clear(this.#diagTimer);
    this.#diagTimer = undefined;
    this.#retired = undefined;
    this.connection.stop(announce);
  }

  /**
   * Before this bridge gives way to one with other topics: clear, through this connection, the
   * retained topics of `plan` (retire.ts), then call `done` (on a later turn). Nothing else is
   * published meanwhile. If the connection is or goes down, `done` comes at once: what is not
   * cleared stays.
   */
  retire(plan: RetirePlan, done: () => void): void {
    if (this.#diagTimer !== undefined) this.ports.timers.clear(this.#diagTimer);
    this.#diagTimer = undefined;
    const topics = this.topics, prefix = this.settings.discoveryPrefix, groups: TopicGroup[] = [];
    if (plan.gatewayDiscovery) groups.push([1, () => partTopic(prefix, this.#gatewayNode, GATEWAY_PART)]);
    if (plan.bankDiscovery) groups.push([1, () => this.bankDiscovery().topic(GATEWAY_PART)]);
    for (const slot of this.#slots) {
      if (plan.bmsDiscovery) groups.push([BMS_PARTS.length, (i) => partTopic(prefix, slot.node, BMS_PARTS[i].name)]);
      const t = slot.topics;
      // the settings topic only where settings were published
      const settings = slot.view.settings?.values !== undefined;
      if (plan.bms) groups.push([settings ? 5 : 4, (i) => i === 0 ? t.state : i === 1 ? t.info : i === 2 ? t.diag : i === 3 && settings ? t.settings : t.availability]);
    }
    if (plan.bank) groups.push([1, () => topics.bankState]);
    if (plan.gateway) groups.push([2, (i) => i === 0 ? topics.diag : topics.availability]);
    this.#retirement = new Retirement(groups);
    this.#retired = done;
    if (this.connection.online) this.#pump.kick();
    else this.retireDone();
  }

  /** Wi-Fi down / up (the Wi-Fi manager calls these). */
  pause(): void { this.connection.pause(); }
  resume(): void { this.connection.resume(); }

  /** MOS control switched at run time: Home Assistant gets switches or read-only FET sensors. */
  setMosControl(enabled: boolean): void {
    if (this.#commands.enabled === enabled) return;
    this.#commands.enabled = enabled;
    for (const slot of this.#slots) if (slot.known) this.announce(slot);
    this.#pump.kick();
  }

  /** The maintenance functions allowed changed: Home Assistant gets a button for each (the link checks the setting itself). */
  setMaintenance(allowed: string): void {
    if ((this.settings.maintenance ?? "") === allowed) return;
    this.settings = { ...this.settings, maintenance: allowed };
    for (const slot of this.#slots) if (slot.known) this.announce(slot);
    this.#pump.kick();
  }

  /** The poll interval changed: the state's expire_after follows (discovery again, where it changed). */
  setStateExpiry(seconds: number): void {
    if ((this.settings.stateExpireS ?? 0) === seconds) return;
    this.settings = { ...this.settings, stateExpireS: seconds };
    for (const slot of this.#slots) if (slot.known) this.announce(slot);
    this.#pump.kick();
  }

  // ---------------- LinkListener ----------------

  onReading(bms: BmsView): void {
    try {
      const slot = this.slot(bms);
      if (!slot) return;
      this.reading(slot);
      const bank = this.#bank;
      if (bank) { bank.reading(bms); if (bank.due) this.#bankNeed |= Need.State; }
      this.#pump.kick();
    } catch (error) { this.#log.error("bridge onReading:", error); }
  }

  onAvailability(bms: BmsView, online: boolean): void {
    try {
      const slot = this.slot(bms);
      if (!slot) return;
      slot.online = online;
      slot.need |= Need.Availability;
      const bank = this.#bank;
      if (bank) { bank.availability(bms); this.#bankNeed |= bank.due ? Need.Availability | Need.State : Need.Availability; }
      this.#pump.kick();
    } catch (error) { this.#log.error("bridge onAvailability:", error); }
  }

  /** The pack's settings were read or written: publish them; entities follow when they became known or writable. */
  onSettings(bms: BmsView): void {
    try {
      const slot = this.slot(bms);
      if (!slot) return;
      // a request that ended without values (a first read refused) publishes nothing: retire() clears
      // the settings topic only where there are values, and a document without them is no backup
      if (bms.settings?.values) slot.need |= Need.Settings;
      const settings = bms.settings, mode = settings?.values ? (settings.writable ? 2 : 1) : 0;
      if ((slot.shape.settings ?? 0) !== mode) {
        slot.shape.settings = mode;
        if (slot.known) this.announce(slot);
      }
      this.#pump.kick();
    } catch (error) { this.#log.error("bridge onSettings:", error); }
  }

  onInfo(bms: BmsView): void {
    try {
      const slot = this.slot(bms);
      if (!slot) return;
      slot.need |= Need.Info;
      if (slot.known) this.announce(slot); // the model in the device block changed
      this.#pump.kick();
    } catch (error) { this.#log.error("bridge onInfo:", error); }
  }

  // ---------------- events ----------------

  private reading(slot: BmsSlot): void {
    slot.need |= Need.State;
    const view = slot.view, shape = slot.shape;
    const cells = view.cells.count, temperatures = view.info.temperatureCount, extended = view.info.hasExtended;
    if (slot.known && shape.cells === cells && shape.temperatures === temperatures && shape.extended === extended) return;
    shape.cells = cells;
    shape.temperatures = temperatures;
    shape.extended = extended;
    slot.known = true;
    slot.need |= Need.Info;
    this.announce(slot);
  }

  /** (Re)start the discovery pass of a BMS from its first entity. */
  private announce(slot: BmsSlot): void {
    if (!this.settings.discovery) return;
    slot.shape.control = this.#commands.enabled;
    slot.shape.maintenance = this.settings.maintenance ?? "";
    slot.pass = undefined;
    slot.need |= Need.Discovery;
  }

  private wentOnline(): void {
    this.#gatewayNeed = Need.Availability | Need.Diag | (this.settings.discovery ? Need.Discovery : 0);
    this.#gatewayPass = undefined;
    this.#gonePass = undefined;
    // the bank: all of it (one switched off is cleared by the retiring bridge: retire.ts)
    this.#bankNeed = this.#bank ? Need.Availability | Need.State | (this.settings.discovery ? Need.Discovery : 0) : 0;
    for (const slot of this.#slots) {
      slot.need |= Need.Availability | Need.Diag;
      if (!slot.known) continue;
      slot.need |= Need.State | Need.Info | (slot.view.settings?.values ? Need.Settings : 0);
      this.announce(slot);
    }
    this.#pump.kick();
  }

  private offline(): void {
    this.#pump.stop();
    if (this.#retirement) this.retireDone();
  }

  private retireDone(): void {
    this.#retirement = undefined;
    const done = this.#retired;
    this.#retired = undefined;
    if (done) this.ports.timers.set(() => {
      try { done(); } catch (error) { this.#log.error("bridge retired:", error); }
    }, 0);
  }

  private diagDue(): void {
    this.#diagTimer = this.ports.timers.set(this.#onDiag, this.settings.diagIntervalMs ?? DIAG_INTERVAL_MS);
    this.#gatewayNeed |= Need.Diag;
    // the packs' availability is not retained: it repeats, so a consumer that joins late learns it
    for (const slot of this.#slots) slot.need |= Need.Diag | Need.Availability;
    if (this.#bank) this.#bankNeed |= Need.Availability;
    this.#pump.kick();
  }

  private message(topic: string, data: ArrayBuffer, replayed = false): void {
    // an empty message is how a retained one is deleted (ours below too): never a command
    if (data.byteLength === 0) return;
    // before the replay check: a retained birth is HA's to keep (and everything is published at connect anyway)
    if (topic === this.#haStatus) { if (!replayed) this.homeAssistantStatus(data); return; }
    if (replayed) { this.replayed(topic, data); return; }
    if (topic === this.topics.console) { this.console(data); return; }
    for (const slot of this.#slots) {
      if (topic === slot.topics.chargeSet) { this.#commands.command(slot, "charge", data); return; }
      if (topic === slot.topics.dischargeSet) { this.#commands.command(slot, "discharge", data); return; }
      if (topic === slot.topics.releaseSet) { this.#releases.command(slot, data); return; }
      if (topic === slot.topics.maintenanceSet) { this.#maintenance.command(slot, data); return; }
      if (this.#settingsCommands.command(slot, topic, data)) return;
    }
    if (topic.endsWith("/release/set")) { this.#releases.misaddressed(topic, this.#slots); return; }
    if (topic.endsWith("/maintenance/set")) { this.#maintenance.misaddressed(topic, this.#slots); return; }
    if (this.#settingsCommands.misaddressed(topic, this.settings.prefix, this.#slots)) return;
    this.#commands.misaddressed(topic, this.settings.prefix, this.#slots);
  }

  /**
   * A command or console line that came before the subscriptions were live: a retained message (or
   * one sent in the moment of a reconnect). Not obeyed; said so on its answer topic and the log; a
   * retained copy is deleted so it does not come back at every reconnect.
   */
  private replayed(topic: string, data: ArrayBuffer): void {
    // the gateway's own answers on a topic it subscribes to (settings/+): neither a command nor a replay
    if (topic.endsWith("/settings/result")) return;
    const stats = this.connection.stats;
    stats.replaysIgnored++;
    const text = payloadText(data, MAX_CONSOLE_LINE);
    this.#log.warn("MQTT: not obeyed (retained, or sent while the gateway subscribed):", topic + " " + quoted(text));
    this.connection.publish(topic, "", true);
    const why = "not obeyed: it came before the gateway's subscriptions were live (a retained message, or sent during a reconnect); send it again";
    if (topic === this.topics.console) { this.#pump.enqueue(this.topics.consoleOut, "ignored '" + (text ?? "") + "': " + why); return; }
    for (const slot of this.#slots) {
      const t = slot.topics;
      if (topic === t.chargeSet || topic === t.dischargeSet) { this.#pump.enqueue(t.result, refusalJson(this.#w, why, topic === t.chargeSet ? "charge" : "discharge")); return; }
      if (topic === t.releaseSet) { this.#pump.enqueue(t.releaseResult(), refusalJson(this.#w, why)); return; }
      if (topic === t.maintenanceSet) { this.#pump.enqueue(t.maintenanceResult(), refusalJson(this.#w, why)); return; }
      if (topic.length > t.settings.length && topic.startsWith(t.settings) && topic.charCodeAt(t.settings.length) === 0x2f) {
        this.#pump.enqueue(t.settings + "/result", refusalJson(this.#w, why));
        return;
      }
    }
  }

  /** HA (re)started: it has lost what it was not retaining; publish discovery, availability and state again, paced. */
  private homeAssistantStatus(data: ArrayBuffer): void {
    if (payloadText(data, 16) !== "online") return;
    if (this.#lastBirth !== undefined && this.ports.clock.since(this.#lastBirth) < BIRTH_MIN_INTERVAL_MS) return;
    this.#lastBirth = this.ports.clock.ticks();
    this.#log.info("Home Assistant is online: publishing discovery, availability and state again");
    this.wentOnline();
  }

  private console(data: ArrayBuffer): void {
    const handler = this.#consoleHandler;
    if (!handler) return;
    const line = payloadText(data, MAX_CONSOLE_LINE);
    if (line === undefined) {
      const stats = this.connection.stats;
      stats.malformedCommands++;
      if (data.byteLength > MAX_CONSOLE_LINE) {
        stats.oversizedPayloads++;
        this.#log.warn("MQTT: " + data.byteLength + "-byte console payload discarded (a command line is at most " + MAX_CONSOLE_LINE + " bytes)");
      }
      this.#pump.enqueue(this.topics.consoleOut, "error: a command line is text of at most " + MAX_CONSOLE_LINE + " bytes");
      return;
    }
    handler(line.trim(), this.#consoleReply);
  }

  // ---------------- what to publish next (the pump's NextItem) ----------------

  private publishNext(): number {
    const pump = this.#pump;
    const retirement = this.#retirement;
    if (retirement) {
      const topic = retirement.current();
      if (topic === undefined) { this.retireDone(); return 0; }
      const sent = pump.send(topic, "", true, true);
      if (sent > 0) retirement.advance();
      return sent;
    }
    if (this.#gatewayNeed & Need.Availability) return this.gatewaySent(pump.send(this.topics.availability, ONLINE, true), Need.Availability);
    // what is marked anywhere: a level nothing needs is not searched; `shared`: levels marked in more
    // than one place (a pack's item that is the only one marked ends the pump's turn: lastItem)
    const slots = this.#slots;
    let marked = this.#gatewayNeed | this.#bankNeed, shared = this.#gatewayNeed & this.#bankNeed;
    for (let i = 0; i < slots.length; i++) {
      const need = slots[i].need;
      shared |= marked & need;
      marked |= need;
    }
    if (this.#gone.length !== 0 && this.settings.discovery) { shared |= marked & Need.Discovery; marked |= Need.Discovery; }
    // the levels marked, lowest bit first (the publishing order)
    for (let levels = marked; levels !== 0; levels &= levels - 1) {
      const need = levels & -levels;
      // the gateway first: a BMS device names it as via_device, which must exist by then
      if (need === Need.Discovery && this.#gatewayNeed & need) return this.publishGatewayDiscovery();
      if (need === Need.Diag && this.#gatewayNeed & need) {
        return this.gatewaySent(pump.send(this.topics.diag, gatewayDiagJson(this.#w, this.uptime(), slots.length, this.connection.stats, this.settings.restartReason, this.memory()), true), need);
      }
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i];
        if ((slot.need & need) === 0) continue;
        const sent = this.publishBms(slot, need);
        if (sent > 0 && marked === need && (shared & need) === 0 && slot.need === 0) pump.lastItem();
        return sent;
      }
      if (this.#bankNeed & need) return this.publishBank(need);
      if (need === Need.Discovery && this.settings.discovery) {
        const gone = this.publishGone();
        if (gone) return gone;
      }
    }
    return 0;
  }

  private publishBms(slot: BmsSlot, need: Need): number {
    const t = slot.topics, view = slot.view, w = this.#w, pump = this.#pump;
    let sent: number;
    switch (need) {
      case Need.Availability:
        if (!this.#cleared.has(t.availability)) {
          sent = pump.send(t.availability, "", true);
          if (sent > 0) this.#cleared.add(t.availability);
          return sent; // the live value on the next turn
        }
        sent = pump.send(t.availability, slot.online ? ONLINE : slot.view.released ? RELEASED : OFFLINE, false);
        break;
      case Need.State: sent = pump.send(t.state, stateJson(w, view, this.ports.clock, slot.texts), true); break;
      case Need.Info: sent = pump.send(t.info, infoJson(w, view), true); break;
      case Need.Diag: sent = pump.send(t.diag, bmsDiagJson(w, view, this.uptime()), true); break;
      case Need.Settings: sent = pump.send(t.settings, settingsJson(w, view), true); break;
      default: return this.publishBmsDiscovery(slot);
    }
    if (sent > 0) slot.need &= ~need;
    return sent;
  }

  /** The bank: its availability (not retained, as a pack's), its reading once every online pack has reported, its device (one part). */
  private publishBank(need: Need): number {
    const bank = this.#bank, t = this.topics, pump = this.#pump;
    let sent = 1;
    if (!bank) { this.#bankNeed = 0; return 1; } // (never marked without a bank)
    if (need === Need.Availability) sent = pump.send(t.bankAvailability, bank.online ? ONLINE : OFFLINE, false);
    else if (need === Need.State) {
      if (bank.online) { bank.write(this.#w); sent = pump.send(t.bankState, this.#w.payload, true); }
    } else if (need === Need.Discovery) {
      const discovery = this.bankDiscovery();
      discovery.beginPart(this.#w);
      for (let i = 0; i < BANK_ENTITIES.length; i++) discovery.component(this.#w, BANK_ENTITIES[i]);
      sent = pump.send(discovery.topic(GATEWAY_PART), discovery.endPart(this.#w), true, true);
      if (sent > 0) this.#bankNeed |= Need.Availability; // the entities HA just made subscribe now
    }
    if (sent > 0) this.#bankNeed &= ~need;
    return sent;
  }

  private bankDiscovery(): DeviceDiscovery {
    const t = this.topics, bank = this.#bank, id = this.settings.gatewayId;
    return new DeviceDiscovery(this.settings.discoveryPrefix,
      { node: "jbd_bank_" + nodeId(id), name: "JBD bank " + id, manufacturer: ORIGIN, model: bank ? bank.topology + " bank of " + bank.members.length + " packs" : "bank", via: this.#gatewayNode },
      { state: t.bankState, gatewayDiag: t.diag, gatewayAvailability: t.availability, bmsAvailability: t.bankAvailability, availability: [t.availability, t.bankAvailability] },
      this.origin(), this.settings.stateExpireS);
  }

  /** One step of a BMS's discovery: a part (or, once, the migration of its per-entity topics). */
  private publishBmsDiscovery(slot: BmsSlot): number {
    const pass = slot.pass ??= new DiscoveryPass(this.bmsPlan(slot), !this.#memory.migrated(slot.node));
    if (!pass.done) return pass.step(this.#w, this.#sendRetained);
    // entities HA has just made subscribe now: they need an availability that is not retained
    slot.need = (slot.need & ~Need.Discovery) | Need.Availability;
    slot.pass = undefined;
    this.#memory.markMigrated(slot.node);
    this.#memory.setAnnounced(this.announcedIds());
    return 1;
  }

  private publishGatewayDiscovery(): number {
    const node = this.#gatewayNode, discovery = this.#gatewayDiscovery;
    const pass = this.#gatewayPass ??= new DiscoveryPass({
      parts: 1, partTopic: () => discovery.topic(GATEWAY_PART),
      partPayload: (w) => {
        discovery.beginPart(w);
        for (let i = 0; i < GATEWAY_ENTITIES.length; i++) discovery.component(w, GATEWAY_ENTITIES[i]);
        return discovery.endPart(w);
      },
      oldTopics: GATEWAY_ENTITIES.length, oldTopic: (i) => discovery.entityTopic(GATEWAY_ENTITIES[i]),
    }, !this.#memory.migrated(node));
    if (!pass.done) return pass.step(this.#w, this.#sendRetained);
    this.#gatewayNeed &= ~Need.Discovery;
    this.#gatewayPass = undefined;
    this.#memory.markMigrated(node);
    return 1;
  }

  /** BMS an earlier boot announced that are no longer configured: their parts emptied and topics cleared. */
  private publishGone(): number {
    const gone = this.#gone;
    if (!gone.length) return 0;
    const id = gone[0], node = "jbd_" + nodeId(id), prefix = this.settings.discoveryPrefix;
    const topics = new BmsTopics(this.settings.prefix, id);
    const pass = this.#gonePass ??= new DiscoveryPass({
      parts: BMS_PARTS.length + 5,
      partTopic: (i) => i < BMS_PARTS.length ? partTopic(prefix, node, BMS_PARTS[i].name)
        : [topics.state, topics.info, topics.diag, topics.availability, topics.settings][i - BMS_PARTS.length],
      partPayload: () => "",
      oldTopics: BMS_ENTITY_SLOTS, oldTopic: (i) => discoveryTopic(prefix, node, bmsEntity(i)),
    }, false, !this.#memory.migrated(node));
    if (!pass.done) return pass.step(this.#w, this.#sendRetained);
    this.#log.info("Home Assistant: removed " + id + " (no longer configured)");
    gone.shift();
    this.#gonePass = undefined;
    this.#memory.setAnnounced(this.announcedIds());
    return 1;
  }

  /** Every configured BMS counts (announced or about to be): only those that left the configuration are removed. */
  private announcedIds(): string[] {
    const ids: string[] = [];
    for (let i = 0; i < this.#slots.length; i++) ids.push(this.#slots[i].topics.id);
    return ids;
  }


  private gatewaySent(sent: number, need: Need): number {
    if (sent > 0) this.#gatewayNeed &= ~need;
    return sent;
  }

  /** A BMS's parts: each lists the entities of its slots this pack has (none: ""). */
  private bmsPlan(slot: BmsSlot): PassPlan {
    const discovery = this.bmsDiscovery(slot), shape = slot.shape;
    return {
      parts: BMS_PARTS.length, partTopic: (i) => discovery.topic(BMS_PARTS[i].name),
      partPayload: (w, i) => {
        const part = BMS_PARTS[i];
        let any = false;
        for (let e = part.start; e < part.end; e++) {
          if (!hasBmsEntity(shape, e)) continue;
          if (!any) discovery.beginPart(w);
          any = true;
          discovery.component(w, bmsEntity(e, shape));
        }
        const bit = 1 << i;
        if (any) { slot.emptyParts &= ~bit; return discovery.endPart(w); }
        if (slot.emptyParts & bit) return undefined; // removed already: HA and the broker hold nothing there
        slot.emptyParts |= bit;
        return "";
      },
      oldTopics: BMS_ENTITY_SLOTS, oldTopic: (i) => discovery.entityTopic(bmsEntity(i)),
    };
  }

  private bmsDiscovery(slot: BmsSlot): DeviceDiscovery {
    const t = slot.topics, view = slot.view;
    const model = view.hardware.length ? view.hardware.text() : "Smart BMS";
    return new DeviceDiscovery(this.settings.discoveryPrefix,
      { node: slot.node, name: view.name, manufacturer: "JBD", model, softwareVersion: softwareVersion(view), via: this.#gatewayNode },
      {
        state: t.state, diag: t.diag, chargeSet: t.chargeSet, dischargeSet: t.dischargeSet,
        releaseSet: t.releaseSet, maintenanceSet: t.maintenanceSet, bmsAvailability: t.availability, settings: t.settings,
        gatewayDiag: this.topics.diag, gatewayAvailability: this.topics.availability,
        availability: [this.topics.availability, t.availability],
      },
      this.origin(), this.settings.stateExpireS);
  }

  // ---------------- helpers ----------------

  private slot(view: BmsView): BmsSlot | undefined {
    for (let i = 0; i < this.#slots.length; i++) if (this.#slots[i].view === view) return this.#slots[i];
    return undefined;
  }

  /** Seconds since start; summed per call so the 32-bit tick counter's wrap does not matter. */
  private uptime(): number {
    if (this.ports.uptimeSeconds) return this.ports.uptimeSeconds();
    this.#uptimeMs += this.ports.clock.since(this.#uptimeTick);
    this.#uptimeTick = this.ports.clock.ticks();
    return Math.floor(this.#uptimeMs / 1000);
  }

  /** The memory figures for the diag; a port that throws costs the figures, not the diag. */
  private memory(): MemoryFigures | undefined {
    try { return this.ports.memory?.(); } catch (error) { this.#log.error("memory figures:", error); return undefined; }
  }

  private origin(): { name: string; version?: string } {
    return { name: ORIGIN, version: this.settings.firmwareVersion };
  }
}
