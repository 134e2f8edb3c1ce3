// A complete virtual installation: N simulated BMS peripherals, Wi-Fi, and the firmware "built"
// with a config pointing at a broker. Shared by `npm start`, the soak and the end-to-end tests.
import type { Clock } from "../sim/clock";
import { SimulatedBms, type BmsSimOptions } from "../sim/bms";
import type { LoadProfile } from "../sim/pack-profile";
import { VirtualDevice, manifestConfig } from "./device";
import type { DeviceTransport } from "./transport";

export interface ScenarioOptions {
  clock: Clock;
  transport: DeviceTransport;
  broker: { host: string; port: number };
  bmsCount?: number;
  seed?: number;
  /** Extra mc/config overrides (strings, as on the mcconfig command line). */
  config?: Record<string, string>;
  flash?: Map<string, unknown>;
  /** Resources built into the firmware (certs/mqtt-ca.der). */
  resources?: Map<string, Buffer>;
  profile?: (index: number) => LoadProfile;
  sim?: (index: number) => BmsSimOptions;
  onSerial?: (text: string) => void;
  log?: (line: string) => void;
  /** Other BLE devices around, as in any house (default true): what `scan` shows besides free BMS. */
  neighbours?: boolean;
}

export interface Scenario {
  device: VirtualDevice;
  sims: SimulatedBms[];
  addresses: string[];
  ids: string[];
  config: Record<string, unknown>;
}

const NAMES = ["house", "garage", "boat"];

/** A phone (random address, name in the advertisement), a TV, and a tag that sends no name. */
export const NEIGHBOURS = [
  { address: "5E:1A:2B:3C:4D:5E", name: "Galaxy S21", addressType: 1, nameIn: "advertisement" as const, rssi: -78, advertisingMs: 300 },
  { address: "F8:3F:51:00:AA:01", name: "[TV] Samsung 7 Series", rssi: -84, advertisingMs: 200 },
  { address: "C4:7C:8D:11:22:33", name: "", rssi: -90, advertisingMs: 1000 },
];

export function bmsAddress(index: number): string {
  return `A4:C1:38:5A:00:${(index + 1).toString(16).padStart(2, "0").toUpperCase()}`;
}

export function createScenario(o: ScenarioOptions): Scenario {
  const count = o.bmsCount ?? 1;
  const addresses = Array.from({ length: count }, (_, i) => bmsAddress(i));
  const ids = addresses.map((_, i) => NAMES[i] ?? `bms${i + 1}`);
  const config = manifestConfig({
    ssid: "virtual-ap", password: "virtual-pass",
    mqttHost: o.broker.host, mqttPort: String(o.broker.port),
    bms: addresses.map((a, i) => `${a}=${ids[i]}`).join(";"),
    ...o.config,
  });
  const device = new VirtualDevice({
    clock: o.clock, transport: o.transport, config, flash: o.flash, resources: o.resources, seed: o.seed,
    wifi: { ssid: "virtual-ap", password: "virtual-pass" }, onSerial: o.onSerial, log: o.log,
  });
  const sims = addresses.map((address, i) => {
    const sim = new SimulatedBms(o.clock, {
      seed: (o.seed ?? 1) * 100 + i, cellCount: [4, 8, 16][i % 3], capacityAh: [100, 280, 50][i % 3],
      name: i === 0 ? "xiaoxiang BMS" : `JBD-SP0${4 * (i + 1)}S034-L4S-200A-B-U`, controlFunctions: true, ...o.sim?.(i),
    });
    if (o.profile) sim.useProfile(o.profile(i));
    device.ble.add({ address, name: sim.name, sim, rssi: -55 - 8 * i });
    return sim;
  });
  if (o.neighbours ?? true) for (const n of NEIGHBOURS) device.ble.add(n);
  return { device, sims, addresses, ids, config };
}
