// What an XS heap holds, read from an xsnap snapshot: xsSnapshot.c fxWriteSnapshot collects
// garbage, then writes every live chunk ("BLOC", bytes) and every live slot ("HEAP", one txSlot
// each), so the atoms' sizes are the live chunk bytes and slot count, exactly. Each slot's kind
// byte (xsAll.h sxSlot: next, then kind first on a little-endian mx32bitID build) gives the
// breakdown by kind: object headers, properties, closures, strings, functions.

/** xsAll.h enum of slot kinds (xsnap builds without mxHostFunctionPrimitive), the ones worth naming. */
const KIND_NAMES: Record<number, string> = {
  0: "undefined", 1: "null", 2: "boolean", 3: "integer", 4: "number", 5: "string", 6: "string (rom)", 7: "symbol",
  8: "bigint", 10: "reference", 11: "closure", 13: "instance", 16: "array", 17: "arraybuffer", 18: "callback",
  19: "code", 20: "code (rom)", 21: "date", 22: "dataview", 27: "map", 28: "module", 30: "promise", 31: "proxy",
  33: "set", 34: "typedarray", 35: "weakmap", 36: "weakref", 38: "accessor", 40: "entry", 41: "error",
  42: "home", 43: "key", 45: "list", 46: "private", 48: "var", 52: "export", 53: "weak entry", 54: "buffer info",
};

export interface HeapFigures {
  /** Live slots (the snapshot leaves out slot 0, the free-list head). */
  slots: number;
  /** Live chunk bytes: strings, buffers, array storage, bytecode, tables. */
  chunkBytes: number;
  /** sizeof(txSlot) on the engine that wrote the snapshot (32 on 64-bit xsnap, 16 on an ESP32). */
  slotSize: number;
  /** Live slots by kind name. */
  kinds: Record<string, number>;
  /** Live chunk bytes by the kind of the slot that owns the chunk (headers included). */
  chunkKinds: Record<string, number>;
  /**
   * The same chunks as a 32-bit ESP32 build would size them: 8-byte chunk headers instead of 16, slot
   * storage (array items, 32 -> 16 bytes) and pointer tables (Map/Set, 8 -> 4) halved; strings and
   * buffers as they are (alignment differences ignored). An estimate from the layout, not a measurement.
   */
  chunkKindsEsp32: Record<string, number>;
}

/** Kinds whose value starts with a chunk address (fxMeasureSlot): strings, arrays, buffers, code, tables. */
const CHUNK_OWNERS = new Set([5, 8, 14, 15, 16, 17, 19, 25, 27, 33, 43, 47]);
const ARRAY_KINDS = new Set([14, 15, 16, 47]);
/** Chunks of pointers (the global, Map and Set tables). */
const TABLE_KINDS = new Set([25, 27, 33]);
/** sizeof(txChunk) on 64-bit: size, padding, temporary pointer. */
const CHUNK_HEADER = 16;

