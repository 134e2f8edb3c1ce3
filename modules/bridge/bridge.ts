// The MQTT bridge: BMS readings out, MOS commands in, Home Assistant discovery, diagnostics.
//
// Nothing is published from inside an event. Events mark what a BMS (or the gateway) needs
// published; one pump sends the marked items, highest priority first, a few KB per turn. Why:
// on the ESP32 a socket write that does not fit in the TCP send buffer (~5.7 KB) throws and sends
// nothing, and the buffer only drains between turns; a full republish after a reconnect is tens
// of KB. An item whose publish fails stays marked and is tried again a little later; marks made
// while offline are all sent on the next connect (retained topics: latest value only).
//
// Every entry point (link callbacks, MQTT callbacks, timers) is a boundary: nothing thrown inside
// may escape, since on the device an uncaught exception reboots it.
import type { BmsView, Fet, MosResult } from "../link/bms-view";
import type { Logger } from "../link/logger";
import { JsonWriter } from "../protocol/json";
import { parseSwitch, payloadText, quoted, MAX_CONSOLE_LINE } from "./commands";
import { DeviceDiscovery, nodeId } from "./discovery";
import { BMS_ENTITY_SLOTS, GATEWAY_ENTITIES, bmsEntity, hasEntity, type Shape } from "./entities";
import { MqttConnection, type MqttPlatform } from "./mqtt-connection";
import { bmsDiagJson, gatewayDiagJson, infoJson, mosResultJson, refusalJson, softwareVersion, stateJson } from "./payloads";
import type { Clock, TimerHandle } from "./ports";
import { BmsTopics, GatewayTopics, OFFLINE, ONLINE, parseCommandTopic } from "./topics";

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
  /** Default 60 s. */
  diagIntervalMs?: number;
  /** Shown in Home Assistant as the gateway's firmware version. */
  firmwareVersion?: string;
}

export interface BrokerSettings {
  host: string;
  /** 0: 1883, or 8883 with TLS. */
  port: number;
  tls: boolean;
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
}

/** Runs one console command line; `reply` may be called any number of times. */
export type ConsoleHandler = (line: string, reply: (text: string) => void) => void;

/** What an item of a BMS or of the gateway still needs published (bit set). */
const enum Need { Availability = 1, State = 2, Info = 4, Discovery = 8, Diag = 16 }
/** Publishing order: availability first so nothing is shown live before it is. */
const ORDER = [Need.Availability, Need.State, Need.Info, Need.Discovery, Need.Diag];

const DIAG_INTERVAL_MS = 60_000;
/** Bytes handed to the socket per turn, well under the ESP32's 5744-byte TCP send buffer. */
const PUMP_BUDGET = 2048;
const PUMP_PACE_MS = 20;
/** A publish the socket refused is tried again after this, and dropped after MAX_ATTEMPTS. */
const PUMP_RETRY_MS = 250;
const MAX_ATTEMPTS = 20;
/** Results, errors and console answers waiting to be sent (not retained: the oldest go first). */
const MAX_OUTBOX = 8;
const MAX_CONSOLE_REPLY = 2048;
const GATEWAY_NAME = "JBD gateway";
const ORIGIN = "jbd-gateway";

class BmsSlot {
  need = 0;
  online: boolean;
  mosBusy = false;
  /** Shape of the entities last announced; `known` once there was a reading to take it from. */
  readonly shape: Shape = { cells: 0, temperatures: 0, extended: false, control: false };
  known = false;
  /** The discovery pass under way, and its next entity. */
  discovery: DeviceDiscovery | undefined;
  entity = 0;
  /** The pass also publishes empty configs for entities this shape lacks (leftovers of another
   *  pack, an earlier boot or the other MOS control setting). */
  removeStale = true;

  constructor(readonly view: BmsView, readonly topics: BmsTopics, readonly node: string) {
    this.online = view.online;
  }
}

