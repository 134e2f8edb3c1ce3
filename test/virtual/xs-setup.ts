// First module of the firmware bundle inside XS (xsnap): connects the doubles' runtime to the host
// through issueCommand/handleCommand, and supplies the XS extensions a device build has but
// xsnap lacks (String.fromArrayBuffer, ArrayBuffer.fromString).
import { attachHost, dispatch, on, type HostOp } from "../doubles/runtime";
import { wallClockMs } from "../doubles/time";

declare const issueCommand: (message: ArrayBuffer) => ArrayBuffer;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

attachHost((op: HostOp) => {
  const reply = decoder.decode(issueCommand(encoder.encode(JSON.stringify(op)).buffer));
  return reply ? JSON.parse(reply) : undefined;
});

(globalThis as any).handleCommand = (message: ArrayBuffer) => {
  const [time, kind, args] = JSON.parse(decoder.decode(message)) as [number, string, unknown[]];
  return encoder.encode(JSON.stringify(dispatch(time, kind, args))).buffer;
};

// Host diagnostics: a full collection, so the meter of this delivery shows live slots only.
on("host.gc", () => (globalThis as any).gc());

// The device's wall clock: 1970 until Time.set() (SNTP) sets it, then virtual-time based.
Date.now = wallClockMs;

const S = String as any;
if (!S.fromArrayBuffer) S.fromArrayBuffer = (buffer: ArrayBuffer) => decoder.decode(buffer);
const A = ArrayBuffer as any;
// As xsDataView.c fx_ArrayBuffer_fromString: the result is made with `new this(length)`, so a
// detached call (this undefined) throws "new: not a constructor", as it did on the real build.
if (!A.fromString) {
  A.fromString = { fromString(this: unknown, ...args: unknown[]): ArrayBuffer {
    if (args.length < 1) throw new TypeError("no argument");
    if (typeof this !== "function") throw new TypeError("new: not a constructor");
    const bytes = encoder.encode(String(args[0]));
    const result = new (this as new (length: number) => ArrayBuffer)(bytes.length);
    new Uint8Array(result).set(bytes);
    return result;
  } }.fromString;
}
if (!(globalThis as any).trace) (globalThis as any).trace = (...values: unknown[]) => (globalThis as any).print(values.join(""));
