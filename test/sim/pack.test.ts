import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "./clock";
import { Random } from "./bms-random";
import { Pack, type PackOptions } from "./pack";
import { solarDayProfile } from "./pack-profile";
import { ERROR_COUNTERS } from "./pack-protection";

const HOUR = 3600_000;

function makePack(options: Partial<PackOptions> = {}, seed = 1) {
  const clock = new VirtualClock();
  const pack = new Pack(clock, { cellCount: 4, ntcCount: 3, capacityAh: 100, initialSoc: 50, ambientC: 25, ...options }, new Random(seed));
  return { clock, pack };
}

/** Advance a second at a time until `done` holds; fails the test after `limitMs`. */
function advanceUntil(clock: VirtualClock, done: () => boolean, limitMs: number): void {
  const end = clock.now() + limitMs;
  while (!done()) {
    assert.ok(clock.now() < end, "condition not reached in time");
    clock.advance(1000);
  }
}

const count = (pack: Pack, name: (typeof ERROR_COUNTERS)[number]) => pack.read().errorCounts[ERROR_COUNTERS.indexOf(name)];

describe("pack: charge accounting", () => {
  it("10 A for 1 h adds 10 Ah, 20 A out for 30 min takes 10 Ah", () => {
    const { clock, pack } = makePack({ initialSoc: 50 });
    pack.setCurrent(10);
    clock.advance(HOUR);
    assert.ok(Math.abs(pack.read().remainingAh - 60) < 0.01, `${pack.read().remainingAh}`);
    assert.ok(Math.abs(pack.read().soc - 60) < 0.01);
    pack.setCurrent(-20);
    clock.advance(HOUR / 2);
    assert.ok(Math.abs(pack.read().remainingAh - 50) < 0.01);
    assert.equal(pack.read().current, -20);
  });

  it("counts a cycle per 80 % of capacity discharged", () => {
    const { clock, pack } = makePack({ initialSoc: 100 });
    pack.setCurrent(-40);
    clock.advance(1.9 * HOUR);
    assert.equal(pack.read().cycles, 0);
    clock.advance(0.2 * HOUR);
    assert.equal(pack.read().cycles, 1);
  });

  it("an idle pack does not change", () => {
    const { clock, pack } = makePack();
    const before = pack.read();
    clock.advance(24 * HOUR);
    assert.deepEqual(pack.read(), before);
  });
});

describe("pack: voltages and temperatures", () => {
  it("cells follow SOC on a LiFePO4 curve, spread little, and sum to the pack voltage", () => {
    let previousMean = 0;
    for (const soc of [10, 30, 50, 70, 90]) {
      const r = makePack({ initialSoc: soc, cellCount: 16 }).pack.read();
      const sum = r.cellsMv.reduce((a, b) => a + b, 0);
      assert.equal(r.voltage, sum / 1000);
      const mean = sum / r.cellsMv.length;
      assert.ok(mean > previousMean && mean > 3150 && mean < 3400, `mean ${mean} mV at ${soc} %`);
      assert.ok(Math.max(...r.cellsMv) - Math.min(...r.cellsMv) < 40, `spread at ${soc} %`);
      previousMean = mean;
    }
  });

  it("charging lifts and discharging sags the cell voltages", () => {
    const { pack } = makePack();
    const idle = pack.read().voltage;
    pack.setCurrent(50);
    const charging = pack.read().voltage;
    pack.setCurrent(-50);
    const discharging = pack.read().voltage;
    assert.ok(charging > idle && idle > discharging, `${charging} ${idle} ${discharging}`);
  });

  it("temperatures rise with |current| (FET sensor most) and relax back to ambient", () => {
    const { clock, pack } = makePack({ ntcCount: 3, initialSoc: 100 });
    pack.setCurrent(-100);
    clock.advance(HOUR / 2);
    assert.equal(pack.read().current, -100);
    const hot = pack.read().tempsC;
    assert.ok(Math.min(...hot) > 30, `${hot}`);
    assert.ok(hot[0] > hot[1] && hot[0] > hot[2], `${hot}`);
    pack.setCurrent(0);
    clock.advance(3 * HOUR);
    for (const t of pack.read().tempsC) assert.ok(Math.abs(t - 25) < 0.5, `${t}`);
  });

  it("reports no temperatures without NTCs", () => {
    assert.deepEqual(makePack({ ntcCount: 0 }).pack.read().tempsC, []);
  });
});

