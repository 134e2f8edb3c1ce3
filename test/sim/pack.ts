// The battery behind a simulated JBD BMS: series cells sharing one current, a coulomb counter,
// NTCs that warm with current, balancing, protections and the two FETs. Simple, but coherent:
// cells sum to the pack voltage, SOC follows the integrated current, and limits trip and release.
//
// The physics needs no timer of its own (a VirtualClock can still run dry): it catches up from its
// last step to clock.now() in steps of at most STEP_MS whenever the pack is read or driven.

import type { Clock } from "./clock";
import type { LoadProfile } from "./pack-profile";
import type { Random } from "./bms-random";
import { openCircuitMv, socAtMv } from "./pack-curve";
import { ERROR_COUNTERS, alarmWord, protections, type Measures, type Protection } from "./pack-protection";

export interface PackOptions {
  cellCount: number;
  ntcCount: number;
  capacityAh: number;
  /** Percent. */
  initialSoc: number;
  ambientC: number;
}

export interface FetPair {
  charge: boolean;
  discharge: boolean;
}

/** What the BMS measures and reports, at one instant. */
export interface PackReading {
  /** V; the sum of cellsMv. */
  voltage: number;
  /** A actually flowing: + charge, − discharge (0 when the FET for that direction is off). */
  current: number;
  remainingAh: number;
  capacityAh: number;
  /** Percent, 0..100, from the coulomb counter. */
  soc: number;
  cycles: number;
  cellsMv: number[];
  /** One per NTC, 0.1 °C resolution. */
  tempsC: number[];
  /** true = FET on (conducting). */
  fet: FetPair;
  /** Software-off requests (0xE1 / 0xFB), true = held off. */
  softOff: FetPair;
  /** Protection bit 12: set while any software-off is active. */
  softwareLock: boolean;
  /** The 0x03 protection word. */
  protection: number;
  /** The V11 alarm word (extended 0x03). */
  alarm: number;
  /** Bit n = cell n+1 is being balanced. */
  balancing: number;
  balanceCurrentMa: number;
  /** 0xAA counters, in ERROR_COUNTERS order. */
  errorCounts: number[];
}

const STEP_MS = 1000;
const MS_PER_HOUR = 3600_000;
/** JBD counts one cycle per "cycle capacity" discharged (reg 0x11: 224 Ah on a 280 Ah pack). */
const CYCLE_FRACTION = 0.8;
/** Cell-to-cell spread: capacity −2..+1 % (the weakest cell sets the pack's ends), start SOC ±1 %. */
const CELL_CAPACITY_SPREAD = [-0.02, 0.01] as const;
const CELL_SOC_SPREAD = 0.01;
/** Cell resistance scales inversely with capacity: 2 mΩ for 100 Ah, ±10 %. */
const CELL_RESISTANCE_OHM_AH = 0.2;
const BALANCE_START_MV = 3400;
const BALANCE_WINDOW_MV = 30;
const BALANCE_BLEED_A = 0.05;
/** Temperature rise at 1C, in °C; heating goes with I², sensor 1 sits on the FET board. */
const HEAT_AT_1C = 10;
const FET_SENSOR_GAIN = 1.5;
const THERMAL_TAU_MS = 15 * 60_000;
const SOFTWARE_LOCK_BIT = 12;

export class Pack {
  readonly #clock: Clock;
  readonly #capacityAh: number;
  readonly #cellCapacityAh: number[];
  readonly #cellSocOffset: number[];
  readonly #cellOhm: number[];
  readonly #sensorOffsetC: number[];
  readonly #protections: Protection[];

  #time: number;
  #load: LoadProfile = () => 0;
  #ambientC: number;
  #softOff: FetPair = { charge: false, discharge: false };
  #cellAh: number[] = [];
  #counterAh = 0;
  #dischargedAh = 0;
  /** Energy that flowed in and out (pack voltage × current over each step), for checking the gateway's meter. */
  #energyInWh = 0;
  #energyOutWh = 0;
  #cycles = 0;
  readonly #tempsC: number[];
  #current = 0;
  readonly #cellsMv: number[] = [];
  readonly #trippedAt: (number | undefined)[];
  #balancing = 0;
  readonly #errorCounts: number[] = ERROR_COUNTERS.map((name) => (name === "restarts" ? 1 : 0));

