// Host-side packages that ship no type declarations; only what our scripts use.
declare module "@agoric/xsnap" {
  export function xsnap(options: Record<string, unknown>): Promise<{
    evaluate(code: string): Promise<{ reply: Uint8Array; meterUsage: { compute: number | null; currentHeapCount: number | null; allocate: number | null } }>;
    issueStringCommand(message: string): Promise<{ reply: string; meterUsage: { compute: number | null; currentHeapCount: number | null; allocate: number | null } }>;
    close(): Promise<void>;
    terminate(): Promise<void>;
  }>;
}
declare module "tmp" {
  export function tmpName(options: object, callback: (error: Error | null, name: string) => void): void;
  const tmp: { tmpName: typeof tmpName };
  export default tmp;
}
