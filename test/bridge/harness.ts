// One bridge against the shared aedes broker, with its own topic prefixes so tests cannot see each
// other's retained messages, fake BMS views, and a consumer subscribed to everything it publishes.
import { haView } from "./home-assistant";
import { Bridge, type BridgeSettings } from "../../modules/bridge/bridge";
import type { Clock } from "../../modules/bridge/ports";
import { Consumer, type Broker } from "../lib/broker";
import { FakeBms, type Pack } from "./fake-bms";
import { sdkMqtt, type SdkMqttWorld } from "./sdk-mqtt";
import { TestLog, nodeClock, nodeTimers, sleep, until } from "./helpers";

let counter = 0;

export interface HarnessOptions {
  settings?: Partial<BridgeSettings>;
  sendBuffer?: number;
  ackMs?: number;
  clock?: Clock;
  /** BMS given before the bridge starts, as main.ts adds the configured ones. */
  bms?: [id: string, pack: Pack][];
  /** Flash from an earlier boot (discovery memory); default: empty, a first boot. */
  flash?: Map<string, string>;
}

export class Harness {
  readonly prefix: string;
  readonly haPrefix: string;
  readonly gateway: string;
  readonly log = new TestLog();
  readonly world: SdkMqttWorld;
  readonly bridge: Bridge;
  readonly bms: FakeBms[] = [];
  readonly clock: Clock;
  /** The gateway's flash for discovery (announced BMS, migration done): a fresh one is a first boot. */
  readonly flash: Map<string, string>;

  private constructor(readonly broker: Broker, readonly consumer: Consumer, n: number, options: HarnessOptions) {
    this.prefix = "jbd" + n;
    this.haPrefix = "ha" + n;
    this.gateway = "gw" + n;
    this.clock = options.clock ?? nodeClock;
    this.world = sdkMqtt({ sendBuffer: options.sendBuffer, ackMs: options.ackMs });
    const flash = this.flash = options.flash ?? new Map();
    this.bridge = new Bridge(
      { prefix: this.prefix, gatewayId: this.gateway, discovery: true, discoveryPrefix: this.haPrefix, mosControl: true, firmwareVersion: "0.1.0", ...options.settings },
      { host: "127.0.0.1", port: broker.port, tls: false, user: "", password: "" },
      { MQTT: this.world.MQTT, timers: nodeTimers, clock: this.clock, log: this.log, random: () => 0,
        discoveryStore: { get: (key) => flash.get(key), set: (key, value) => { flash.set(key, value); } } },
    );
  }

  static async start(broker: Broker, options: HarnessOptions = {}): Promise<Harness> {
    const n = ++counter;
    const consumer = await Consumer.connect(broker.port, [`jbd${n}/#`, `ha${n}/#`]);
    const h = new Harness(broker, consumer, n, options);
    for (const [id, pack] of options.bms ?? []) h.add(id, pack);
    h.bridge.start();
    await until(() => h.bridge.connection.online, 3000, "bridge online");
    // commands are obeyed once the replay guard's marker is back and its settle time passed
    await until(() => h.bridge.connection.messagesLive, 5000, "messages live");
    return h;
  }

  /** A BMS with a reading of `pack`, added to the bridge before the link reports anything. */
  add(id: string, pack: Pack, name = "Battery " + id): FakeBms {
    const bms = new FakeBms(id, name, "A4:C1:38:00:00:0" + this.bms.length, this.clock).load(pack);
    bms.rssi = -67;
    this.bms.push(bms);
    this.bridge.addBms(bms);
    return bms;
  }

  /** What the link does when it comes up: online, hardware known, first reading. */
  linkUp(bms: FakeBms): void {
    bms.online = true;
    this.bridge.onAvailability(bms, true);
    this.bridge.onInfo(bms);
    this.bridge.onReading(bms);
  }

  topic(bms: FakeBms | string, suffix: string): string {
    return this.prefix + "/" + (typeof bms === "string" ? bms : bms.id) + "/" + suffix;
  }

  /** Waits until nothing arrived for `ms` (a discovery pass is many messages). */
  async quiet(ms = 150, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    while (seen !== this.consumer.messages.length) {
      if (Date.now() > deadline) throw new Error("messages kept coming");
      seen = this.consumer.messages.length;
      await sleep(ms);
    }
  }

  /** What Home Assistant holds: per-entity configs split out of the device configs (empty = removed). */
  discovery(): Map<string, string> {
    return haView(this.haPrefix, this.consumer.messages);
  }

  /** Sends a command as Home Assistant (or a user) would. */
  command(topic: string, payload: string | Buffer): Promise<unknown> {
    return this.consumer.client.publishAsync(topic, payload, { qos: 0 });
  }

  async close(): Promise<void> {
    this.bridge.stop();
    await this.consumer.close();
    if (this.world.swallowed.length) throw new Error("the SDK would have swallowed: " + this.world.swallowed.join("; "));
    if (this.world.escaped.length) throw new Error("escaped onClose (the device would reboot): " + this.world.escaped.join("; "));
  }
}
