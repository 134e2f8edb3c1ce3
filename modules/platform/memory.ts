// XS memory figures where the build collects them (instrumented and debug builds,
// modInstrumentation.c; a release build reports none), read right after a garbage collection
// (Debug.gc: modDebug.c xs_gc -> xsCollectGarbage) so that two readings compare: the slot heap is
// the machine's currentHeapCount (xsHost.c modInstrumentationSlotHeapSize), which between
// collections also counts garbage.
import Instrumentation from "instrumentation";
import Debug from "debug";

export interface MemoryFigures {
  /** The system's free heap (0 on the lin simulator, which does not report it). */
  freeBytes: number | undefined;
  slotHeapBytes: number | undefined;
  chunkHeapBytes: number | undefined;
  stackBytes: number | undefined;
}

const SLOT_HEAP = "XS Slot Heap Used";

/** Live memory after a collection; undefined (and no collection) when the build collects nothing. */
export function memoryFigures(): MemoryFigures | undefined {
  if (Instrumentation.map(SLOT_HEAP) === undefined) return undefined;
  Debug.gc();
  return {
    freeBytes: read("System Free Memory"), slotHeapBytes: read(SLOT_HEAP),
    chunkHeapBytes: read("XS Chunk Heap Used"), stackBytes: read("XS Stack Used"),
  };
}

function read(name: string): number | undefined {
  const index = Instrumentation.map(name);
  return index === undefined ? undefined : Instrumentation.get(index);
}
