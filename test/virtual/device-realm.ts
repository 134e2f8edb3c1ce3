// The realm of a preloaded device build. After preloading the modules, the SDK's linker (xsl, with
// mcconfig's default freeze flag) calls fxFreezeBuiltIns (xs/tools/xsl.c): Object.freeze on Atomics,
// JSON, Math, Reflect and on every built-in prototype. The constructors and the global object stay
// writable. Nothing tames the result the way SES's lockdown does, so assigning a property that a
// frozen prototype already has (`this.name = ...` in an Error subclass, `obj.toString = ...`) throws
// "TypeError: set name: not writable" in strict code. The virtual device freezes the same objects
// at the same point (after the preload modules ran, before main), so the firmware meets this in CI.

const prototypeOf = Object.getPrototypeOf;
const global = globalThis as Record<string, any>;

function* generator(): Generator<number> { yield 1; }
async function* asyncGenerator(): AsyncGenerator<number> { yield 1; }
function argumentsOf(..._values: unknown[]): IArguments { return arguments; }

/** The objects fxFreezeBuiltIns freezes that script can reach (internal ones, like the host and
 * module prototypes, have no script-visible handle). */
export function deviceFrozenIntrinsics(): object[] {
  const arrayIterator = prototypeOf([][Symbol.iterator]());
  const asyncGeneratorFunction = prototypeOf(asyncGenerator);
  const list: unknown[] = [
    global.Atomics, JSON, Math, Reflect,
    global.AggregateError?.prototype,
    prototypeOf(argumentsOf()),
    ArrayBuffer.prototype, arrayIterator, Array.prototype,
    prototypeOf(async function () { /* */ }),
    asyncGeneratorFunction, asyncGeneratorFunction.prototype, prototypeOf(asyncGeneratorFunction.prototype),
    BigInt.prototype, Boolean.prototype, global.Compartment?.prototype, DataView.prototype, Date.prototype,
    Error.prototype, EvalError.prototype, global.FinalizationRegistry?.prototype, Function.prototype,
    prototypeOf(generator), prototypeOf(generator).prototype, prototypeOf(arrayIterator),
    prototypeOf(new Map()[Symbol.iterator]()), Map.prototype, Number.prototype, Object.prototype, Promise.prototype,
    RangeError.prototype, ReferenceError.prototype, RegExp.prototype, prototypeOf(/a/[Symbol.matchAll]("a")),
    prototypeOf(new Set()[Symbol.iterator]()), Set.prototype, global.SharedArrayBuffer?.prototype,
    prototypeOf(""[Symbol.iterator]()), String.prototype, Symbol.prototype, SyntaxError.prototype,
    prototypeOf(Uint8Array.prototype), TypeError.prototype, URIError.prototype, WeakMap.prototype,
    global.WeakRef?.prototype, WeakSet.prototype, global.SuppressedError?.prototype,
    global.DisposableStack?.prototype, global.AsyncDisposableStack?.prototype,
    ...[Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
      Float32Array, Float64Array, BigInt64Array, BigUint64Array, global.Float16Array].map((c) => c?.prototype),
    (Array.prototype as any)[Symbol.unscopables],
  ];
  return list.filter((o): o is object => typeof o === "object" && o !== null || typeof o === "function");
}

/** Freeze the realm as a device build leaves it. */
export function freezeLikeDeviceBuild(): void {
  for (const intrinsic of deviceFrozenIntrinsics()) Object.freeze(intrinsic);
}