describe("pack: protections", () => {
  it("cell OV stops charging, calibrates to full, and releases below 3.55 V", () => {
    const { clock, pack } = makePack({ initialSoc: 95 });
    pack.setCurrent(20);
    advanceUntil(clock, () => (pack.read().protection & 1) !== 0, HOUR);
    let r = pack.read();
    assert.equal(r.fet.charge, false);
    assert.equal(r.fet.discharge, true);
    assert.equal(r.current, 0);
    assert.equal(r.soc, 100);
    assert.equal(count(pack, "cellOvervoltage"), 1);
    // hysteresis: resting between the two limits keeps it tripped
    clock.advance(HOUR);
    r = pack.read();
    assert.ok(Math.max(...r.cellsMv) > 3550 && (r.protection & 1) !== 0);
    pack.setCurrent(-20);
    assert.equal(pack.read().current, -20, "discharge still flows");
    advanceUntil(clock, () => (pack.read().protection & 1) === 0, HOUR);
    assert.ok(Math.max(...pack.read().cellsMv) <= 3550);
    assert.equal(pack.read().fet.charge, true);
  });

  it("cell UV stops discharging, calibrates to empty, and releases once charged", () => {
    const { clock, pack } = makePack({ initialSoc: 5 });
    pack.setCurrent(-20);
    advanceUntil(clock, () => (pack.read().protection & 2) !== 0, HOUR);
    const r = pack.read();
    assert.deepEqual([r.fet.charge, r.fet.discharge, r.current, r.soc], [true, false, 0, 0]);
    assert.equal(count(pack, "cellUndervoltage"), 1);
    pack.setCurrent(10);
    assert.equal(pack.read().current, 10, "charge still flows");
    advanceUntil(clock, () => (pack.read().protection & 2) === 0, HOUR);
    assert.ok(Math.min(...pack.read().cellsMv) >= 2700);
  });

  it("over-temperature opens both FETs and releases at 55 °C", () => {
    const { clock, pack } = makePack();
    pack.setCurrent(-10);
    pack.setAmbient(80);
    advanceUntil(clock, () => (pack.read().protection & 0x50) === 0x50, 2 * HOUR);
    assert.deepEqual(pack.read().fet, { charge: false, discharge: false });
    assert.equal(pack.read().current, 0);
    pack.setAmbient(25);
    advanceUntil(clock, () => pack.read().protection === 0, 2 * HOUR);
    assert.ok(Math.max(...pack.read().tempsC) <= 55);
    assert.equal(pack.read().current, -10);
  });

  it("under-temperature opens both FETs and releases at 0 °C", () => {
    const { clock, pack } = makePack();
    pack.setAmbient(-15);
    advanceUntil(clock, () => (pack.read().protection & 0xa0) === 0xa0, 2 * HOUR);
    pack.setAmbient(20);
    advanceUntil(clock, () => pack.read().protection === 0, 2 * HOUR);
    assert.equal(count(pack, "chargeUndertemp"), 1);
    assert.equal(count(pack, "dischargeUndertemp"), 1);
  });

  it("discharge overcurrent trips at once and retries the FET every 30 s", () => {
    const { clock, pack } = makePack({ capacityAh: 100 });
    pack.setCurrent(-250);
    clock.advance(1000);
    assert.ok((pack.read().protection & 0x200) !== 0);
    assert.equal(pack.read().current, 0);
    clock.advance(28_000);
    assert.ok((pack.read().protection & 0x200) !== 0, "still held before 30 s");
    clock.advance(92_000);
    assert.equal(count(pack, "dischargeOvercurrent"), 4);
    pack.setCurrent(-150);
    clock.advance(31_000);
    assert.equal(pack.read().current, -150);
  });

  it("a software-off FET carries no current in its direction and sets bit 12", () => {
    const { pack } = makePack();
    pack.setSoftOff({ charge: true });
    pack.setCurrent(10);
    let r = pack.read();
    assert.deepEqual([r.current, r.fet.charge, r.softwareLock, r.protection], [0, false, true, 0x1000]);
    pack.setCurrent(-10);
    assert.equal(pack.read().current, -10);
    pack.setSoftOff({ discharge: true });
    assert.equal(pack.read().current, 0);
    pack.setSoftOff({ charge: false, discharge: false });
    r = pack.read();
    assert.deepEqual([r.current, r.softwareLock, r.protection], [-10, false, 0]);
  });
});

