// The device side of the virtual device: the line between our doubles of the Moddable modules and
// the host world that plays radio, broker, Wi-Fi, flash and serial cable.
//
// The host delivers one event at a time (`dispatch`). While it runs, doubles `post` operations
// (fire-and-forget, applied by the host in order right after the event) or `hostCall` for an
// answer they need at once. Inside XS the two sides talk through xsnap's issueCommand; in Node
// tests the host installs a direct function. Either way the doubles' code is the same.

import { eventEnds, eventStarts } from "./meter-zone";

export type HostOp = [string, ...unknown[]];
type Listener = (...args: any[]) => void;

const outbox: HostOp[] = [];
const listeners = new Map<string, Listener>();
let callHost: (op: HostOp) => unknown = () => { throw new Error("virtual device: no host attached"); };
let nowMs = 0;

// While the linker preloads the modules (test/virtual/preload-heap.ts) no native function exists.
let linking = false;
export function setLinking(on: boolean): void { linking = on; }
/** A double's native function: throws as xsl does when a preloaded module's top level calls one. */
export function nativeCall(): void { if (linking) throw new TypeError("link: unavailable function"); }

/** Queue an operation for the host; it is applied after the current event. */
export function post(...op: HostOp): void { outbox.push(op); }

/** The same with an op the caller made once (a constant, never changed): no array made per call. */
export function postOp(op: HostOp): void { outbox.push(op); }

/** Ask the host for an answer now (flushes nothing: posted ops stay in order behind this event). */
export function hostCall<T = unknown>(...op: HostOp): T { return callHost(op) as T; }

/** Virtual time (ms since the device started), as of the event being handled. */
export function now(): number { return nowMs; }

/** A double registers the handler for one kind of host event. */
export function on(kind: string, listener: Listener): void { listeners.set(kind, listener); }

export function attachHost(call: (op: HostOp) => unknown): void { callHost = call; }

// Node-hosted tests call into the firmware as an event (so time and posted ops are right).
const invocations = new Map<number, () => void>();
let nextInvocation = 1;
export function registerInvocation(fn: () => void): number {
  invocations.set(nextInvocation, fn);
  return nextInvocation++;
}
on("invoke", (id: number) => {
  const fn = invocations.get(id);
  invocations.delete(id);
  fn?.();
});

/**
 * Run one host event. An exception escaping it is what aborts the XS machine on a device (and
 * reboots the ESP32): report it to the host as "fatal" instead of hiding it.
 */
export function dispatch(time: number, kind: string, args: unknown[]): HostOp[] {
  nowMs = time;
  const listener = listeners.get(kind);
  eventStarts();
  try {
    if (listener) listener(...args);
  } catch (error) {
    post("fatal", kind, errorText(error));
  }
  eventEnds();
  return outbox.splice(0, outbox.length);
}

/** Ops posted outside any event (module initialisation): the host collects them once at boot. */
export function takeOutbox(): HostOp[] { return outbox.splice(0, outbox.length); }

export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}${error.stack ? "\n" + error.stack : ""}`;
  return String(error);
}

// Bytes cross the boundary as lowercase hex strings. The conversion must cost the firmware next
// to nothing (a double may never distort its timing): XS strings are UTF-8, so indexing or
// concatenating per byte is quadratic. Here each byte is one lookup in a typed-array table,
// and the text is made or read in one native TextDecoder/TextEncoder call.
const DIGITS = "0123456789abcdef";
// Two ASCII digits per byte value, laid out in memory as they appear in the text; read through a
// Uint16Array of the same platform byte order, so one store writes both digits.
const PAIR_BYTES = new Uint8Array(512);
for (let v = 0; v < 256; v++) {
  PAIR_BYTES[2 * v] = DIGITS.charCodeAt(v >> 4);
  PAIR_BYTES[2 * v + 1] = DIGITS.charCodeAt(v & 15);
}
const PAIRS = new Uint16Array(PAIR_BYTES.buffer);
// Two ASCII hex digits, read as one platform-order 16-bit unit, -> the byte they spell (either
// case); anything else reads as 0. 64 KB, so that reading a byte is one lookup.
const BYTE_OF_PAIR = new Uint8Array(65536);
{
  const pair = new Uint8Array(2), unit = new Uint16Array(pair.buffer);
  const digits = DIGITS + DIGITS.slice(10).toUpperCase();
  for (let h = 0; h < digits.length; h++) {
    for (let l = 0; l < digits.length; l++) {
      pair[0] = digits.charCodeAt(h); pair[1] = digits.charCodeAt(l);
      BYTE_OF_PAIR[unit[0]] = (parseInt(digits[h], 16) << 4) | parseInt(digits[l], 16);
    }
  }
}
const textEncoder = new TextEncoder(), textDecoder = new TextDecoder();

/** Bytes cross the boundary as lowercase hex strings. */
export function toHex(data: ArrayBuffer | Uint8Array): string {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const n = bytes.length, pairs = PAIRS, out = new Uint16Array(n);
  let i = 0;
  // four at a time: XS meters every loop test and increment as well as the work
  for (const last = n - 3; i < last; i += 4) {
    out[i] = pairs[bytes[i]]; out[i + 1] = pairs[bytes[i + 1]]; out[i + 2] = pairs[bytes[i + 2]]; out[i + 3] = pairs[bytes[i + 3]];
  }
  for (; i < n; i++) out[i] = pairs[bytes[i]];
  return textDecoder.decode(new Uint8Array(out.buffer)); // XS decodes only Uint8Array views and ArrayBuffers
}

export function fromHex(text: string): ArrayBuffer {
  const codes = textEncoder.encode(text); // a fresh buffer: offset 0, so it can be read in 16-bit units
  const n = codes.length >> 1, table = BYTE_OF_PAIR, units = new Uint16Array(codes.buffer, 0, n), bytes = new Uint8Array(n);
  let i = 0;
  for (const last = n - 3; i < last; i += 4) {
    bytes[i] = table[units[i]]; bytes[i + 1] = table[units[i + 1]]; bytes[i + 2] = table[units[i + 2]]; bytes[i + 3] = table[units[i + 3]];
  }
  for (; i < n; i++) bytes[i] = table[units[i]];
  return bytes.buffer;
}

/** Bytes of `text` in UTF-8, as the SDK measures C strings (preference and Wi-Fi limits). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) { n += 4; i++; }
    else n += 3;
  }
  return n;
}
