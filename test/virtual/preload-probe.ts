// Runs inside XS: collections made during the preload are read-only after it, as on a device
// (test/virtual/preload-heap.ts); what main makes, and plain objects and arrays, stay writable.
import "./preload-heap";
import { list, names, plain, table, weak } from "./preload-probe-tables";
import "./freeze-realm";

function attempt(fn: () => unknown): string {
  try { fn(); return "ok"; } catch (error) { return `${(error as Error).name}: ${(error as Error).message}`; }
}

const later = new Map<string, number>();
(globalThis as any).__result = {
  mapSet: attempt(() => table.set("b", 2)),
  mapDelete: attempt(() => table.delete("a")),
  mapClear: attempt(() => table.clear()),
  mapGet: attempt(() => { if (table.get("a") !== 1 || table.size !== 1) throw new Error("read failed"); }),
  setAdd: attempt(() => names.add("y")),
  setHas: attempt(() => { if (!names.has("x")) throw new Error("read failed"); }),
  weakSet: attempt(() => weak.set({}, 1)),
  runtimeMap: attempt(() => { later.set("a", 1); later.delete("a"); new Set<number>().add(1); }),
  plainWrite: attempt(() => { plain.a = 2; list.push(2); }),
  mapIsMap: table instanceof Map && later instanceof Map && Object.getPrototypeOf(table) === Map.prototype,
};
