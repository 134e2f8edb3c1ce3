// Our own declarations of the XS / Moddable globals the firmware uses, written from observed runtime
// behaviour (/work/shared/moddable-platform.md §d, §f). A script file (no imports/exports): everything here
// is global.

/** Concatenates String(value) of each argument, no separator, no newline. Dropped in ESP32 release builds. */
declare function trace(...values: unknown[]): void;
declare namespace trace {
  function left(message: unknown, conversation?: string): void;
  function center(message: unknown, conversation?: string): void;
  function right(message: unknown, conversation?: string): void;
}

interface StringConstructor {
  /** UTF-8 bytes to string (XS). */
  fromArrayBuffer(buffer: ArrayBuffer): string;
}

interface ArrayBufferConstructor {
  /** String to its UTF-8 bytes (XS). */
  fromString(text: string): ArrayBuffer;
}

interface ArrayBuffer {
  /** New ArrayBuffer: this followed by the given buffers (XS). */
  concat(...buffers: ArrayBuffer[]): ArrayBuffer;
}

interface JSON {
  /** XS extension: keep only the listed property names while parsing. */
  parse(text: string, keys: readonly string[]): any;
}

/** ECMA-419 host object, installed by $(MODDABLE)/modules/io/manifest.json. */
interface ModdableSystem {
  /** Reboots the device. */
  restart(): void;
}
/**
 * Possibly absent (not installed without the IO manifest, and on Node): use `globalThis.System?.restart()`,
 * never a bare `System` reference, which would throw ReferenceError when it is missing.
 */
declare var System: ModdableSystem | undefined;
