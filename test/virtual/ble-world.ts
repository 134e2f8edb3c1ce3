// The radio side of the virtual device: BMS peripherals (each a SimulatedBms) as the ESP32's
// NimBLE stack would see them, with the failure modes the field reports: connects that hang
// while a device is away, drops, and a stack that stops answering until the client is recreated.
import type { Clock } from "../sim/clock";
import type { SimulatedBms } from "../sim/bms";

export type Emit = (kind: string, ...args: unknown[]) => void;

export interface PeripheralOptions {
  address: string;            // "A4:C1:38:11:22:33"
  name: string;
  sim: SimulatedBms;
  variant?: "ff00" | "fff0";
  rssi?: number;
}

interface Peripheral extends Required<PeripheralOptions> {
  present: boolean;
  connection: number;          // 0 = not connected
  notifying: boolean;
}

// GATT layout of a typical JBD module (facts §5): FF01 value 0x11 (CCCD 0x12), FF02 value 0x15.
const SERVICE_START = 0x10, SERVICE_END = 0x1f, NOTIFY_HANDLE = 0x11, WRITE_HANDLE = 0x15;

/** "A4:C1:38:11:22:33" -> little-endian hex as the stack stores it ("33221138c1a4"). */
export function addressToWire(address: string): string {
  return address.split(":").reverse().join("").toLowerCase();
}

function uuidWire(short: string): string { return short.slice(2, 4) + short.slice(0, 2); }

export class BleWorld {
  readonly peripherals: Peripheral[] = [];
  maxConnections = 3;
  /** Stack wedged: every call is ignored, no callback comes, until the client is recreated. */
  wedged = false;
  #clientAlive = false;
  #freeUntil = 0;              // BLEClient.close() frees the stack asynchronously
  #pending = new Map<string, number>(); // wire address -> connect request time
  #scanTimer: number | undefined;
  #nextConnection = 1;
  /** Observers (the soak): a peripheral's link came up or went down, at clock time. */
  onLink: ((address: string, up: boolean, time: number) => void) | undefined;

  constructor(private readonly clock: Clock, private readonly emit: Emit, private readonly random: () => number = Math.random) {}

