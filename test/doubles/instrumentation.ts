// Double of "instrumentation" as in a release build: nothing is collected, every call answers undefined.
const Instrumentation = {
  get(_index: number): number | undefined { return undefined; },
  map(_name: string): number | undefined { return undefined; },
  name(_index: number): string | undefined { return undefined; },
};
export default Instrumentation;
