// The measuring image with the compute meter charged by zone (xs-zones): for compute figures only.
import "./xs-zones";
import "./xs-entry-staged";
import { bootStarts } from "../doubles/meter-zone";

// main's module evaluates outside any callback the doubles fire: mark it as the firmware's, or the
// timers it sets (the links', the bridge's diag) and every timer set again from their callbacks
// would count as the doubles' own, with all the firmware work they run.
const entry = globalThis as { startMain?: () => void };
const startMain = entry.startMain!;
entry.startMain = () => { bootStarts(); startMain(); };
