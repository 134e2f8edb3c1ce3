// LiFePO4 open-circuit voltage against state of charge. Flat 3.2-3.35 V plateau with steep knees,
// so cells only spread apart (and trip OV/UV) near the ends, as real packs do. The curve runs a few
// percent past 0 and 100 % because a weak cell in a series string is over- or under-driven there.

const POINTS: readonly (readonly [soc: number, mv: number])[] = [
  [-0.05, 2000], [0, 2500], [0.02, 2900], [0.05, 3100], [0.1, 3200], [0.2, 3250], [0.3, 3275],
  [0.4, 3290], [0.5, 3300], [0.6, 3310], [0.7, 3320], [0.8, 3330], [0.9, 3340], [0.95, 3360],
  [0.98, 3400], [1, 3500], [1.02, 3650], [1.05, 3900],
];

/** Open-circuit cell voltage in mV for a state of charge given as a fraction (1 = full). */
export function openCircuitMv(soc: number): number {
  // indexed loop, no destructuring: this runs for every cell on every physics step
  if (soc <= POINTS[0][0]) return POINTS[0][1];
  for (let i = 1; i < POINTS.length; i++) {
    const upper = POINTS[i];
    if (soc <= upper[0]) {
      const lower = POINTS[i - 1];
      return lower[1] + ((upper[1] - lower[1]) * (soc - lower[0])) / (upper[0] - lower[0]);
    }
  }
  return POINTS[POINTS.length - 1][1];
}

/** The state of charge (fraction) whose open-circuit voltage is `mv`: the curve read backwards (it only rises). */
export function socAtMv(mv: number): number {
  let low = POINTS[0][0], high = POINTS[POINTS.length - 1][0];
  for (let i = 0; i < 40; i++) {
    const middle = (low + high) / 2;
    if (openCircuitMv(middle) < mv) low = middle; else high = middle;
  }
  return (low + high) / 2;
}
