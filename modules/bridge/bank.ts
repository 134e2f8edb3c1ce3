// A bank: the gateway's packs wired together (the `bank` setting: parallel or series), shown as one
// more device. Only packs whose readings are fresh (online) count; one that is offline is left out
// of every figure and named in `offline`, never counted as zero. The bank's reading is published
// once every online pack has reported since the last one (so one poll round makes one bank state,
// whatever the number of packs), and when a pack goes offline or comes back.
//
// parallel: one bus: the voltage is the packs' mean, currents, powers and capacities add up.
// series: one string: voltages add up, the current is the packs' mean, the string holds as many Ah
// as its emptiest pack (remaining and nominal capacity are the lowest). In both, `soc` is weighted
// by each pack's nominal capacity, `socMin` is the lowest pack's, and `remainingEnergy` adds up
// every online pack's remaining Ah times its voltage.
import type { BmsView } from "../link/bms-view";
import type { JsonWriter } from "../protocol/json";
import { frozen, type Entity } from "./entities";

export type BankTopology = "parallel" | "series";

/** The `bank` setting as the bridge takes it: "" for off. */
export function bankTopology(setting: string): BankTopology | "" {
  return setting === "parallel" || setting === "series" ? setting : "";
}

export class Bank {
  /** Bit per member: reported (a new reading) since the bank's last reading was made. */
  #reported = 0;
  /** Members online when the last reading was made (a change publishes). */
  #onlineMask = 0;
  /** A new bank reading is due. */
  due = false;

  constructor(readonly topology: BankTopology, readonly members: readonly BmsView[]) {}

  /** A member's new reading: due once every online member has one since the last bank reading. */
  reading(view: BmsView): void {
    const bit = this.bit(view);
    if (bit === 0) return;
    this.#reported |= bit;
    this.check();
  }

  /** A member went online or offline: the figures change (an offline pack leaves them). */
  availability(view: BmsView): void {
    if (this.bit(view) === 0) return;
    this.check();
  }

  /** Any member online: the bank has figures to show. */
  get online(): boolean { return this.onlineMask() !== 0; }

  /** The bank's reading as JSON, into `w` (cleared); marks it published. */
  write(w: JsonWriter): void {
    this.due = false;
    this.#reported = 0;
    const online = this.#onlineMask = this.onlineMask();
    const parallel = this.topology === "parallel";
    let count = 0, volts = 0, amps = 0, watts = 0, remaining = 0, nominal = 0, weightedSoc = 0, socMin = 101, energyWh = 0;
    let lowRemaining = Infinity, lowNominal = Infinity;
    let cellMin = 0, cellMinPack = -1, cellMinIndex = -1, cellMax = 0, cellMaxPack = -1, cellMaxIndex = -1;
    for (let i = 0; i < this.members.length; i++) {
      if (((online >> i) & 1) === 0) continue;
      const info = this.members[i].info, cells = this.members[i].cells;
      count++;
      volts += info.volts;
      amps += info.amps;
      watts += info.watts;
      remaining += info.remainingAh;
      nominal += info.nominalAh;
      lowRemaining = Math.min(lowRemaining, info.remainingAh);
      lowNominal = Math.min(lowNominal, info.nominalAh);
      weightedSoc += info.soc * info.nominalAh;
      socMin = Math.min(socMin, info.soc);
      energyWh += info.remainingAh * info.volts;
      const low = cells.minIndex, high = cells.maxIndex;
      if (low >= 0 && (cellMinPack < 0 || cells.millivolts[low] < cellMin)) { cellMin = cells.millivolts[low]; cellMinPack = i; cellMinIndex = low; }
      if (high >= 0 && (cellMaxPack < 0 || cells.millivolts[high] > cellMax)) { cellMax = cells.millivolts[high]; cellMaxPack = i; cellMaxIndex = high; }
    }
    w.clear().beginObject().key("topology").string(this.topology);
    w.key("packs").number(this.members.length).key("packsOnline").number(count);
    w.key("offline").beginArray();
    for (let i = 0; i < this.members.length; i++) if (((online >> i) & 1) === 0) w.string(this.members[i].id);
    w.endArray();
    if (count === 0) { w.endObject(); return; }
    w.key("voltage").fixed(parallel ? volts / count : volts, 2);
    w.key("current").fixed(parallel ? amps : amps / count, 2);
    w.key("power").fixed(watts, 1);
    w.key("soc").fixed(nominal > 0 ? weightedSoc / nominal : socMin, 1);
    w.key("socMin").number(socMin);
    w.key("remainingCapacity").fixed(parallel ? remaining : lowRemaining, 2);
    w.key("nominalCapacity").fixed(parallel ? nominal : lowNominal, 2);
    w.key("remainingEnergy").fixed(energyWh / 1000, 3);
    if (cellMinPack >= 0) {
      w.key("cellMin").thousandths(cellMin).key("cellMinPack").string(this.members[cellMinPack].id).key("cellMinIndex").number(cellMinIndex + 1);
      w.key("cellMax").thousandths(cellMax).key("cellMaxPack").string(this.members[cellMaxPack].id).key("cellMaxIndex").number(cellMaxIndex + 1);
      w.key("cellDelta").thousandths(cellMax - cellMin);
    }
    w.endObject();
  }

