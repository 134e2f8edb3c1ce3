// Our own declarations for the Moddable SDK 8.2.3 "securesocket" module (TLS over the classic socket),
// written from observed runtime behaviour (/work/shared/moddable-platform.md §b). We only pass the class
// to MQTT as its `Socket` option; needs $(MODDABLE)/modules/crypt/tls.json in the build.

declare module "securesocket" {
  export interface SecureOptions {
    /** DER certificate(s) of the trust anchor, e.g. from a Resource */
    certificate?: ArrayBuffer;
    protocolVersion?: number;
    [option: string]: unknown;
  }
  export default class SecureSocket {
    constructor(dictionary: Record<string, unknown>);
    close(): void;
  }
}
