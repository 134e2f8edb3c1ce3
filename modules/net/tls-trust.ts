// Which CA the broker's certificate is checked against, and whether TLS can start now.
//
// The SDK's TLS (modules/crypt/ssl/ssl_cert.js, SDK 8.2.3) trusts what the app hands it as
// `secure.certificate` (one DER anchor) plus the SDK's own index of public roots, whose
// certificates (`ca<N>.der`) the build does not carry. Every failure then arrives as onClose() with
// no reason. So the gateway decides what it can before it connects, and says it in words:
// - the CA: stored in flash from the serial console (`tls ca`), else built in from
//   certs/mqtt-ca.der (a resource); flash wins so a CA can be replaced without flashing;
// - the clock: certificate dates are checked against Date.now(), 1970 until SNTP has answered;
// - the CA's own dates: a CA outside them makes the SDK throw "date validation failed";
// - memory, where the build reports it: the handshake needs about 20 KB (securesocket.md).
import { certificateSummary, dayText, type CertSummary } from "./x509";
import { MAX_CA_BYTES } from "./pem";

/** Earlier than any certificate the gateway could meet: the clock has not been set. */
export const CLOCK_SET_AFTER_MS = Date.UTC(2025, 0, 1);
/** Free system memory the handshake needs (SDK documentation/network/securesocket.md: about 4 KB
 *  stack, 10 KB chunks, 6 KB slots, 2 KB system heap, records up to 16 KB buffered), with margin. */
export const TLS_MIN_FREE_BYTES = 40_000;

export type CaSource = "flash" | "built-in" | "none";

/** The SDK side: NVS (Preference) and the build's resources. */
export interface TrustPlatform {
  readFlash(): ArrayBuffer | undefined;
  writeFlash(der: ArrayBuffer): void;
  eraseFlash(): void;
  /** certs/mqtt-ca.der when the build has it. */
  builtIn(): ArrayBuffer | undefined;
}

export class TlsTrust {
  #der: ArrayBuffer | undefined;
  #source: CaSource = "none";
  #summary: CertSummary | undefined;
  /** Why a CA that is there is not used (damaged in flash, not a certificate). */
  problem = "";

  constructor(private readonly platform: TrustPlatform) { this.load(); }

  get source(): CaSource { return this.#source; }
  get summary(): CertSummary | undefined { return this.#summary; }
  /** The anchor for `secure.certificate`. */
  get der(): ArrayBuffer | undefined { return this.#der; }

  /** Checks a certificate and stores it in flash; the reason when it is refused. */
  store(der: Uint8Array): string | undefined {
    const summary = certificateSummary(der);
    if (typeof summary === "string") return summary;
    if (!summary.isCa) return `'${summary.name}' is not a CA certificate (basicConstraints CA:TRUE missing): give the CA that signed the broker's certificate`;
    const copy = new Uint8Array(der.length); // exactly the certificate (a view may sit on a larger buffer)
    copy.set(der);
    this.platform.writeFlash(copy.buffer);
    this.load();
    return undefined;
  }

  /** Forget the flash copy; the built-in CA (if any) is used again. */
  clear(): void {
    this.platform.eraseFlash();
    this.load();
  }

  private load(): void {
    this.#der = undefined;
    this.#summary = undefined;
    this.#source = "none";
    this.problem = "";
    let flash: ArrayBuffer | undefined;
    try { flash = this.platform.readFlash(); } catch (error) { this.problem = "CA in flash unreadable: " + String(error); }
    if (flash && this.use(flash, "flash")) return;
    let built: ArrayBuffer | undefined;
    try { built = this.platform.builtIn(); } catch { built = undefined; }
    if (built) this.use(built, "built-in");
  }

  private use(der: ArrayBuffer, source: CaSource): boolean {
    const summary = der.byteLength > MAX_CA_BYTES ? `larger than ${MAX_CA_BYTES} bytes` : certificateSummary(new Uint8Array(der));
    if (typeof summary === "string") {
      this.problem = `the ${source} CA is not usable: ${summary}`;
      return false;
    }
    this.#der = der;
    this.#summary = summary;
    this.#source = source;
    return true;
  }
}

export interface TlsGateParts {
  trust: TlsTrust;
  /** mqttTlsVerify: false skips chain, host and dates (the SDK's `verify: false`). */
  verify(): boolean;
  now(): number;
  /** Free system memory in bytes where the build reports it. */
  freeMemory?(): number | undefined;
}

/** Whether a TLS connection can be tried now, and the SDK options for it. */
export class TlsGate {
  constructor(private readonly parts: TlsGateParts) {}

  /** Why TLS cannot start now, in words for the console; undefined: go. */
  problem(): string | undefined {
    const { trust } = this.parts;
    const free = this.parts.freeMemory?.();
    if (free !== undefined && free < TLS_MIN_FREE_BYTES)
      return `not enough memory for TLS: ${free} bytes free, the handshake needs about ${TLS_MIN_FREE_BYTES} (fewer BMS, or mqttTls off)`;
    if (!this.parts.verify()) return undefined;
    const now = this.parts.now();
    if (now < CLOCK_SET_AFTER_MS) return "waiting for the clock (SNTP): certificates cannot be checked before it is set";
    const ca = trust.summary;
    if (!ca) {
      return (trust.problem ? trust.problem + "; " : "") + "no CA certificate to check the broker against: paste it with 'tls ca' at the serial console " +
        "or build it in as certs/mqtt-ca.der (or config set mqttTlsVerify off, which encrypts without checking who answers)";
    }
    if (now < ca.notBefore) return `the CA '${ca.name}' is valid only from ${dayText(ca.notBefore)} (clock ${dayText(now)})`;
    if (now > ca.notAfter) return `the CA '${ca.name}' expired on ${dayText(ca.notAfter)}: give its renewed certificate ('tls ca')`;
    return undefined;
  }

  /** The mqtt module's `secure` option. */
  secure(): { certificate?: ArrayBuffer; verify?: boolean } {
    if (!this.parts.verify()) return { verify: false };
    return { certificate: this.parts.trust.der };
  }

  /** One line for `status` and `tls`. */
  describe(): string {
    const { trust } = this.parts;
    const ca = trust.summary;
    const anchor = ca ? `CA '${ca.name}' (${trust.source}, ${ca.byteLength} bytes, valid ${dayText(ca.notBefore)} to ${dayText(ca.notAfter)})` : "no CA";
    return (this.parts.verify() ? "verify on, " : "verify OFF (encrypted, broker not authenticated), ") + anchor;
  }
}