export class Bridge {
  readonly connection: MqttConnection;
  readonly topics: GatewayTopics;
  readonly #slots: BmsSlot[] = [];
  readonly #w = new JsonWriter();
  readonly #gatewayNode: string;
  readonly #gatewayDiscovery: DeviceDiscovery;
  #gatewayNeed = 0;
  #gatewayEntity = 0;
  /** Topic, payload, topic, payload, ... */
  readonly #outbox: string[] = [];
  #pumpTimer: TimerHandle | undefined;
  #diagTimer: TimerHandle | undefined;
  #attempts = 0;
  #consoleHandler: ConsoleHandler | undefined;
  #uptimeMs = 0;
  #uptimeTick: number;
  #mosControl: boolean;
  readonly #log: Logger;
  readonly #onPump = () => {
    try { this.#pump(); } catch (error) { this.#log.error("bridge pump: ", error); }
  };
  readonly #onDiag = () => {
    try { this.#diagDue(); } catch (error) { this.#log.error("bridge diag: ", error); }
  };
  readonly #consoleReply = (text: string) => {
    try {
      this.#enqueue(this.topics.consoleOut, text.length > MAX_CONSOLE_REPLY ? text.slice(0, MAX_CONSOLE_REPLY) + "\n...(cut)" : text);
    } catch (error) { this.#log.error("bridge console reply: ", error); }
  };