describe("pack: balancing", () => {
  it("bleeds the cells above 3.4 V that stand out from the lowest, only while charging", () => {
    const { clock, pack } = makePack({ initialSoc: 96, cellCount: 8 });
    pack.setCurrent(10);
    advanceUntil(clock, () => pack.read().balancing !== 0, HOUR);
    const r = pack.read();
    const lowest = Math.min(...r.cellsMv);
    r.cellsMv.forEach((mv, i) => {
      const expected = mv >= 3400 && mv - lowest >= 30;
      assert.equal(((r.balancing >>> i) & 1) === 1, expected, `cell ${i + 1} at ${mv} mV`);
    });
    assert.equal(r.balanceCurrentMa, 50);
    pack.setCurrent(-10);
    assert.equal(pack.read().balancing, 0);
  });

  it("bleeding pulls the high cells down to the balance window over hours", () => {
    const { clock, pack } = makePack({ initialSoc: 98 });
    pack.setCurrent(0.05); // a trickle, so the 50 mA bleed holds the balancing cells still
    const spread = () => Math.max(...pack.read().cellsMv) - Math.min(...pack.read().cellsMv);
    assert.ok(spread() > 45, `${spread()} mV at start`);
    clock.advance(16 * HOUR);
    assert.ok(spread() <= 31, `${spread()} mV after 16 h`);
  });
});

describe("pack: load profiles", () => {
  it("solar day: sun by day, load only at night", () => {
    const profile = solarDayProfile({ peakChargeA: 20, loadA: 5 });
    assert.equal(profile(0), -5);
    assert.ok(Math.abs(profile(12 * HOUR) - 15) < 1e-9);
    assert.equal(profile(20 * HOUR), -5);
    assert.ok(Math.abs(profile(36 * HOUR) - 15) < 1e-9, "repeats daily");
    assert.ok(Math.abs(solarDayProfile({ peakChargeA: 20, loadA: 5, startHour: 12 })(0) - 15) < 1e-9);
  });

  it("drives the pack through a day", () => {
    const { clock, pack } = makePack({ initialSoc: 50 });
    pack.useProfile(solarDayProfile({ peakChargeA: 20, loadA: 5 }));
    clock.advance(6 * HOUR);
    assert.ok(Math.abs(pack.read().soc - 20) < 0.1, "night: 30 Ah drawn");
    clock.advance(12 * HOUR);
    assert.ok(pack.read().soc > 60, "day: net charge");
  });
});

describe("pack: determinism", () => {
  it("the same seed gives the same pack, another seed a different one", () => {
    const run = (seed: number) => {
      const { clock, pack } = makePack({ initialSoc: 90, cellCount: 8 }, seed);
      pack.setCurrent(25);
      clock.advance(HOUR);
      return pack.read();
    };
    assert.deepEqual(run(3), run(3));
    assert.notDeepEqual(run(3).cellsMv, run(4).cellsMv);
  });
});
