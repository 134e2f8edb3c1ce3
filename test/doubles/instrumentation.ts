// Double of "instrumentation" as in a release build: nothing is collected, every call answers
// undefined (modInstrumentation.c registers no counter without mxInstrument). Tests of an
// instrumented (-i) build give the counters they want with instrumentedBuild().
let counters: readonly (readonly [name: string, read: () => number])[] = [];

/** Counters as an instrumented build has them, by name ("XS Slot Heap Used"); none: a release build again. */
export function instrumentedBuild(figures: Record<string, () => number> | undefined): void {
  counters = figures ? Object.entries(figures) : [];
}

const Instrumentation = {
  get(index: number): number | undefined { return counters[index - 1]?.[1](); },
  map(name: string): number | undefined {
    for (let i = 0; i < counters.length; i++) if (counters[i][0] === name) return i + 1;
    return undefined;
  },
  name(index: number): string | undefined { return counters[index - 1]?.[0]; },
};
export default Instrumentation;
