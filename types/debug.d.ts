// Our own declaration for the Moddable SDK 8.2.3 "debug" module ($(MODDABLE)/modules/base/debug:
// debug.js, modDebug.c xs_gc), which every build has (release builds too).

declare module "debug" {
  export default class Debug {
    /** No argument: collect garbage now (xsCollectGarbage); true / false: enable / disable collection. */
    static gc(enable?: boolean): void;
  }
}