  add(options: PeripheralOptions): Peripheral {
    const p: Peripheral = { variant: "ff00", rssi: -60, ...options, present: true, connection: 0, notifying: false };
    p.sim.onNotify = (chunk) => {
      if (p.connection && p.notifying && this.#clientAlive && !this.wedged) this.emit("ble.notification", p.connection, NOTIFY_HANDLE, Buffer.from(chunk).toString("hex"));
    };
    this.peripherals.push(p);
    return p;
  }

  find(address: string): Peripheral | undefined {
    return this.peripherals.find((p) => p.address.toLowerCase() === address.toLowerCase());
  }

  // ---- faults ----
  /** The peer drops the link (out of range, BMS reset...). */
  drop(p: Peripheral): void {
    if (!p.connection) return;
    const connection = p.connection;
    this.#release(p);
    if (!this.wedged) this.emit("ble.disconnected", connection);
  }
  /** The device stops answering and advertising; pending connects hang. */
  vanish(p: Peripheral): void { this.drop(p); p.present = false; }
  appear(p: Peripheral): void {
    p.present = true;
    const requested = this.#pending.get(addressToWire(p.address));
    if (requested !== undefined) this.#completeConnect(p);
  }

  // ---- operations from the bleclient double ----
  handle(op: string, args: unknown[]): void {
    if (op === "ble.close") { this.#closeClient(); return; }
    if (this.wedged || !this.#clientAlive) return;
    switch (op) {
      case "ble.scan": this.#scan(args[0] as boolean, args[1] as boolean); break;
      case "ble.connect": this.#connect(args[0] as string); break;
      case "ble.disconnect": {
        const p = this.#byConnection(args[0] as number);
        if (!p) break;
        const connection = p.connection;
        this.#release(p);
        this.clock.setTimeout(() => this.emit("ble.disconnected", connection), 20);
        break;
      }
      case "ble.services": {
        const p = this.#byConnection(args[0] as number);
        if (!p) break;
        const uuid = uuidWire(p.variant === "fff0" ? "FFF0" : "FF00");
        const wanted = args[1] as string | null;
        const list = [{ uuid: "0018", start: 1, end: 7 }, { uuid, start: SERVICE_START, end: SERVICE_END }]
          .filter((s) => wanted === null || s.uuid === wanted);
        this.#later(15, () => p.connection && this.emit("ble.services", p.connection, list));
        break;
      }
      case "ble.characteristics": {
        const p = this.#byConnection(args[0] as number);
        if (!p || args[1] !== SERVICE_START) break;
        const [n, w] = p.variant === "fff0" ? ["FFF1", "FFF2"] : ["FF01", "FF02"];
        const wanted = args[3] as string | null;
        const list = [
          { uuid: uuidWire(n), handle: NOTIFY_HANDLE, properties: 0x12 },
          { uuid: uuidWire(w), handle: WRITE_HANDLE, properties: 0x0c },
        ].filter((c) => wanted === null || c.uuid === wanted);
        this.#later(15, () => p.connection && this.emit("ble.characteristics", p.connection, SERVICE_START, list));
        break;
      }
      case "ble.notify": {
        const p = this.#byConnection(args[0] as number);
        if (!p || args[1] !== NOTIFY_HANDLE) break; // NimBLE writes the CCCD at value handle + 1
        const connection = p.connection;
        this.#later(25, () => {
          if (p.connection !== connection) return;
          p.notifying = args[2] as boolean;
          this.emit("ble.notifyEnabled", connection, NOTIFY_HANDLE, p.notifying);
        });
        break;
      }
      case "ble.write": {
        const p = this.#byConnection(args[0] as number);
        if (p && args[1] === WRITE_HANDLE) p.sim.write(new Uint8Array(Buffer.from(args[2] as string, "hex")));
        break;
      }
      case "ble.mtu": {
        const p = this.#byConnection(args[0] as number);
        if (p) this.#later(20, () => p.connection && this.emit("ble.mtu", p.connection, Math.min(args[1] as number, 247)));
        break;
      }
    }
  }

  /** Synchronous calls: ble.init (may refuse while a close is still freeing), ble.rssi. */
  call(op: string, args: unknown[]): unknown {
    if (op === "ble.init") {
      if (this.#clientAlive || this.clock.now() < this.#freeUntil) return false;
      this.#clientAlive = true;
      this.wedged = false;
      this.#later(40, () => this.#clientAlive && this.emit("ble.ready"));
      return true;
    }
    if (op === "ble.rssi") {
      const p = this.#byConnection(args[0] as number);
      return p && !this.wedged ? Math.round(p.rssi + (this.random() - 0.5) * 6) : null;
    }
    return undefined;
  }

  get connectedCount(): number { return this.peripherals.filter((p) => p.connection).length; }

  #byConnection(connection: number): Peripheral | undefined {
    return connection ? this.peripherals.find((p) => p.connection === connection) : undefined;
  }

  #later(ms: number, fn: () => void): void {
    this.clock.setTimeout(() => { if (this.#clientAlive && !this.wedged) fn(); }, ms);
  }

  #scan(on: boolean, duplicates: boolean): void {
    this.clock.clearTimeout(this.#scanTimer);
    this.#scanTimer = undefined;
    if (!on) return;
    const reported = new Set<Peripheral>();
    const tick = () => {
      for (const p of this.peripherals) {
        if (!p.present || p.connection || (!duplicates && reported.has(p))) continue;
        reported.add(p);
        this.emit("ble.discovered", addressToWire(p.address), 0, Math.round(p.rssi), advertisement(p));
      }
      this.#scanTimer = this.clock.setTimeout(tick, 100);
    };
    this.#scanTimer = this.clock.setTimeout(tick, 30);
  }

  #connect(wire: string): void {
    this.clock.clearTimeout(this.#scanTimer); // NimBLE stops scanning to connect
    if (this.#pending.size) return;          // a second connect while one is pending is ignored
    this.#pending.set(wire, this.clock.now());
    const p = this.peripherals.find((x) => addressToWire(x.address) === wire);
    if (p?.present) this.#completeConnect(p);
    // absent device: nothing happens, ever (no timeout in NimBLE)
  }

  #completeConnect(p: Peripheral): void {
    const wire = addressToWire(p.address);
    const delay = 60 + this.random() * 300;
    this.clock.setTimeout(() => {
      if (!this.#pending.has(wire) || !this.#clientAlive || this.wedged) return;
      if (!p.present || p.connection) return;
      this.#pending.delete(wire);
      if (this.connectedCount >= this.maxConnections) return; // link-layer failure: no callback at all
      p.connection = this.#nextConnection++;
      this.onLink?.(p.address, true, this.clock.now());
      this.emit("ble.connected", p.connection, wire, 0);
    }, delay);
  }

  #release(p: Peripheral): void {
    if (p.connection) this.onLink?.(p.address, false, this.clock.now());
    p.connection = 0;
    p.notifying = false;
    p.sim.disconnected();
  }

  #closeClient(): void {
    this.#clientAlive = false;
    this.wedged = false;
    this.#pending.clear();
    this.clock.clearTimeout(this.#scanTimer);
    for (const p of this.peripherals) if (p.connection) this.#release(p);
    this.#freeUntil = this.clock.now() + 50;
  }
}

/** Advertising data: flags, complete 16-bit service list (FF00 / FFF0), complete name. */
function advertisement(p: Peripheral): string {
  const name = Buffer.from(p.name, "utf8").subarray(0, 26);
  const service = p.variant === "fff0" ? [0xf0, 0xff] : [0x00, 0xff];
  return Buffer.concat([
    Buffer.from([2, 0x01, 0x06]),
    Buffer.from([3, 0x03, ...service]),
    Buffer.from([name.length + 1, 0x09]), name,
  ]).toString("hex");
}
