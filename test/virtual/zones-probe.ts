// Test entry (meter-zone.test.ts): the measuring image's zones, with the meter's API to drive them.
import "./xs-zones";
export { eventEnds, eventStarts, fire, zoneTotals } from "../doubles/meter-zone";
