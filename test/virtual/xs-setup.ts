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
if (!A.fromString) A.fromString = (text: string) => encoder.encode(text).buffer;
if (!(globalThis as any).trace) (globalThis as any).trace = (...values: unknown[]) => (globalThis as any).print(values.join(""));
