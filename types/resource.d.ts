// Our own declarations for the Moddable SDK 8.2.3 "Resource" module (modules/files/resource/Resource.c):
// a read-only host buffer over data the build put in flash.

declare module "Resource" {
  export default class Resource {
    /** Throws URIError "Resource not found: <path>" when the build has no such resource. */
    constructor(path: string);
    static exists(path: string): boolean;
    readonly byteLength: number;
    /** A copy (ArrayBuffer) unless `copy` is false. */
    slice(start?: number, end?: number, copy?: boolean): ArrayBuffer;
  }
}
