// The virtual device: our firmware (in XS or in Node) wired to a simulated world — BMS peripherals,
// a real MQTT broker, a Wi-Fi access point, NVS flash, a serial terminal — on one clock.
// Events reach the firmware one at a time, in clock order; the ops the firmware posts while
// handling one are applied before the next, just as the ESP32's single JS thread would see it.
import fs from "node:fs";
import path from "node:path";
import type { Clock } from "../sim/clock";
import { VirtualClock } from "../sim/clock";
import type { HostOp } from "../doubles/runtime";
import { FIFO_SIZE } from "../doubles/serial";
import { BleWorld } from "./ble-world";
import { MqttWorld } from "./mqtt-world";
import { validityOf } from "./tls-verify";
import { ROOT } from "../../scripts/lib/xs";
import type { DeviceTransport } from "./transport";

export interface DeviceOptions {
  clock: Clock;
  transport: DeviceTransport;
  /** mc/config as the build would carry it (manifest defaults + command-line strings). */
  config?: Record<string, unknown>;
  /** Flash contents that survive reboots (pass the same object to a rebooted device). */
  flash?: Map<string, unknown>;
  /** Resources the build put in flash ("Resource" module), by name: e.g. mqtt-ca.der from certs/. */
  resources?: Map<string, Buffer>;
  wifi?: { ssid: string; password: string };
  /** The station MAC this board reports once Wi-Fi is initialised (Net.get("MAC") form). */
  mac?: string;
  /** Serial output of the device (console), as a terminal would receive it. */
  onSerial?: (text: string) => void;
  onFatal?: (where: string, error: string) => void;
  log?: (line: string) => void;
  seed?: number;
}

/** Default mc/config: the manifest's `config` block, plus overrides (strings, as on the mcconfig command line). */
export function manifestConfig(overrides: Record<string, string> = {}): Record<string, unknown> {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8"));
  return { ...(manifest.config ?? {}), ...overrides };
}

/** Characteristic types declared by our bleservices JSON files (what the bleclient double converts). */
function bleTypes(): Record<string, string> {
  const dir = path.join(ROOT, "bleservices");
  const types: Record<string, string> = {};
  if (!fs.existsSync(dir)) return types;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) { node.forEach(visit); return; }
      if (!node || typeof node !== "object") return;
      const o = node as Record<string, unknown>;
      if (typeof o.uuid === "string" && typeof o.type === "string") {
        const hex = o.uuid.replace(/-/g, "").toLowerCase();
        types[hex.length === 4 ? hex.slice(2) + hex.slice(0, 2) : hex] = o.type;
      }
      Object.values(o).forEach(visit);
    };
    visit(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")));
  }
  return types;
}