  constructor(private readonly settings: BridgeSettings, broker: BrokerSettings, private readonly ports: BridgePorts) {
    this.#log = ports.log;
    this.#mosControl = settings.mosControl;
    this.#uptimeTick = ports.clock.ticks();
    const topics = this.topics = new GatewayTopics(settings.prefix, settings.gatewayId);
    this.#gatewayNode = "jbd_gateway_" + nodeId(settings.gatewayId);
    this.#gatewayDiscovery = new DeviceDiscovery(settings.discoveryPrefix,
      { node: this.#gatewayNode, name: GATEWAY_NAME + " " + settings.gatewayId, manufacturer: ORIGIN, model: "ESP32 BLE-MQTT gateway", softwareVersion: settings.firmwareVersion },
      { gatewayDiag: topics.diag, gatewayAvailability: topics.availability, availability: [topics.availability] },
      this.#origin());
    this.connection = new MqttConnection(
      { ...broker, clientId: broker.clientId || settings.gatewayId, willTopic: topics.availability },
      ports,
      {
        onOnline: () => this.#online(),
        onOffline: () => this.#offline(),
        onMessage: (topic, data) => this.#message(topic, data),
      },
      ports.log);
  }

  /** A BMS to bridge; its topics are built here, once. */
  addBms(view: BmsView): void {
    const slot = new BmsSlot(view, new BmsTopics(this.settings.prefix, view.id), "jbd_" + nodeId(view.id));
    this.#slots.push(slot);
    slot.need = Need.Availability | Need.Diag;
    if (view.infoAt >= 0) this.#reading(slot);
    this.#kick();
  }

  /** Lets the console's command registry answer on <prefix>/<gateway>/console. */
  setConsoleHandler(handler: ConsoleHandler): void {
    this.#consoleHandler = handler;
    this.connection.subscribe(this.topics.console);
  }

  start(): void {
    this.connection.subscribe(this.topics.commands);
    this.#diagTimer = this.ports.timers.set(this.#onDiag, this.settings.diagIntervalMs ?? DIAG_INTERVAL_MS);
    this.connection.start();
  }

  stop(): void {
    this.#clearTimers();
    this.connection.stop();
  }

  /** Wi-Fi down / up (the Wi-Fi manager calls these). */
  pause(): void { this.connection.pause(); }
  resume(): void { this.connection.resume(); }

  /** MOS control switched at run time: Home Assistant gets switches or read-only FET sensors. */
  setMosControl(enabled: boolean): void {
    if (this.#mosControl === enabled) return;
    this.#mosControl = enabled;
    for (const slot of this.#slots) if (slot.known) this.#announce(slot);
    this.#kick();
  }

  // ---------------- LinkListener ----------------

  onReading(bms: BmsView): void {
    try {
      const slot = this.#slot(bms);
      if (!slot) return;
      this.#reading(slot);
      this.#kick();
    } catch (error) { this.#log.error("bridge onReading: ", error); }
  }

  onAvailability(bms: BmsView, online: boolean): void {
    try {
      const slot = this.#slot(bms);
      if (!slot) return;
      slot.online = online;
      slot.need |= Need.Availability;
      this.#kick();
    } catch (error) { this.#log.error("bridge onAvailability: ", error); }
  }

  onInfo(bms: BmsView): void {
    try {
      const slot = this.#slot(bms);
      if (!slot) return;
      slot.need |= Need.Info;
      if (slot.known) this.#announce(slot); // the model in the device block changed
      this.#kick();
    } catch (error) { this.#log.error("bridge onInfo: ", error); }
  }

  // ---------------- events ----------------

  #reading(slot: BmsSlot): void {
    slot.need |= Need.State;
    const view = slot.view, shape = slot.shape;
    const cells = view.cells.count, temperatures = view.info.temperatureCount, extended = view.info.hasExtended;
    if (slot.known && shape.cells === cells && shape.temperatures === temperatures && shape.extended === extended) return;
    if (slot.known) slot.removeStale = true; // another pack, or a firmware change: entities went away
    shape.cells = cells;
    shape.temperatures = temperatures;
    shape.extended = extended;
    slot.known = true;
    slot.need |= Need.Info;
    this.#announce(slot);
  }

  /** (Re)start the discovery pass of a BMS from its first entity. */
  #announce(slot: BmsSlot): void {
    if (!this.settings.discovery) return;
    if (slot.shape.control !== this.#mosControl) slot.removeStale = true;
    slot.shape.control = this.#mosControl;
    slot.discovery = undefined;
    slot.entity = 0;
    slot.need |= Need.Discovery;
  }

  #online(): void {
    this.#attempts = 0;
    this.#gatewayNeed = Need.Availability | Need.Diag | (this.settings.discovery ? Need.Discovery : 0);
    this.#gatewayEntity = 0;
    for (const slot of this.#slots) {
      slot.need |= Need.Availability | Need.Diag;
      if (slot.known) {
        slot.need |= Need.State | Need.Info;
        this.#announce(slot);
      }
    }
    this.#kick();
  }

  #offline(): void {
    this.#outbox.length = 0; // answers to requests of a connection that is gone
    if (this.#pumpTimer !== undefined) { this.ports.timers.clear(this.#pumpTimer); this.#pumpTimer = undefined; }
  }

  #diagDue(): void {
    this.#diagTimer = this.ports.timers.set(this.#onDiag, this.settings.diagIntervalMs ?? DIAG_INTERVAL_MS);
    this.#gatewayNeed |= Need.Diag;
    for (const slot of this.#slots) slot.need |= Need.Diag;
    this.#kick();
  }

  #message(topic: string, data: ArrayBuffer): void {
    if (topic === this.topics.console) { this.#console(data); return; }
    for (const slot of this.#slots) {
      if (topic === slot.topics.chargeSet) { this.#command(slot, "charge", data); return; }
      if (topic === slot.topics.dischargeSet) { this.#command(slot, "discharge", data); return; }
    }
    this.#misaddressed(topic);
  }

  // ---------------- MOS commands ----------------

  #command(slot: BmsSlot, fet: Fet, data: ArrayBuffer): void {
    const text = payloadText(data);
    const on = text === undefined ? undefined : parseSwitch(text);
    const w = this.#w, result = slot.topics.result;
    if (on === undefined) {
      this.connection.stats.malformedCommands++;
      this.#enqueue(result, refusalJson(w, "invalid payload " + quoted(text) + ": send ON or OFF", fet));
      return;
    }
    if (!this.#mosControl) { this.#enqueue(result, refusalJson(w, "control disabled (mosControl is off)", fet, on)); return; }
    if (slot.mosBusy) { this.#enqueue(result, refusalJson(w, "busy: the previous command for this BMS is still running", fet, on)); return; }
    this.#log.info("MOS command: " + slot.topics.id + " " + fet + " ", on ? "ON" : "OFF");
    slot.mosBusy = true;
    try {
      slot.view.setMos(fet, on, (outcome) => this.#mosDone(slot, outcome));
    } catch (error) {
      slot.mosBusy = false;
      this.#log.error("setMos: ", error);
      this.#enqueue(result, refusalJson(w, "internal error: " + String(error), fet, on));
    }
  }

  #mosDone(slot: BmsSlot, outcome: MosResult): void {
    slot.mosBusy = false;
    try {
      this.#enqueue(slot.topics.result, mosResultJson(this.#w, outcome));
    } catch (error) { this.#log.error("bridge MOS result: ", error); }
  }

  /** Matched our command subscription but no BMS topic: say why, and switch nothing. */
  #misaddressed(topic: string): void {
    this.connection.stats.malformedCommands++;
    const parsed = parseCommandTopic(this.settings.prefix, topic);
    if (!parsed) { this.#log.warn("MQTT: unexpected topic ", topic); return; }
    const slot = this.#slots.find((s) => s.topics.id === parsed.id);
    if (slot) {
      this.#enqueue(slot.topics.result, refusalJson(this.#w, "unknown topic " + quoted(topic) + ": use mos/charge/set or mos/discharge/set"));
      return;
    }
    let known = "";
    for (const s of this.#slots) known += (known ? ", " : "") + s.topics.id;
    const w = this.#w.clear().beginObject();
    w.key("topic").string(topic).key("ok").bool(false).key("error").string("unknown BMS " + quoted(parsed.id) + " (this gateway has: " + (known || "none") + ")");
    this.#enqueue(this.topics.error, w.endObject().text);
  }

  // ---------------- console ----------------

  #console(data: ArrayBuffer): void {
    const handler = this.#consoleHandler;
    if (!handler) return;
    const line = payloadText(data, MAX_CONSOLE_LINE);
    if (line === undefined) { this.#enqueue(this.topics.consoleOut, "error: a command line is text of at most " + MAX_CONSOLE_LINE + " bytes"); return; }
    handler(line.trim(), this.#consoleReply);
  }

  // ---------------- publishing ----------------

  #enqueue(topic: string, payload: string): void {
    if (!this.connection.online) { this.#log.debug("MQTT offline, not sent: ", topic); return; }
    if (this.#outbox.length >= 2 * MAX_OUTBOX) {
      this.#log.warn("MQTT outbox full, dropped: ", this.#outbox[0]);
      this.#outbox.splice(0, 2);
    }
    this.#outbox.push(topic, payload);
    this.#kick();
  }

  #kick(): void {
    if (this.#pumpTimer === undefined && this.connection.online) this.#pumpTimer = this.ports.timers.set(this.#onPump, 0);
  }

  #pump(): void {
    this.#pumpTimer = undefined;
    let budget = PUMP_BUDGET;
    while (this.connection.online) {
      const sent = this.#publishNext();
      if (sent === 0) return;
      if (sent < 0) {
        if (!this.connection.online) return; // everything is marked again on the next connect
        this.#attempts++;
        this.#pumpTimer = this.ports.timers.set(this.#onPump, PUMP_RETRY_MS);
        return;
      }
      this.#attempts = 0;
      budget -= sent;
      if (budget <= 0) { this.#pumpTimer = this.ports.timers.set(this.#onPump, PUMP_PACE_MS); return; }
    }
  }

  /** Publishes the most urgent marked item: bytes sent (at least 1 when something was done), 0
   *  when nothing is marked, -1 when the publish failed and the item stays marked. */
  #publishNext(): number {
    const topics = this.topics;
    if (this.#gatewayNeed & Need.Availability) return this.#sent(this.#send(topics.availability, ONLINE, true), Need.Availability);
    if (this.#outbox.length) {
      const n = this.#send(this.#outbox[0], this.#outbox[1], false);
      if (n > 0) this.#outbox.splice(0, 2);
      return n;
    }
    for (let level = 0; level < ORDER.length; level++) {
      const need = ORDER[level];
      // the gateway first: a BMS device names it as via_device, which must exist by then
      if (need === Need.Discovery && this.#gatewayNeed & need) return this.#publishGatewayEntity();
      if (need === Need.Diag && this.#gatewayNeed & need) {
        return this.#sent(this.#send(topics.diag, gatewayDiagJson(this.#w, this.#uptime(), this.#slots.length, this.connection.stats), true), need);
      }
      for (let i = 0; i < this.#slots.length; i++) {
        const slot = this.#slots[i];
        if (slot.need & need) return this.#publishBms(slot, need);
      }
    }
    return 0;
  }

  #publishBms(slot: BmsSlot, need: Need): number {
    const t = slot.topics, view = slot.view, w = this.#w;
    let n: number;
    switch (need) {
      case Need.Availability: n = this.#send(t.availability, slot.online ? ONLINE : OFFLINE, true); break;
      case Need.State: n = this.#send(t.state, stateJson(w, view, this.ports.clock), true); break;
      case Need.Info: n = this.#send(t.info, infoJson(w, view), true); break;
      case Need.Diag: n = this.#send(t.diag, bmsDiagJson(w, view, this.#uptime()), true); break;
      default: return this.#publishBmsEntity(slot);
    }
    if (n > 0) slot.need &= ~need;
    return n;
  }

  /** One step of a BMS's discovery pass. */
  #publishBmsEntity(slot: BmsSlot): number {
    const discovery = slot.discovery ??= this.#bmsDiscovery(slot);
    while (slot.entity < BMS_ENTITY_SLOTS) {
      const entity = bmsEntity(slot.entity);
      const present = hasEntity(slot.shape, entity);
      if (!present && !slot.removeStale) { slot.entity++; continue; }
      const n = this.#send(discovery.topic(entity), present ? discovery.payload(this.#w, entity) : "", true);
      if (n > 0) slot.entity++;
      return n;
    }
    slot.need &= ~Need.Discovery;
    slot.discovery = undefined;
    slot.removeStale = false;
    return 1;
  }

  #publishGatewayEntity(): number {
    if (this.#gatewayEntity >= GATEWAY_ENTITIES.length) {
      this.#gatewayNeed &= ~Need.Discovery;
      return 1;
    }
    const entity = GATEWAY_ENTITIES[this.#gatewayEntity];
    const n = this.#send(this.#gatewayDiscovery.topic(entity), this.#gatewayDiscovery.payload(this.#w, entity), true);
    if (n > 0) this.#gatewayEntity++;
    return n;
  }

  #bmsDiscovery(slot: BmsSlot): DeviceDiscovery {
    const t = slot.topics, view = slot.view;
    const model = view.hardware.length ? view.hardware.text() : "Smart BMS";
    return new DeviceDiscovery(this.settings.discoveryPrefix,
      { node: slot.node, name: view.name, manufacturer: "JBD", model, softwareVersion: softwareVersion(view), via: this.#gatewayNode },
      {
        state: t.state, diag: t.diag, chargeSet: t.chargeSet, dischargeSet: t.dischargeSet,
        gatewayDiag: this.topics.diag, gatewayAvailability: this.topics.availability,
        availability: [this.topics.availability, t.availability],
      },
      this.#origin());
  }

  /** Clears the gateway's `need` bit when the publish went out. */
  #sent(n: number, need: Need): number {
    if (n > 0) this.#gatewayNeed &= ~need;
    return n;
  }

  /** Bytes handed to the socket, or -1 (item stays marked) until it failed MAX_ATTEMPTS times. */
  #send(topic: string, payload: string, retain: boolean): number {
    if (this.connection.publish(topic, payload, retain)) return topic.length + payload.length || 1;
    if (this.#attempts + 1 < MAX_ATTEMPTS || !this.connection.online) return -1;
    this.#log.warn("MQTT: publish keeps failing, skipped: ", topic);
    this.#attempts = 0;
    return 1;
  }

  // ---------------- helpers ----------------

  #slot(view: BmsView): BmsSlot | undefined {
    for (let i = 0; i < this.#slots.length; i++) if (this.#slots[i].view === view) return this.#slots[i];
    return undefined;
  }

  /** Seconds since start; summed per call so the 32-bit tick counter's wrap does not matter. */
  #uptime(): number {
    this.#uptimeMs += this.ports.clock.since(this.#uptimeTick);
    this.#uptimeTick = this.ports.clock.ticks();
    return Math.floor(this.#uptimeMs / 1000);
  }

  #origin(): { name: string; version?: string } {
    return { name: ORIGIN, version: this.settings.firmwareVersion };
  }

  #clearTimers(): void {
    const timers = this.ports.timers;
    if (this.#pumpTimer !== undefined) timers.clear(this.#pumpTimer);
    if (this.#diagTimer !== undefined) timers.clear(this.#diagTimer);
    this.#pumpTimer = this.#diagTimer = undefined;
  }
}