export function readHeapSnapshot(bytes: Uint8Array): HeapFigures {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (tag(4) !== "XS_M") throw new Error("not an XS snapshot");
  let slotSize = 0, chunkBytes = -1, slots = -1;
  const kinds: Record<string, number> = {};
  const chunkKinds: Record<string, number> = {};
  const chunkKindsEsp32: Record<string, number> = {};
  let blocStart = 0;
  for (let at = 8; at + 8 <= bytes.length;) {
    const size = view.getUint32(at);
    const name = tag(at + 4);
    const data = at + 8, length = size - 8;
    if (name === "VERS") slotSize = view.getInt8(data + 3);
    if (name === "BLOC") { chunkBytes = length; blocStart = data; }
    if (name === "HEAP") {
      if (slotSize !== 32) throw new Error(`unexpected slot size ${slotSize}`);
      slots = length / slotSize;
      // chunks: BLOC is each live chunk with its header (size first); a slot's value holds the offset of
      // its chunk's data in BLOC (fxProjectChunk); array chunks hold item slots that may own chunks too
      const sizes = new Map<number, number>();
      for (let c = 0; c + CHUNK_HEADER <= chunkBytes;) {
        const size = view.getUint32(blocStart + c, true) & 0x7fffffff;
        if (size < CHUNK_HEADER) break;
        sizes.set(c + CHUNK_HEADER, size);
        c += size;
      }
      const seen = new Set<number>();
      const own = (at: number, kindCode: number, depth: number) => {
        if (!CHUNK_OWNERS.has(kindCode)) return;
        const offset = Number(view.getBigUint64(at + 16, true));
        const size = sizes.get(offset);
        if (size === undefined || seen.has(offset)) return;
        seen.add(offset);
        const kind = (depth ? "in array: " : "") + (KIND_NAMES[kindCode] ?? `kind ${kindCode}`);
        chunkKinds[kind] = (chunkKinds[kind] ?? 0) + size;
        const body = size - CHUNK_HEADER;
        const esp32 = 8 + (ARRAY_KINDS.has(kindCode) || TABLE_KINDS.has(kindCode) ? body / 2 : body);
        chunkKindsEsp32[kind] = (chunkKindsEsp32[kind] ?? 0) + esp32;
        if (ARRAY_KINDS.has(kindCode) && depth < 4) {
          for (let item = blocStart + offset; item + slotSize <= blocStart + offset + size - CHUNK_HEADER; item += slotSize) own(item, bytes[item + 8], depth + 1);
        }
      };
      for (let s = data; s < data + length; s += slotSize) {
        const kind = KIND_NAMES[bytes[s + 8]] ?? `kind ${bytes[s + 8]}`;
        kinds[kind] = (kinds[kind] ?? 0) + 1;
        if (blocStart) own(s, bytes[s + 8], 0);
      }
    }
    if (size < 8) throw new Error("corrupt snapshot atom");
    at += size;
  }
  if (slots < 0 || chunkBytes < 0) throw new Error("snapshot without HEAP or BLOC");
  return { slots, chunkBytes, slotSize, kinds, chunkKinds, chunkKindsEsp32 };
}

/** b - a, kind by kind (kinds that did not change left out). */
export function heapDifference(a: HeapFigures, b: HeapFigures): HeapFigures {
  const kinds: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a.kinds), ...Object.keys(b.kinds)])) {
    const d = (b.kinds[key] ?? 0) - (a.kinds[key] ?? 0);
    if (d) kinds[key] = d;
  }
  const chunkKinds: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a.chunkKinds), ...Object.keys(b.chunkKinds)])) {
    const d = (b.chunkKinds[key] ?? 0) - (a.chunkKinds[key] ?? 0);
    if (d) chunkKinds[key] = d;
  }
  const chunkKindsEsp32: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a.chunkKindsEsp32), ...Object.keys(b.chunkKindsEsp32)])) {
    const d = (b.chunkKindsEsp32[key] ?? 0) - (a.chunkKindsEsp32[key] ?? 0);
    if (d) chunkKindsEsp32[key] = d;
  }
  return { slots: b.slots - a.slots, chunkBytes: b.chunkBytes - a.chunkBytes, slotSize: b.slotSize, kinds, chunkKinds, chunkKindsEsp32 };
}

/**
 * Chunk bytes a device build holds in RAM for this heap (or difference): all but function bytecode.
 * xsnap runs scripts, and each function instance made from one copies its bytecode into a new chunk
 * (xsRun.c XS_CODE_CODE_*: fxNewChunk + c_memcpy); a device build's code is in the archive, in flash,
 * and a function instance points at it there (XS_CODE_CODE_ARCHIVE_*, XS_CODE_X_KIND): no chunk.
 */
export function deviceChunkBytes(figures: HeapFigures): number {
  return figures.chunkBytes - (figures.chunkKinds.code ?? 0);
}

/**
 * deviceChunkBytes as a 32-bit ESP32 would size the same chunks (chunkKindsEsp32); chunks no slot
 * owns (none were seen so far) are counted as they are.
 */
export function esp32ChunkBytes(figures: HeapFigures): number {
  let owned = 0, owned32 = 0;
  for (const [kind, bytes] of Object.entries(figures.chunkKinds)) if (kind !== "code") owned += bytes;
  for (const [kind, bytes] of Object.entries(figures.chunkKindsEsp32)) if (kind !== "code") owned32 += bytes;
  return Math.round(deviceChunkBytes(figures) - owned + owned32);
}