export class VirtualDevice {
  readonly clock: Clock;
  readonly ble: BleWorld;
  readonly mqtt: MqttWorld;
  readonly flash: Map<string, unknown>;
  /**
   * The access point. `weakSignal`: every attempt ends in a handshake timeout (ESP-IDF reason 204)
   * although the password is right, as at the edge of the AP's range.
   */
  readonly wifi: { ssid: string; password: string; apUp: boolean; connected: boolean; weakSignal: boolean };
  /** Beyond the access point: whether DNS answers, and whether NTP servers answer. */
  readonly internet = { dns: true, ntp: true };
  /** Exceptions that escaped to the top: each one would have rebooted an ESP32. */
  fatalErrors = 0;
  /** Panics (native crashes, e.g. a NULL dereference in the BLE stack): counted in fatalErrors too. */
  panics = 0;
  /** Reboots: deliberate (System.restart()) and after a panic. Flash is kept, RAM and radio links are not. */
  restarts = 0;
  /** Why the device stopped, when its transport cannot reboot it (Node): no further events are delivered. */
  halted: string | undefined;
  #reboot: string | undefined;
  #bootedAt = 0;
  /** The device's own clock (Time.ticks): milliseconds since it last booted. */
  get uptimeMs(): number { return this.clock.now() - this.#bootedAt; }
  deliveries = 0;
  /** XS compute units spent by the firmware (and its doubles) since boot; 0 on the Node transport. */
  compute = 0;
  serialOutput = "";
  /** Typed bytes the device's full receive FIFO dropped (pasted faster than it read). */
  serialDropped = 0;
  #queue: [string, unknown[]][] = [];
  #pumping: Promise<void> | undefined;
  #timers = new Map<number, number>();
  #transport: DeviceTransport;
  #options: DeviceOptions;
  #bleTypes = bleTypes();
  #closed = false;
  /** Silent connect retries left (gWiFiConnectRetryRemaining; 0 without credentials). */
  #wifiRetries = 0;
  #wifiAttempt = 0;
  readonly #serialDecoder = new TextDecoder();
  readonly #epochAtBoot = Date.now();

  constructor(options: DeviceOptions) {
    this.#options = options;
    this.clock = options.clock;
    this.#transport = options.transport;
    this.flash = options.flash ?? new Map();
    this.wifi = { ...(options.wifi ?? { ssid: "virtual-ap", password: "virtual-pass" }), apUp: true, connected: false, weakSignal: false };
    const emit = (kind: string, ...args: unknown[]) => this.emit(kind, ...args);
    let seed = options.seed ?? 1;
    const random = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
    this.ble = new BleWorld(this.clock, emit, random);
    this.mqtt = new MqttWorld(emit, () => this.wifi.connected, (line) => this.#log(line), this.clock);
  }

  get transport(): DeviceTransport { return this.#transport; }

  async boot(): Promise<void> {
    const ops = await this.#transport.boot((op) => this.#call(op));
    this.#apply(ops);
    await this.drain();
  }

  /** Queue an event for the firmware (from the world or the clock). */
  emit(kind: string, ...args: unknown[]): void {
    if (this.#closed) return;
    this.#queue.push([kind, args]);
    if (!(this.clock instanceof VirtualClock)) void this.drain();
  }

  /** Deliver queued events until none is left. */
  drain(): Promise<void> {
    this.#pumping ??= (async () => {
      while (this.#queue.length && !this.#closed) {
        const [kind, args] = this.#queue.shift()!;
        if (this.halted) continue;
        this.deliveries++;
        this.#apply(await this.#transport.deliver(this.uptimeMs, kind, args));
        this.compute += this.#transport.meter?.compute ?? 0;
        if (this.#reboot) await this.#restart();
      }
    })().finally(() => { this.#pumping = undefined; });
    return this.#pumping;
  }

  /**
   * Virtual time: run the world and the firmware until `ms` later. Real I/O (the broker) gets a
   * turn between events, and time does not move while an MQTT connection is being set up.
   */
  async run(ms: number): Promise<void> {
    const clock = this.clock as VirtualClock;
    const end = clock.now() + ms;
    let sinceYield = 0;
    for (;;) {
      await this.drain();
      if (this.mqtt.pending > 0 || ++sinceYield >= 50) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#queue.length) continue;
        if (this.mqtt.pending > 0) { await new Promise((resolve) => setTimeout(resolve, 1)); continue; }
      }
      if (!clock.step(end)) break;
    }
    clock.runUntil(end);
    await this.drain();
  }

  /**
   * Run `fn` inside the firmware as an event at the current time (Node transport only): the way a
   * test calls into the firmware, since on the device everything runs from a callback.
   */
  async invoke(fn: () => void): Promise<void> {
    const runtime = await import("../doubles/runtime");
    this.emit("invoke", runtime.registerInvocation(fn));
    await this.drain();
  }

  /**
   * Paste text at the serial terminal: it all arrives while the device is in one turn, so only the
   * 128-byte receive FIFO holds it (longer pastes lose bytes, as on the ESP32).
   */
  type(text: string): void { this.emit("serial.input", Buffer.from(text, "utf8").toString("hex")); }

  /** Type text the way a person does: one byte per event, the device reads between them. */
  typeSlowly(text: string): void {
    for (const byte of Buffer.from(text, "utf8")) this.emit("serial.input", byte.toString(16).padStart(2, "0"));
  }

  /** Wi-Fi fault: the access point goes away for `ms` (the radio drops at once). */
  wifiOutage(ms: number): void {
    this.wifi.apUp = false;
    if (this.wifi.connected) {
      this.wifi.connected = false;
      this.mqtt.networkLost();
      this.emit("wifi.notify", "disconnect", [200]); // BEACON_TIMEOUT
    }
    this.clock.setTimeout(() => { this.wifi.apUp = true; }, ms);
  }

  /**
   * The ESP32 restarts: timers, queued events, radio links and sockets end; flash stays. The same
   * firmware boots again on the same clock (XS transport); a transport that cannot reboot halts.
   */
  async #restart(): Promise<void> {
    const reason = this.#reboot!;
    this.#reboot = undefined;
    this.restarts++;
    this.#log(`host: device restart (${reason})`);
    for (const id of this.#timers.values()) this.clock.clearTimeout(id);
    this.#timers.clear();
    this.#queue.length = 0;
    this.ble.powerCycle();
    await this.mqtt.closeAll();
    this.wifi.connected = false;
    if (!this.#transport.restart) { this.halted = reason; return; }
    this.#bootedAt = this.clock.now();
    this.#apply(await this.#transport.restart());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pumping;
    await this.mqtt.closeAll();
    await this.#transport.close();
  }

  #log(line: string): void { this.#options.log?.(line); }

  #apply(ops: HostOp[]): void {
    // the RAM bench's apart mode (test/doubles/apart.ts): deliveries asked for next, in the order asked
    let again: [string, unknown[]][] | undefined;
    for (const op of ops) {
      if (this.#reboot) break; // the CPU reset: nothing the firmware posted after it happens
      if (op[0] === "host.again") { (again ??= []).push([op[1] as string, []]); continue; }
      if (op[0] === "host.firmware") continue; // for the RAM bench's classification (transport.afterDelivery)
      try { this.#op(op); } catch (error) { this.#log(`host: op ${op[0]} failed: ${(error as Error).message}`); }
    }
    if (again) this.#queue.unshift(...again);
  }

  #op([name, ...args]: HostOp): void {
    if (name.startsWith("ble.")) { this.ble.handle(name, args); return; }
    if (name.startsWith("mqtt.")) { this.mqtt.handle(name, args); return; }
    switch (name) {
      case "timer.set": {
        const [id, initial, repeat] = args as [number, number, number];
        this.clock.clearTimeout(this.#timers.get(id));
        const fire = () => {
          if (repeat) this.#timers.set(id, this.clock.setTimeout(fire, Math.max(1, repeat)));
          else this.#timers.delete(id);
          this.emit("timer", id);
        };
        this.#timers.set(id, this.clock.setTimeout(fire, initial));
        break;
      }
      case "timer.clear": {
        const id = args[0] as number;
        this.clock.clearTimeout(this.#timers.get(id));
        this.#timers.delete(id);
        break;
      }
      case "wifi.init": this.clock.setTimeout(() => this.emit("wifi.notify", "start"), 5); break; // WIFI_EVENT_STA_START
      case "wifi.deinit": break;
      case "wifi.connect": {
        const [ssid, password] = args as [string, string];
        const { apUp, weakSignal } = this.wifi;
        this.#wifiRetries = 5; // credentials set: xs6wifi.c retries a disconnect silently 5 times
        const attempt = ++this.#wifiAttempt; // a later connect() or disconnect() aborts this one
        if (apUp && !weakSignal && ssid === this.wifi.ssid && password === this.wifi.password) {
          this.clock.setTimeout(() => {
            if (attempt !== this.#wifiAttempt) return;
            if (!this.wifi.apUp) { this.emit("wifi.notify", "disconnect", [201]); return; }
            this.wifi.connected = true;
            this.#wifiRetries = 0; // STA_CONNECTED: later drops are reported
            this.emit("wifi.notify", "connect");
            this.emit("wifi.notify", "gotIP");
          }, 800);
        } else {
          // the ESP32 tries 1 + 5 times silently before telling; the ESP-IDF reason of each attempt:
          // 15 (4-way handshake timeout) for a wrong password, 204 (handshake timeout) at the edge of
          // range, 201 (no AP found) when it is off or the SSID is unknown
          const reason = !apUp || ssid !== this.wifi.ssid ? 201 : weakSignal ? 204 : 15;
          this.clock.setTimeout(() => {
            if (attempt === this.#wifiAttempt) this.emit("wifi.notify", "disconnect", new Array(6).fill(reason));
          }, 4000);
        }
        break;
      }
      case "wifi.disconnect":
        this.#wifiRetries = 0; // clearConfig(): no credentials, and an attempt under way ends
        this.#wifiAttempt++;
        if (this.wifi.connected) {
          this.wifi.connected = false;
          this.mqtt.networkLost();
          // ASSOC_LEAVE; if connect() set credentials again meanwhile, xs6wifi.c takes it as one of
          // that attempt's silent retries and JavaScript never hears of it
          this.clock.setTimeout(() => {
            if (this.#wifiRetries > 0) { this.#wifiRetries--; return; }
            this.emit("wifi.notify", "disconnect", [8]);
          }, 10);
        }
        break;
      // UDP (lin modSocket.c): "connected" is posted on the next 20 ms service tick, delivered 1 ms later
      case "udp.open": this.clock.setTimeout(() => this.emit("udp.connected", args[0]), 21); break;
      case "udp.close": break;
      case "sntp.resolve": {
        const [id, host] = args as [number, string];
        // without a network or a DNS server the lookup fails at once; else a DNS round trip
        const ok = this.wifi.connected && this.internet.dns;
        this.clock.setTimeout(() => this.emit("sntp.resolved", id, host, ok ? "203.0.113.123" : null), ok ? 15 : 2);
        break;
      }
      case "sntp.write": {
        const id = args[0] as number;
        if (!this.wifi.connected || !this.internet.ntp) break; // the request is lost
        // the host's wall clock at boot, advanced by the device's (possibly virtual) clock
        this.clock.setTimeout(() => {
          this.emit("udp.posted", id);
          this.clock.setTimeout(() => this.emit("udp.readable", id, Math.floor((this.#epochAtBoot + this.clock.now()) / 1000)), 1);
        }, 30);
        break;
      }
      case "serial.open": this.clock.setTimeout(() => this.emit("serial.drained", FIFO_SIZE), 1); break;
      case "serial.dropped": this.serialDropped += args[0] as number; break;
      case "serial.write": {
        const hex = args[0] as string;
        const text = this.#serialDecoder.decode(Buffer.from(hex, "hex"), { stream: true }); // UTF-8 may split across writes
        this.serialOutput += text;
        if (this.serialOutput.length > 1 << 20) this.serialOutput = this.serialOutput.slice(-(1 << 19));
        this.#options.onSerial?.(text);
        // 115200 baud drains ~11.5 bytes per ms
        this.clock.setTimeout(() => this.emit("serial.drained", hex.length / 2), Math.ceil(hex.length / 2 / 11.5));
        break;
      }
      case "panic": {
        const [where, error] = args as [string, string];
        this.panics++;
        this.fatalErrors++;
        this.#log(`PANIC (device reboots) in ${where}: ${error}`);
        this.#options.onFatal?.(where, error);
        this.#reboot = `panic in ${where}`;
        break;
      }
      case "system.restart": this.#reboot = "System.restart()"; break;
      case "fatal": {
        this.fatalErrors++;
        const [where, error] = args as [string, string];
        this.#log(`FATAL (device would reboot) in ${where}: ${error}`);
        this.#options.onFatal?.(where, error);
        break;
      }
      default:
        this.#log(`host: unknown op ${name}`);
    }
  }

  #call([name, ...args]: HostOp): unknown {
    if (name.startsWith("ble.")) {
      if (name === "ble.types") return this.#bleTypes;
      return this.ble.call(name, args);
    }
    switch (name) {
      case "config": return this.#options.config ?? manifestConfig();
      case "pref.get": return this.flash.get(`${args[0]}/${args[1]}`) ?? null;
      case "pref.set": this.flash.set(`${args[0]}/${args[1]}`, args[2]); return null;
      case "pref.delete": this.flash.delete(`${args[0]}/${args[1]}`); return null;
      case "resource.get": {
        const data = this.#options.resources?.get(args[0] as string);
        return data ? { hex: data.toString("hex") } : null;
      }
      case "x509.validity": return validityOf(args[0] as string);
      case "pref.keys": {
        const prefix = `${args[0]}/`;
        return [...this.flash.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      }
      case "net.get": {
        const up = this.wifi.connected;
        switch (args[0]) {
          case "MAC": return (this.#options.mac ?? "24:6F:28:A1:B2:C3").toUpperCase();
          case "IP": return up ? "127.0.0.1" : undefined;
          case "SSID": return up ? this.wifi.ssid : undefined;
          case "RSSI": return up ? -58 : undefined;
          default: return undefined;
        }
      }
      case "wifi.scan": return this.wifi.apUp ? [{ ssid: this.wifi.ssid, rssi: -58, channel: 6 }] : [];
      default:
        this.#log(`host: unknown call ${name}`);
        return null;
    }
  }
}

export { FIFO_SIZE };
