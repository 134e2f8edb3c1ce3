// Runs inside XS. Heap-slot counts do not see the byte storage of strings and buffers, so this
// counts, during a run, every call to a built-in that creates a string, array, buffer, view or other
// object: constructors are swapped for counting proxies, methods for counting wrappers, then restored.
// The three typed-array methods the hot path uses by design (indexOf, set, copyWithin) and methods that
// only read or mutate in place are left out.

const TYPED_ARRAY_NAMES = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array"];
const CONSTRUCTOR_NAMES = [...TYPED_ARRAY_NAMES, "ArrayBuffer", "SharedArrayBuffer", "DataView", "Array", "Object",
  "String", "Number", "Boolean", "Symbol", "BigInt", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Promise",
  "RegExp", "Date", "Error", "TypeError", "RangeError", "Function", "Proxy"];
const IN_PLACE = new Set(["constructor", "indexOf", "lastIndexOf", "includes", "set", "copyWithin", "fill", "at",
  "every", "some", "find", "findIndex", "findLast", "findLastIndex", "forEach", "reverse", "sort", "push", "pop",
  "shift", "unshift", "valueOf", "charCodeAt", "codePointAt", "localeCompare", "startsWith", "endsWith"]);

type AnyFunction = (...args: unknown[]) => unknown;
interface Patch { target: Record<string, unknown>; key: string; original: unknown }

export interface AllocationCount { total: number; calls: Record<string, number> }

export function countAllocatingCalls(action: () => void): AllocationCount {
  const g = globalThis as unknown as Record<string, unknown>;
  const typedArray = Object.getPrototypeOf(Uint8Array) as Record<string, unknown> & { prototype: object };
  const methodOwners: [string, object][] = [
    ["Array.prototype", Array.prototype], ["Array", Array], ["TypedArray.prototype", typedArray.prototype],
    ["TypedArray", typedArray], ["String.prototype", String.prototype], ["String", String],
    ["Number.prototype", Number.prototype], ["Object", Object], ["JSON", JSON],
    ["ArrayBuffer.prototype", ArrayBuffer.prototype], ["ArrayBuffer", ArrayBuffer],
  ];
  const names: string[] = [];
  const hits: number[] = [];
  const patches: Patch[] = [];
  const patch = (target: Record<string, unknown>, key: string, make: (original: AnyFunction, index: number) => unknown) => {
    const original = target[key];
    if (typeof original !== "function") return;
    names.push(key);
    hits.push(0);
    patches.push({ target, key, original });
    target[key] = make(original as AnyFunction, hits.length - 1);
  };

  for (const name of CONSTRUCTOR_NAMES) {
    patch(g, name, (original, index) => new Proxy(original, {
      construct(target, args, newTarget) { hits[index]++; return Reflect.construct(target, args, newTarget); },
      apply(target, self, args) { hits[index]++; return Reflect.apply(target, self, args); },
    }));
  }
  for (const [ownerName, owner] of methodOwners) {
    for (const key of Object.getOwnPropertyNames(owner)) {
      const descriptor = Object.getOwnPropertyDescriptor(owner, key);
      if (!descriptor || !("value" in descriptor) || IN_PLACE.has(key) || key === "prototype") continue;
      patch(owner as Record<string, unknown>, key, (original, index) => {
        names[index] = `${ownerName}.${key}`;
        return function (this: unknown, ...args: unknown[]) { hits[index]++; return Reflect.apply(original, this, args); };
      });
    }
  }
  patch(Function.prototype as unknown as Record<string, unknown>, "bind", (original, index) => {
    names[index] = "Function.prototype.bind";
    return function (this: unknown, ...args: unknown[]) { hits[index]++; return Reflect.apply(original, this, args); };
  });
  hits.fill(0); // patching itself went through some of the wrappers

  try {
    action();
  } finally {
    for (let i = patches.length - 1; i >= 0; i--) patches[i].target[patches[i].key] = patches[i].original;
  }
  const calls: Record<string, number> = {};
  let total = 0;
  for (let i = 0; i < hits.length; i++) {
    if (hits[i]) calls[names[i]] = hits[i];
    total += hits[i];
  }
  return { total, calls };
}
