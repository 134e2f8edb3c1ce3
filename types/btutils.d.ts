// Our own declarations (not the SDK typings) for the Moddable SDK 8.2.3 "btutils" module,
// written from observed runtime behaviour as recorded in /work/shared/moddable-platform.md §a.

declare module "btutils" {
  /**
   * ArrayBuffer holding a UUID or address in the stack's (little-endian) byte order.
   * Compare with equals(), never with ===. String(bytes) prints big-endian hex
   * ("AA:BB:CC:DD:EE:FF" for 6 bytes, dashed form for 16 bytes).
   */
  export class Bytes extends ArrayBuffer {
    /**
     * @param bytes hex digits without "0x" or separators ("bad data" otherwise; an odd last digit is
     *              ignored), or an ArrayBuffer to copy (anything else: "unsupported type").
     *              `slice()` of a Bytes throws: it calls this constructor with a number.
     * @param reverse true to store the bytes reversed (how `uuid`/`address` build them)
     */
    constructor(bytes: string | ArrayBuffer, reverse?: boolean);
    /** Same byte length and same bytes. A 16-bit UUID never equals its 128-bit form. TypeError for a non-ArrayBuffer. */
    equals(other: ArrayBuffer): boolean;
    toString(): string;
  }

  /** `uuid\`FF00\`` or the dashed 128-bit form; substitutions are ignored. Allocates on every evaluation: keep at module level. */
  export function uuid(strings: TemplateStringsArray, ...values: unknown[]): Bytes;
  /** `address\`A4:C1:38:11:22:33\``: stored reversed. */
  export function address(strings: TemplateStringsArray, ...values: unknown[]): Bytes;

  /** Wraps the raw bytes of one advertising or scan-response packet. Getters: undefined when absent. */
  export class Advertisement {
    constructor(buffer: ArrayBuffer);
    readonly buffer: ArrayBuffer;
    readonly completeName: string | undefined;
    readonly shortName: string | undefined;
    readonly manufacturerSpecific: { identifier: number; data: Uint8Array } | undefined;
    readonly flags: number | undefined;
    readonly completeUUID16List: Bytes[] | undefined;
    readonly incompleteUUID16List: Bytes[] | undefined;
    readonly appearance: number | undefined;
    /** Offset of the AD structure (its length byte) of this type, or -1. */
    findIndex(adType: number, start?: number): number;
  }
}
