// For the BLE double's own tests: a stand-in for the host's event loop. Events from the host run
// at once; what the double posts while handling them (and any message it sends to itself, a later
// turn on the device) is collected until turn(). Each test file runs in its own process.
import { dispatch, takeOutbox, type HostOp } from "./runtime";

let posted: HostOp[] = [];

/** An event from the host; what the double posts while handling it waits for turn(). */
export function ev(kind: string, ...args: unknown[]): void { posted.push(...dispatch(0, kind, args)); }

/** Apply what the double posted: messages it sent to itself are delivered (a later turn). */
export function turn(): HostOp[] {
  const all: HostOp[] = [];
  let ops = [...posted, ...takeOutbox()];
  posted = [];
  while (ops.length) {
    const next: HostOp[] = [];
    for (const op of ops) {
      all.push(op);
      if (op[0] === "ble.self") next.push(...dispatch(0, op[1] as string, op.slice(2)));
    }
    ops = next;
  }
  return all;
}
