// Double of the SDK's "debug" module (modules/base/debug: debug.js, modDebug.c xs_gc): gc() with no
// argument collects garbage now (xsCollectGarbage), with one enables or disables collection. Inside
// the XS engine (xsnap) the engine's own gc() collects; on Node it only counts the calls.
export const debugCalls: { collections: number; enabled: boolean } = { collections: 0, enabled: true };

export default class Debug {
  static gc(enable?: boolean): void {
    if (arguments.length > 0) { debugCalls.enabled = !!enable; return; }
    debugCalls.collections++;
    const collect = (globalThis as { gc?: () => void }).gc;
    if (typeof collect === "function") collect();
  }
}
