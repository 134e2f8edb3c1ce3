// How the host reaches the firmware: inside the real XS engine (the virtual device proper), or
// in this Node process (fast tests of the wiring). Both run the same doubles and the same code.
import { bundleForXs, startXs, type XsWorker, type MeterUsage } from "../../scripts/lib/xs";
import type { HostOp } from "../doubles/runtime";

export type HostCall = (op: HostOp) => unknown;

export interface DeviceTransport {
  readonly kind: "xs" | "node";
  boot(call: HostCall): Promise<HostOp[]>;
  deliver(time: number, kind: string, args: unknown[]): Promise<HostOp[]>;
  /** Reboot: a fresh engine runs the same firmware image (flash lives on the host). Absent: cannot. */
  restart?(): Promise<HostOp[]>;
  /** XS meter of the last delivery (compute units, live heap slots); undefined in Node. */
  readonly meter: MeterUsage | undefined;
  close(): Promise<void>;
}

/** Platform module names -> our doubles, as mcconfig would map them to the SDK's modules. */
export const DOUBLES: Record<string, string> = {
  timer: "test/doubles/timer.ts", time: "test/doubles/time.ts", bleclient: "test/doubles/bleclient.ts",
  btutils: "test/doubles/btutils.ts", mqtt: "test/doubles/mqtt.ts", securesocket: "test/doubles/securesocket.ts", sntp: "test/doubles/sntp.ts",
  wifi: "test/doubles/wifi.ts", net: "test/doubles/net.ts", preference: "test/doubles/preference.ts",
  instrumentation: "test/doubles/instrumentation.ts", debug: "test/doubles/debug.ts", "embedded:io/serial": "test/doubles/serial.ts",
  "mc/config": "test/doubles/mc-config.ts", sm: "test/doubles/sm.ts", Resource: "test/doubles/resource.ts",
};

const bundles = new Map<string, Promise<string>>();
/**
 * The firmware image. "staged": main runs only when the host asks (the RAM bench's baseline);
 * "zoned": staged, and the compute meter charged to the firmware or the doubles (meter-zone).
 */
export function firmwareBundle(image: "device" | "staged" | "zoned" = "device"): Promise<string> {
  const entry = image === "zoned" ? "test/virtual/xs-entry-zoned.ts" : image === "staged" ? "test/virtual/xs-entry-staged.ts" : "test/virtual/xs-entry.ts";
  if (!bundles.has(entry)) bundles.set(entry, bundleForXs(entry, { aliases: DOUBLES }));
  return bundles.get(entry)!;
}

export class XsTransport implements DeviceTransport {
  readonly kind = "xs";
  #worker: XsWorker | undefined;
  #call: HostCall = () => undefined;
  meter: MeterUsage | undefined;

  /**
   * `beforeMain`: run the image staged, and call it with the engine once the preloaded image is
   * loaded and before main runs (the heap a device build keeps in flash).
   */
  constructor(private readonly beforeMain?: (worker: XsWorker) => Promise<void>, private readonly zoned = false) {}
  /** Called after every delivery with its meter (the RAM bench samples the heap there). */
  afterDelivery: ((kind: string, meter: MeterUsage, ops: HostOp[]) => Promise<void>) | undefined;

  async boot(call: HostCall): Promise<HostOp[]> {
    this.#call = call;
    this.#worker = await startXs((message) => JSON.stringify(this.#call(JSON.parse(message) as HostOp) ?? null));
    await this.#worker.run(await firmwareBundle(this.zoned ? "zoned" : this.beforeMain ? "staged" : "device"));
    if (this.beforeMain || this.zoned) {
      await this.beforeMain?.(this.#worker);
      await this.#worker.run("globalThis.startMain();");
    }
    return this.deliver(0, "boot", []);
  }
  /** The engine, for heap snapshots (undefined before boot). */
  get worker(): XsWorker | undefined { return this.#worker; }
  async restart(): Promise<HostOp[]> {
    await this.#worker?.close();
    this.#worker = await startXs((message) => JSON.stringify(this.#call(JSON.parse(message) as HostOp) ?? null));
    await this.#worker.run(await firmwareBundle());
    return this.deliver(0, "boot", []);
  }
  async deliver(time: number, kind: string, args: unknown[]): Promise<HostOp[]> {
    const { value, meter } = await this.#worker!.command(JSON.stringify([time, kind, args]));
    const ops = JSON.parse(value) as HostOp[];
    if (this.afterDelivery) await this.afterDelivery(kind, meter, ops);
    this.meter = meter; // this delivery's, not those the hook made
    return ops;
  }
  /** Collect garbage inside the device and return the live XS heap slots (no new script is evaluated). */
  async liveSlots(time: number): Promise<number> {
    await this.deliver(time, "host.gc", []);
    return this.meter!.currentHeapCount;
  }
  async close(): Promise<void> { await this.#worker?.close(); this.#worker = undefined; }
}

// Not a literal import: main.ts is type-checked by the firmware's tsconfig against our Moddable
// declarations; here Node's own typings would claim "net".
const MAIN = "../../main";

/**
 * Same firmware in this Node process. `load` runs the firmware's entry (main.ts by default; tests
 * may load only the parts they exercise). Only one per process: ES modules load once.
 */
export class NodeTransport implements DeviceTransport {
  readonly kind = "node";
  readonly meter = undefined;
  #dispatch?: (time: number, kind: string, args: unknown[]) => HostOp[];
  constructor(private readonly load: () => Promise<unknown> = () => import(MAIN)) {}

  async boot(call: HostCall): Promise<HostOp[]> {
    const runtime = await import("../doubles/runtime");
    await import("../doubles/system");
    runtime.attachHost(call);
    this.#dispatch = runtime.dispatch;
    await this.load();
    return this.deliver(0, "boot", []);
  }
  async deliver(time: number, kind: string, args: unknown[]): Promise<HostOp[]> {
    // round-trip through JSON like the XS bridge, so both modes see the same data
    return JSON.parse(JSON.stringify(this.#dispatch!(time, kind, JSON.parse(JSON.stringify(args)))));
  }
  async close(): Promise<void> {}
}
