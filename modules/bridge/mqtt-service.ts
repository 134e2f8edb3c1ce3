// The gateway's MQTT side across setting changes. A Bridge is built for one set of topics and one
// broker; when a setting that shapes them changes (config keys with the "MQTT reconnects" effect)
// or on `reconnect mqtt`, this reads the settings again and puts a new Bridge in place: the old one
// first clears what it would leave orphaned at the broker (retire.ts), then disconnects; the new
// one connects with the new client id and publishes everything under the new names.
//
// It stands where the Bridge stood for the rest of the firmware (link events, console handler,
// Wi-Fi pause/resume), so BMS views added at any time and the console follow to each new Bridge.
import type { BmsView, LinkListener } from "../link/bms-view";
import { Bridge, type BridgePorts, type BridgeSettings, type BrokerSettings, type ConsoleHandler } from "./bridge";
import { MqttStats, type MqttConnection } from "./mqtt-connection";
import { retirePlan, type RetirePlan } from "./retire";

export interface MqttSetup {
  bridge: BridgeSettings;
  broker: BrokerSettings;
}

const NOTHING_TO_CLEAR: RetirePlan = Object.freeze({ gateway: false, bms: false, gatewayDiscovery: false, bmsDiscovery: false });

/** A retirement that takes longer than this (a link that stopped draining) is cut short. */
const RETIRE_LIMIT_MS = 30_000;

export class MqttService implements LinkListener {
  /** Counted across every connection of this gateway. */
  readonly stats = new MqttStats();
  #setup: MqttSetup;
  #bridge: Bridge;
  /** The bridge clearing its old topics before #bridge may connect. */
  #retiring: Bridge | undefined;
  #retireTimer: unknown;
  #retireAnnounce = false;
  #applyTimer: unknown;
  #started = false;
  #paused = false;
  #mosControl: boolean | undefined;
  #stateExpireS: number | undefined;
  #maintenance: string | undefined;
  readonly #views: BmsView[] = [];
  #consoleHandler: ConsoleHandler | undefined;
  readonly #ports: BridgePorts;

  constructor(private readonly read: () => MqttSetup, ports: BridgePorts) {
    // one uptime for every bridge of this gateway (each would count from its own creation)
    let uptimeMs = 0, tick = ports.clock.ticks();
    const uptimeSeconds = () => {
      uptimeMs += ports.clock.since(tick);
      tick = ports.clock.ticks();
      return Math.floor(uptimeMs / 1000);
    };
    // a pack's retained availability (an older firmware's) is deleted once per boot, not per bridge
    this.#ports = { ...ports, stats: this.stats, uptimeSeconds, clearedAvailability: new Set() };
    this.#setup = read();
    this.#bridge = this.make(this.#setup);
  }

