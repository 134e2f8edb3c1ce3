// What the linker allows while it preloads the modules, and what it leaves behind.
//
// Collections made while the preloaded modules run are read-only on a device. With preloads the
// SDK's linker freezes what it cannot alias into RAM (xs/tools/xslSlot.c fxPrepareHeap: "freeze
// instances that cannot be aliased yet", Map, Set, WeakMap, WeakSet, ArrayBuffer, DataView, typed
// arrays, ...), then petrifies them (fxPetrifyInstance: XS_DONT_SET_FLAG on the internal slot), so a
// module-level `new Map()` that is written at run time throws "this: read-only Map instance"
// (xs/sources/xsMapSet.c fxCheckMapInstance, and the Set, WeakMap, WeakSet twins). Plain objects and
// arrays are aliased instead: copied to RAM on their first write, and still writable.
//
// Here: from this module until the realm is frozen (freeze-realm), the collection constructors
// register what they make; afterwards the mutating methods refuse those instances as the SDK does.
// Indexed writes to a preloaded typed array (xsDataView.c: "read-only buffer") cannot be caught in
// script; test/xs/preload-scan.test.ts keeps such tables out of the preloaded modules' top level.

import { DOUBLE_APIS } from "./double-apis";
import { apiMembers } from "../doubles/api-members";
import { setLinking } from "../doubles/runtime";

const global = globalThis as Record<string, any>;
const preloaded = new WeakSet<object>();
let preloading = true;

const KINDS: [string, string[]][] = [
  ["Map", ["set", "delete", "clear"]], ["Set", ["add", "delete", "clear"]],
  ["WeakMap", ["set", "delete"]], ["WeakSet", ["add", "delete"]],
];
const originals: [string, unknown][] = [];

for (const [name, mutators] of KINDS) {
  const Original = global[name] as new (...args: unknown[]) => object;
  originals.push([name, Original]);
  for (const method of mutators) {
    const mutate = Original.prototype[method as keyof object] as (...args: unknown[]) => unknown;
    Object.defineProperty(Original.prototype, method, {
      value: { [method](this: object, ...args: unknown[]) {
        if (!preloading && preloaded.has(this)) throw new TypeError(`this: read-only ${name} instance`);
        return mutate.apply(this, args);
      } }[method],
      writable: true, configurable: true,
    });
  }
  // the instances keep Original.prototype (Reflect.construct takes the prototype from the proxy, which forwards)
  global[name] = new Proxy(Original, {
    construct(target, args, newTarget) {
      const made = Reflect.construct(target, args, newTarget === global[name] ? target : newTarget);
      if (preloading) preloaded.add(made);
      return made;
    },
  });
}

// The linker runs the preloaded modules' top level in its own XS machine, where the SDK's native
// functions do not exist: calling one fails the build with "link: unavailable function" (xsl.c
// fxLinkerScript; a module-level uuid`FF00` did, through the native Bytes.prototype.set). Every
// platform module's functions are native or end in one, so all of the doubles' refuse until the
// preload is over (mc/config is plain data and stays readable): those on frozen prototypes (btutils)
// through the runtime's nativeCall(), the others replaced here and put back after.
setLinking(true);
const restore: [object, string, PropertyDescriptor][] = [];
function unavailable(): never { throw new TypeError("link: unavailable function"); }
for (const target of DOUBLE_APIS) {
  for (const [owner, key, d] of apiMembers(target)) {
    restore.push([owner, key, d]);
    Object.defineProperty(owner, key, typeof d.value === "function"
      ? { ...d, value: unavailable }
      : { ...d, get: d.get && unavailable, set: d.set && unavailable });
  }
}

/** The preloaded modules have run: the linker's image is fixed from here on. */
export function endPreload(): void {
  preloading = false;
  setLinking(false);
  for (const [name, Original] of originals) global[name] = Original;
  for (const [owner, key, d] of restore) Object.defineProperty(owner, key, d);
}
