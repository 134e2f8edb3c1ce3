// Double of "securesocket" (SDK 8.2.3 modules/crypt/securesocket/securesocket.js over
// modules/crypt/ssl). Given as the mqtt module's Socket option it makes the connection TLS.
// Kept from the source, for what happens in the constructor (synchronously, out of `new MQTT()`):
// - `new Session({tls_server_name: dict.host, ...dict.secure})` (session_original.js): a
//   protocolVersion outside 0x301..0x303 throws TLSError "protocolVersion: not supported";
//   `serverName` replaces tls_server_name;
// - CertificateManager (ssl_cert.js): verify = secure.verify ?? true; a `certificate` is registered
//   at once, and with verify on its validity is checked against Date.now(): outside it,
//   Error "date validation failed" (so with the clock unset, i.e. 1970, every certificate fails);
//   bytes that are not a certificate make X509.decode throw;
// - the socket opened first is closed again when the session throws.
// What happens later (handshake, chain, host name, dates of the received certificates) is the
// host's side, written from ssl_cert.js verify() (test/virtual/tls-verify.ts); the mqtt double
// posts what it needs: server name, verify, the registered anchor, the device's clock.
// Writes: lwip-socket.ts (128 bytes kept for the TLS record, a record header per write).
import { hostCall, toHex } from "./runtime";

/** What the host needs to make and check the handshake as the device would. */
export interface TlsOpen {
  serverName: string;
  verify: boolean;
  /** DER of the registered anchor (hex), if one was given. */
  ca?: string;
  /** Date.now() on the device when the socket was made. */
  now: number;
}

class TLSError extends Error {}
Object.defineProperty(TLSError.prototype, "name", { value: "TLS" });

/** The bytes of a `certificate` option as `new Uint8Array(cert)` sees them. */
function bytesOf(cert: unknown): Uint8Array {
  if (cert instanceof ArrayBuffer) return new Uint8Array(cert);
  if (ArrayBuffer.isView(cert)) return new Uint8Array(cert.buffer, cert.byteOffset, cert.byteLength);
  return new Uint8Array(cert as ArrayLike<number>);
}

export default class SecureSocket {
  /** Read by the mqtt double. */
  readonly tls: TlsOpen;

  constructor(dict: { host: string; port?: number; secure?: Record<string, unknown> }) {
    const options: Record<string, unknown> = { tls_server_name: dict.host, ...dict.secure };
    const version = options.protocolVersion as number | undefined;
    if (version && (version < 0x301 || version > 0x303)) throw new TLSError("protocolVersion: not supported");
    if ("serverName" in options) options.tls_server_name = options.serverName;
    const verify = (options.verify ?? true) as boolean;
    let ca: string | undefined;
    if (options.certificate) {
      const bytes = bytesOf(options.certificate);
      if (verify) {
        const validity = hostCall<{ from: number; to: number } | { error: string }>("x509.validity", toHex(bytes));
        if ("error" in validity) throw new Error(validity.error);
        const now = Date.now();
        if (!(validity.from < now && now < validity.to)) throw new Error("date validation failed");
      }
      ca = toHex(bytes);
    }
    this.tls = { serverName: String(options.tls_server_name ?? ""), verify: !!verify, ca, now: Date.now() };
  }

  close(): void {}
}
