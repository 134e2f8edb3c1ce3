// A virtual device that runs only the BLE side of the firmware (central + links) in this Node
// process, against simulated BMS peripherals, on virtual time.
import { VirtualClock } from "../sim/clock";
import { SimulatedBms, type BmsSimOptions } from "../sim/bms";
import { VirtualDevice } from "../virtual/device";
import { NodeTransport } from "../virtual/transport";
import type { BmsView, LinkListener } from "../../modules/link/bms-view";
import type { Logger } from "../../modules/link/logger";

export interface LinkHarness {
  clock: VirtualClock;
  device: VirtualDevice;
  central: import("../../modules/link/ble-central").BleCentral;
  recovery: import("../../modules/link/ble-recovery").Recovery;
  links: import("../../modules/link/bms-link").BmsLink[];
  sims: SimulatedBms[];
  readings: { id: string; at: number }[];
  /** Settings published (LinkListener.onSettings), by BMS id. */
  settingsEvents: { id: string; at: number }[];
  /** The settingsWrite setting as the links read it (off unless a test turns it on). */
  settingsWrite: boolean;
  /** The maintenance setting as the links read it ("" unless a test allows functions). */
  maintenance: string;
  availability: { id: string; online: boolean; at: number }[];
  logs: string[];
  run(ms: number): Promise<void>;
  /** Runs virtual time in `step` slices until `done()`; the virtual ms it took (throws past `ms`). */
  runUntil(done: () => boolean, ms: number, step?: number): Promise<number>;
}

export const POLL_MS = 5_000;

export interface HarnessBms {
  address: string; name?: string; pattern?: string; id?: string; sim?: BmsSimOptions; variant?: "ff00" | "fff0"; configuredAddress?: string;
  /** 1: a random address (the scan reports it; a connect with type 0 never arrives). */
  addressType?: number;
  /** Not there at boot (comes with device.ble.appear()). */
  absent?: boolean;
  nameIn?: "scanResponse" | "advertisement";
  connectDelayMs?: number;
  /** Its module pairs with this PIN (the BLE world's passkey peripheral). */
  passkey?: number;
  /** The BMS's passwords as the gateway is configured with them. */
  secrets?: import("../../modules/link/bms-login").LoginSecrets;
}

export async function startLinks(bmsList: HarnessBms[], options: { seed?: number; flash?: Map<string, unknown>; energyFlash?: boolean; pollMs?: number } = {}): Promise<LinkHarness> {
  const clock = new VirtualClock();
  const logs: string[] = [];
  const readings: LinkHarness["readings"] = [];
  const availability: LinkHarness["availability"] = [];
  // the sim's MAC (its FF AA password derivation) is the address it is found at
  const sims = bmsList.map((b, i) => new SimulatedBms(clock, { seed: (options.seed ?? 7) + i, address: b.address, ...b.sim }));
  const settingsEvents: LinkHarness["settingsEvents"] = [];
  const harness = { clock, sims, readings, availability, logs, settingsEvents, settingsWrite: false, maintenance: "" } as Partial<LinkHarness> as LinkHarness;

  const transport = new NodeTransport(async () => {
    const { BleCentral } = await import("../../modules/link/ble-central");
    const { BmsLink } = await import("../../modules/link/bms-link");
    const { Recovery } = await import("../../modules/link/ble-recovery");
    const { bleStore } = await import("../../modules/link/ble-memory");
    const { energyStore } = await import("../../modules/link/energy-store");
    const System = (await import("../doubles/system")).default;
    const Time = (await import("../doubles/time")).default;
    const log: Logger = {
      error: (m, v) => logs.push(`E ${m}${v ?? ""}`), warn: (m, v) => logs.push(`W ${m}${v ?? ""}`),
      info: (m, v) => logs.push(`I ${m}${v ?? ""}`), debug: () => {},
    };
    const listener: LinkListener = {
      onReading: (bms: BmsView) => readings.push({ id: bms.id, at: Time.ticks }),
      onAvailability: (bms: BmsView, online: boolean) => availability.push({ id: bms.id, online, at: Time.ticks }),
      onInfo: () => {},
      onSettings: (bms: BmsView) => settingsEvents.push({ id: bms.id, at: Time.ticks }),
    };
    const recovery = new Recovery({ restart: () => { System.restart(); return true; }, uptimeMs: () => Time.ticks, store: bleStore, log });
    const central = new BleCentral(log, recovery);
    harness.recovery = recovery;
    let seed = options.seed ?? 7;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    harness.central = central;
    harness.links = bmsList.map((b, i) => {
      const link = new BmsLink({
        id: b.id ?? `bms${i + 1}`, name: b.name ?? `BMS ${i + 1}`, address: b.configuredAddress ?? b.address,
        pattern: b.pattern ?? "", pollIntervalMs: options.pollMs ?? POLL_MS,
        energyFlash: options.energyFlash ? { store: energyStore, slot: i + 1 } : undefined,
        secretSettings: { modulePassword: `bms${i + 1}Password`, bmsPin: `bms${i + 1}Pin`, passkey: `bms${i + 1}Passkey` },
        readSetting: (key: string) => key === "settingsWrite" ? String(harness.settingsWrite) : key === "maintenance" ? harness.maintenance : key === "bmsRootPassword" ? b.secrets?.rootPassword ?? "" : key.endsWith("Password") ? b.secrets?.modulePassword ?? ""
          : key.endsWith("Pin") ? b.secrets?.bmsPin ?? "" : key.endsWith("Passkey") ? b.secrets?.passkey ?? "" : "",
      }, central, listener, log, random);
      central.add(link);
      return link;
    });
    central.start();
    for (const link of harness.links) link.start();
  });

  const device = new VirtualDevice({ clock, transport, log: (line) => logs.push(`H ${line}`), seed: options.seed, flash: options.flash });
  bmsList.forEach((b, i) => {
    const p = device.ble.add({ address: b.address, name: b.name ?? sims[i].name, sim: sims[i], variant: b.variant, addressType: b.addressType, nameIn: b.nameIn, connectDelayMs: b.connectDelayMs, passkey: b.passkey });
    if (b.absent) device.ble.vanish(p);
  });
  harness.device = device;
  harness.run = (ms) => device.run(ms);
  harness.runUntil = async (done, ms, step = 10) => {
    const start = clock.now();
    while (!done()) {
      if (clock.now() - start > ms) throw new Error(`not within ${ms} ms of virtual time`);
      await device.run(step);
    }
    return clock.now() - start;
  };
  await device.boot();
  return harness;
}
