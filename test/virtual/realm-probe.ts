// Runs inside XS after the realm is frozen like a device build (test/virtual/realm.test.ts).
import "./freeze-realm";
import { deviceFrozenIntrinsics } from "./device-realm";

function attempt(fn: () => void): string {
  try { fn(); return "ok"; } catch (error) { return `${(error as Error).name}: ${(error as Error).message}`; }
}

class NamedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NamedError"; // the override mistake, as registry.ts had it
  }
}

const plain: Record<string, unknown> = {};
(globalThis as any).__result = {
  frozen: deviceFrozenIntrinsics().map((o) => Object.isFrozen(o)),
  count: deviceFrozenIntrinsics().length,
  errorSubclassName: attempt(() => { new NamedError("x"); }),
  definedName: attempt(() => { const e = new Error("x"); Object.defineProperty(e, "name", { value: "Mine" }); }),
  toStringOverride: attempt(() => { plain.toString = () => "x"; }),
  arrayPush: attempt(() => { (Array.prototype as any).push = null; }),
  mathPatch: attempt(() => { (Math as any).random = () => 4; }),
  // xsl leaves the constructors and the global object writable
  dateNow: attempt(() => { const now = Date.now; Date.now = now; }),
  globalWrite: attempt(() => { (globalThis as any).__probe = 1; }),
  ownMessage: attempt(() => { const e = new Error("x"); e.message = "y"; }),
};
