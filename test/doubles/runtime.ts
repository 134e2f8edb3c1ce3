// The device side of the virtual device: the line between our doubles of the Moddable modules and
// the host world that plays radio, broker, Wi-Fi, flash and serial cable.
//
// The host delivers one event at a time (`dispatch`). While it runs, doubles `post` operations
// (fire-and-forget, applied by the host in order right after the event) or `hostCall` for an
// answer they need at once. Inside XS the two sides talk through xsnap's issueCommand; in Node
// tests the host installs a direct function. Either way the doubles' code is the same.

export type HostOp = [string, ...unknown[]];
type Listener = (...args: any[]) => void;

const outbox: HostOp[] = [];
const listeners = new Map<string, Listener>();
let callHost: (op: HostOp) => unknown = () => { throw new Error("virtual device: no host attached"); };
let nowMs = 0;

/** Queue an operation for the host; it is applied after the current event. */
export function post(...op: HostOp): void { outbox.push(op); }

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
  try {
    if (listener) listener(...args);
  } catch (error) {
    post("fatal", kind, errorText(error));
  }
  return outbox.splice(0, outbox.length);
}

/** Ops posted outside any event (module initialisation): the host collects them once at boot. */
export function takeOutbox(): HostOp[] { return outbox.splice(0, outbox.length); }

export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}${error.stack ? "\n" + error.stack : ""}`;
  return String(error);
}

const HEX = "0123456789abcdef";

/** Bytes cross the boundary as lowercase hex strings. */
export function toHex(data: ArrayBuffer | Uint8Array): string {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return text;
}

export function fromHex(text: string): ArrayBuffer {
  const bytes = new Uint8Array(text.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.substr(i * 2, 2), 16);
  return bytes.buffer;
}
