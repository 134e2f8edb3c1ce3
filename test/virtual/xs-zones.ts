// Measuring image only: charge the XS compute meter to the firmware or to the doubles of the SDK
// modules (test/doubles/meter-zone.ts). Every module the firmware imports from the platform is zoned.
import "./xs-setup";
import { DOUBLE_APIS } from "./double-apis";
import { on, post } from "../doubles/runtime";
import { fire, startZones, zoned, zoneTotals } from "../doubles/meter-zone";

for (const target of DOUBLE_APIS) zoned(target);
const g = globalThis as { trace?: (...values: unknown[]) => void };
if (g.trace) g.trace = zoned({ trace: g.trace }).trace;
// XS built-ins a device has natively (C: a few compute units) and xsnap has not: xs-setup's stand-ins
// are JavaScript, which the device does not run, so they are charged with the doubles.
const extensions = { ArrayBuffer, String } as unknown as Record<string, Record<string, unknown>>;
for (const [owner, name] of [["ArrayBuffer", "fromString"], ["String", "fromArrayBuffer"]]) {
  const fn = extensions[owner][name];
  if (typeof fn === "function") extensions[owner][name] = zoned({ [name]: fn })[name];
}
startZones();

on("host.zones", () => post("zones", zoneTotals()));
// Calibration: what the zone bookkeeping itself charges to the firmware, per fire() into an empty
// callback and per zoned call the firmware makes to an empty double.
on("host.zoneOverhead", (count: number) => {
  const empty = () => {};
  let before = zoneTotals().firmwareUnits;
  for (let i = 0; i < count; i++) fire(empty, undefined);
  const perFire = (zoneTotals().firmwareUnits - before) / count;
  const double = zoned({ empty() {} });
  fire(() => {
    for (let i = 0; i < count; i++) double.empty();
  }, undefined);
  before = zoneTotals().firmwareUnits;
  fire(() => {
    for (let i = 0; i < count; i++) double.empty();
  }, undefined);
  const loop = (() => { const t = zoneTotals().firmwareUnits; fire(() => { for (let i = 0; i < count; i++) empty(); }, undefined); return zoneTotals().firmwareUnits - t; })();
  const perCall = (zoneTotals().firmwareUnits - before - loop - perFire) / count;
  post("zoneOverhead", { perFire, perCall });
});