  constructor(clock: Clock, options: PackOptions, random: Random) {
    const { cellCount, ntcCount, capacityAh } = options;
    this.#clock = clock;
    this.#time = clock.now();
    this.#capacityAh = capacityAh;
    this.#cellCapacityAh = Array.from({ length: cellCount }, () => capacityAh * (1 + random.between(...CELL_CAPACITY_SPREAD)));
    this.#cellSocOffset = Array.from({ length: cellCount }, () => random.between(-CELL_SOC_SPREAD, CELL_SOC_SPREAD));
    this.#cellOhm = Array.from({ length: cellCount }, () => (CELL_RESISTANCE_OHM_AH / capacityAh) * random.between(0.9, 1.1));
    this.#sensorOffsetC = Array.from({ length: ntcCount }, () => random.between(-0.3, 0.3));
    this.#protections = protections(cellCount, capacityAh);
    this.#trippedAt = this.#protections.map(() => undefined);
    this.#ambientC = options.ambientC;
    this.#tempsC = this.#sensorOffsetC.map((offset) => options.ambientC + offset);
    this.#fill(options.initialSoc);
    this.#settle();
  }

  read(): PackReading {
    this.#sync();
    const measures = this.#measures();
    const soc = (100 * this.#counterAh) / this.#capacityAh;
    const softwareLock = this.#softOff.charge || this.#softOff.discharge;
    let protection = softwareLock ? 1 << SOFTWARE_LOCK_BIT : 0;
    this.#protections.forEach((p, i) => { if (this.#trippedAt[i] !== undefined) protection |= 1 << p.bit; });
    return {
      voltage: measures.packMv / 1000,
      current: this.#current,
      remainingAh: this.#counterAh,
      capacityAh: this.#capacityAh,
      soc,
      cycles: this.#cycles,
      cellsMv: [...this.#cellsMv],
      tempsC: this.#tempsC.map((t) => Math.round(t * 10) / 10),
      fet: this.#fets(),
      softOff: { ...this.#softOff },
      softwareLock,
      protection,
      alarm: alarmWord(measures, soc),
      balancing: this.#balancing,
      balanceCurrentMa: this.#balancing ? BALANCE_BLEED_A * 1000 : 0,
      errorCounts: [...this.#errorCounts],
    };
  }

  /** Wh charged and discharged since the pack was made (what the gateway's energy meter should find). */
  energyWh(): { charged: number; discharged: number } {
    this.#sync();
    return { charged: this.#energyInWh, discharged: this.#energyOutWh };
  }

  /** A constant charger (+) or load (−) current request, replacing any profile. */
  setCurrent(amps: number): void { this.useProfile(() => amps); }

  useProfile(profile: LoadProfile): void {
    this.#sync();
    this.#load = profile;
    this.#settle();
  }

  /** Software FET control (0xE1 / 0xFB); fields left out keep their state. */
  setSoftOff(off: Partial<FetPair>): void {
    this.#sync();
    this.#softOff = { ...this.#softOff, ...off };
    this.#settle();
  }

  /** Put the counter and every cell (keeping its offset) at `percent`, e.g. to start a test near full. */
  setSoc(percent: number): void {
    this.#sync();
    this.#fill(percent);
    this.#settle();
  }

  /** The coulomb counter alone drifts to `percent` (the cells stay): what a capacity reset corrects. */
  driftCounter(percent: number): void {
    this.#sync();
    this.#counterAh = (percent / 100) * this.#capacityAh;
  }

  /** 0x0A 0x0100: the BMS re-estimates its charge from the resting cell voltages (their mean, on the curve). */
  recalibrateSoc(): void {
    this.#sync();
    let mv = 0;
    for (let i = 0; i < this.#cellAh.length; i++) mv += openCircuitMv(this.#cellAh[i] / this.#cellCapacityAh[i]);
    this.#counterAh = Math.min(1, Math.max(0, socAtMv(mv / this.#cellAh.length))) * this.#capacityAh;
  }

  /** 0x0A 0x0200: the 0xAA history counters back to 0. */
  clearErrorCounters(): void {
    this.#errorCounts.fill(0);
  }

  /** 0x0A 0x0400: every protection released at once; one whose condition persists trips again at the next step. */
  clearProtections(): void {
    this.#sync();
    this.#trippedAt.fill(undefined);
    this.#settle();
  }

  setAmbient(celsius: number): void {
    this.#sync();
    this.#ambientC = celsius;
  }

  #fill(percent: number): void {
    this.#counterAh = (percent / 100) * this.#capacityAh;
    this.#cellAh = this.#cellCapacityAh.map((c, i) => (percent / 100 + this.#cellSocOffset[i]) * c);
  }

  #sync(): void {
    const now = this.#clock.now();
    while (this.#time < now) this.#step(Math.min(STEP_MS, now - this.#time));
  }

  /** Integrate one interval at the current that was settled at its start, then settle again. */
  #step(ms: number): void {
    const hours = ms / MS_PER_HOUR;
    let packMv = 0;
    for (const mv of this.#cellsMv) packMv += mv;
    const wh = (packMv / 1000) * this.#current * hours;
    if (wh > 0) this.#energyInWh += wh; else this.#energyOutWh -= wh;
    for (let i = 0; i < this.#cellAh.length; i++) {
      const bleed = (this.#balancing >>> i) & 1 ? BALANCE_BLEED_A : 0;
      this.#cellAh[i] += (this.#current - bleed) * hours;
    }
    this.#counterAh = Math.min(this.#capacityAh, Math.max(0, this.#counterAh + this.#current * hours));
    if (this.#current < 0) {
      this.#dischargedAh -= this.#current * hours;
      while (this.#dischargedAh >= CYCLE_FRACTION * this.#capacityAh) {
        this.#dischargedAh -= CYCLE_FRACTION * this.#capacityAh;
        this.#cycles++;
      }
    }
    const heat = HEAT_AT_1C * (this.#current / this.#capacityAh) ** 2;
    const relax = 1 - Math.exp(-ms / THERMAL_TAU_MS);
    for (let i = 0; i < this.#tempsC.length; i++) {
      const target = this.#ambientC + this.#sensorOffsetC[i] + heat * (i === 0 ? FET_SENSOR_GAIN : 1);
      this.#tempsC[i] += (target - this.#tempsC[i]) * relax;
    }
    this.#time += ms;
    this.#settle();
  }

  /** Bring current, cell voltages, protections and balancing in line with the state at #time. */
  #settle(): void {
    this.#flow();
    // a trip opens a FET (a release closes one): the reading already shows the new current
    if (this.#applyProtections()) this.#flow();
    this.#balancing = this.#balancingMask();
  }

  #flow(): void {
    const requested = this.#load(this.#time);
    const fet = this.#fets();
    this.#current = (requested > 0 && fet.charge) || (requested < 0 && fet.discharge) ? requested : 0;
    for (let i = 0; i < this.#cellAh.length; i++) {
      const mv = openCircuitMv(this.#cellAh[i] / this.#cellCapacityAh[i]) + this.#current * this.#cellOhm[i] * 1000;
      this.#cellsMv[i] = Math.round(mv);
    }
  }

  /** True when any protection tripped or released. */
  #applyProtections(): boolean {
    const measures = this.#measures();
    let changed = false;
    this.#protections.forEach((p, i) => {
      const trippedAt = this.#trippedAt[i];
      if (trippedAt === undefined && p.trips(measures)) {
        this.#trippedAt[i] = this.#time;
        this.#errorCounts[ERROR_COUNTERS.indexOf(p.counter)]++;
        if (p.calibrates) this.#counterAh = p.calibrates === "full" ? this.#capacityAh : 0;
        changed = true;
      } else if (trippedAt !== undefined && p.releases(measures, this.#time - trippedAt)) {
        this.#trippedAt[i] = undefined;
        changed = true;
      }
    });
    return changed;
  }

  #fets(): FetPair {
    const fet = { charge: !this.#softOff.charge, discharge: !this.#softOff.discharge };
    for (let i = 0; i < this.#protections.length; i++) {
      if (this.#trippedAt[i] !== undefined) fet[this.#protections[i].blocks] = false;
    }
    return fet;
  }

  /** Bleed the cells standing out above the lowest, only while charging (JBD's default mode). */
  #balancingMask(): number {
    if (this.#current <= 0) return 0;
    const lowest = Math.min(...this.#cellsMv);
    let mask = 0;
    this.#cellsMv.forEach((mv, i) => {
      if (mv >= BALANCE_START_MV && mv - lowest >= BALANCE_WINDOW_MV) mask |= 1 << i;
    });
    return mask >>> 0;
  }

  #measures(): Measures {
    const m = { maxCellMv: -Infinity, minCellMv: Infinity, packMv: 0, maxTempC: -Infinity, minTempC: Infinity, currentA: this.#current };
    for (const mv of this.#cellsMv) {
      m.maxCellMv = Math.max(m.maxCellMv, mv);
      m.minCellMv = Math.min(m.minCellMv, mv);
      m.packMv += mv;
    }
    for (const t of this.#tempsC) {
      m.maxTempC = Math.max(m.maxTempC, t);
      m.minTempC = Math.min(m.minTempC, t);
    }
    return m;
  }
}