  private check(): void {
    const online = this.onlineMask();
    if (online !== this.#onlineMask || (online !== 0 && (this.#reported & online) === online)) this.due = true;
  }

  private onlineMask(): number {
    let mask = 0;
    for (let i = 0; i < this.members.length; i++) if (this.members[i].online && this.members[i].infoAt !== -1) mask |= 1 << i;
    return mask;
  }

  private bit(view: BmsView): number {
    for (let i = 0; i < this.members.length; i++) if (this.members[i] === view) return 1 << i;
    return 0;
  }
}

const value = (path: string) => "{{value_json." + path + "}}";

/** The bank device's entities (modules/bridge/entities.ts's shape), all reading the bank's state. */
export const BANK_ENTITIES: readonly Entity[] = frozen([
  { component: "sensor", object: "voltage", name: "Voltage", source: "state", template: value("voltage"), unit: "V", deviceClass: "voltage", stateClass: "measurement", precision: 2 },
  { component: "sensor", object: "current", name: "Current", source: "state", template: value("current"), unit: "A", deviceClass: "current", stateClass: "measurement", precision: 2 },
  { component: "sensor", object: "power", name: "Power", source: "state", template: value("power"), unit: "W", deviceClass: "power", stateClass: "measurement", precision: 0 },
  { component: "sensor", object: "soc", name: "State of charge", source: "state", template: value("soc"), unit: "%", deviceClass: "battery", stateClass: "measurement", precision: 0 },
  { component: "sensor", object: "soc_min", name: "Lowest pack state of charge", source: "state", template: value("socMin"), unit: "%", deviceClass: "battery", stateClass: "measurement", precision: 0 },
  { component: "sensor", object: "remaining_capacity", name: "Remaining capacity", source: "state", template: value("remainingCapacity"), unit: "Ah", stateClass: "measurement", icon: "mdi:battery-50", precision: 1 },
  { component: "sensor", object: "nominal_capacity", name: "Nominal capacity", source: "state", template: value("nominalCapacity"), unit: "Ah", stateClass: "measurement", icon: "mdi:battery", precision: 1 },
  { component: "sensor", object: "remaining_energy", name: "Remaining energy", source: "state", template: value("remainingEnergy"), unit: "kWh", deviceClass: "energy_storage", stateClass: "measurement", precision: 2 },
  { component: "sensor", object: "cell_min", name: "Lowest cell", source: "state", template: value("cellMin"), unit: "V", deviceClass: "voltage", stateClass: "measurement", precision: 3, attributes: "{{{'pack':value_json.cellMinPack,'cell':value_json.cellMinIndex}|tojson}}" },
  { component: "sensor", object: "cell_max", name: "Highest cell", source: "state", template: value("cellMax"), unit: "V", deviceClass: "voltage", stateClass: "measurement", precision: 3, attributes: "{{{'pack':value_json.cellMaxPack,'cell':value_json.cellMaxIndex}|tojson}}" },
  { component: "sensor", object: "cell_delta", name: "Cell delta", source: "state", template: value("cellDelta"), unit: "V", deviceClass: "voltage", stateClass: "measurement", precision: 3 },
  { component: "sensor", object: "packs_online", name: "Packs online", source: "state", template: value("packsOnline"), stateClass: "measurement", icon: "mdi:battery-sync", precision: 0, attributes: "{{{'offline':value_json.offline}|tojson}}" },
]);
