// Double of the Moddable "Resource" module (SDK 8.2.3 modules/files/resource/Resource.c): data the
// build put in flash, here kept by the host (DeviceOptions.resources). Kept from the source:
// - `new Resource(path)` throws URIError "Resource not found: <path>" when the build has none;
// - `Resource.exists(path)` answers true or false and never throws;
// - `byteLength`, and `slice(start, end, copy = true)` clamped as Resource_slice clamps.
// Not kept: on the device the object is a petrified host buffer in flash (writes throw, and it is
// not `instanceof ArrayBuffer`); here the constructor hands back an ArrayBuffer copy, so the
// firmware must neither write it nor test `instanceof ArrayBuffer` (tls-platform.ts does neither).
import { hostCall, fromHex } from "./runtime";

function lookup(path: string): ArrayBuffer | undefined {
  const found = hostCall<{ hex: string } | null>("resource.get", String(path));
  return found ? fromHex(found.hex) : undefined;
}

export default class Resource {
  constructor(path: string) {
    const data = lookup(path);
    if (!data) throw new URIError(`Resource not found: ${path}`);
    return data as unknown as Resource;
  }

  static exists(path: string): boolean { return lookup(path) !== undefined; }

  declare readonly byteLength: number;
  declare slice: (start?: number, end?: number, copy?: boolean) => ArrayBuffer;
}