  /** The connection in use (or about to be). */
  get connection(): MqttConnection { return this.#bridge.connection; }
  /** The settings in use. */
  get setup(): MqttSetup { return this.#setup; }

  addBms(view: BmsView): void {
    this.#views.push(view);
    this.#bridge.addBms(view);
  }

  setConsoleHandler(handler: ConsoleHandler): void {
    this.#consoleHandler = handler;
    this.#bridge.setConsoleHandler(handler);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#bridge.start();
  }

  stop(): void {
    this.#started = false;
    this.cancelRetire();
    this.#bridge.stop();
  }

  pause(): void { this.#paused = true; this.#bridge.pause(); }
  resume(): void { this.#paused = false; this.#bridge.resume(); }

  setMosControl(enabled: boolean): void {
    this.#mosControl = enabled;
    this.#bridge.setMosControl(enabled);
  }

  /** The maintenance functions allowed changed (a live setting): Home Assistant's buttons follow, no reconnect. */
  setMaintenance(allowed: string): void {
    this.#maintenance = allowed;
    this.#bridge.setMaintenance(allowed);
  }

  /** The poll interval changed (a live setting): Home Assistant's expire_after follows, no reconnect. */
  setStateExpiry(seconds: number): void {
    this.#stateExpireS = seconds;
    this.#bridge.setStateExpiry(seconds);
  }

  /** A setting changed: reconnect with the new values on the next turn (one reconnect for a burst). */
  settingsChanged(): void {
    if (this.#applyTimer !== undefined) return;
    this.#applyTimer = this.#ports.timers.set(() => {
      this.#applyTimer = undefined;
      try { this.apply(false); } catch (error) { this.#ports.log.error("MQTT settings:", error); }
    }, 0);
  }

  /** `reconnect mqtt`: drop the connection and connect again, with the settings as they are now. */
  reconnect(): void { this.apply(true); }

  onReading(bms: BmsView): void { this.#bridge.onReading(bms); }
  onAvailability(bms: BmsView, online: boolean): void { this.#bridge.onAvailability(bms, online); }
  onInfo(bms: BmsView): void { this.#bridge.onInfo(bms); }
  onSettings(bms: BmsView): void { this.#bridge.onSettings(bms); }

  private apply(always: boolean): void {
    const next = this.read();
    if (!always && same(this.#setup, next)) return;
    const old = this.#bridge, oldSetup = this.#setup;
    this.#setup = next;
    this.#bridge = this.make(next);
    if (this.#retiring) { old.stop(); return; } // the bridge being retired still clears; the newest waits for it
    if (!this.#started) { old.stop(); return; }
    const plan = retirePlan(oldSetup.bridge, oldSetup.broker, next.bridge, next.broker);
    const where = oldSetup.bridge.prefix + "/" + oldSetup.bridge.gatewayId;
    if (!old.connection.online) {
      if (plan) this.#ports.log.warn("MQTT: not connected, so the retained topics left under " + where + " stay");
      old.stop();
      this.startCurrent();
      return;
    }
    // Even with nothing to clear, the old connection first sends what it holds: the console's
    // answer to the very change that caused this reconnect is among it.
    if (plan) this.#ports.log.info("MQTT: clearing the retained topics left under", where);
    this.#retiring = old;
    this.#retireAnnounce = !plan;
    this.#retireTimer = this.#ports.timers.set(() => {
      this.#retireTimer = undefined;
      try {
        this.#ports.log.warn("MQTT: clearing old topics took too long, the rest stays");
        this.retired();
      } catch (error) { this.#ports.log.error("MQTT retire:", error); }
    }, RETIRE_LIMIT_MS);
    old.retire(plan ?? NOTHING_TO_CLEAR, () => { if (this.#retiring === old) this.retired(); });
  }

  private retired(): void {
    if (!this.#retiring) return;
    this.cancelRetire();
    if (this.#started) this.startCurrent();
  }

  private cancelRetire(): void {
    if (this.#retireTimer !== undefined) this.#ports.timers.clear(this.#retireTimer);
    this.#retireTimer = undefined;
    const old = this.#retiring;
    this.#retiring = undefined;
    // "offline" on the availability it leaves, unless that was just cleared (topics moved)
    if (old) old.stop(this.#retireAnnounce);
  }

  private startCurrent(): void {
    if (this.#paused) this.#bridge.pause();
    this.#bridge.start();
  }

  private make(setup: MqttSetup): Bridge {
    let settings = this.#mosControl === undefined ? setup.bridge : { ...setup.bridge, mosControl: this.#mosControl };
    if (this.#stateExpireS !== undefined) settings = { ...settings, stateExpireS: this.#stateExpireS };
    if (this.#maintenance !== undefined) settings = { ...settings, maintenance: this.#maintenance };
    const bridge = new Bridge(settings, setup.broker, this.#ports);
    for (const view of this.#views) bridge.addBms(view);
    if (this.#consoleHandler) bridge.setConsoleHandler(this.#consoleHandler);
    return bridge;
  }
}

function same(a: MqttSetup, b: MqttSetup): boolean {
  const x = a.bridge, y = b.bridge, p = a.broker, q = b.broker;
  return x.prefix === y.prefix && x.gatewayId === y.gatewayId && x.discovery === y.discovery && x.discoveryPrefix === y.discoveryPrefix && (x.bank || "") === (y.bank || "") &&
    p.host === q.host && p.port === q.port && p.tls === q.tls && p.tlsVerify === q.tlsVerify && p.user === q.user && p.password === q.password && p.clientId === q.clientId;
}
