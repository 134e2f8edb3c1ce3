// Our own declarations for the Moddable SDK 8.2.3 "instrumentation" module, written from observed runtime
// behaviour (/work/shared/moddable-platform.md §d). Needs $(MODDABLE)/modules/base/instrumentation/manifest.json.
// Only -d and -i builds collect data: in release builds every function returns undefined.

declare module "instrumentation" {
  const Instrumentation: {
    get(index: number): number | undefined;
    /** Index of a counter by name ("System Free Memory", "XS Slot Heap Used", ...). */
    map(name: string): number | undefined;
    name(index: number): string | undefined;
  };
  export default Instrumentation;
}
