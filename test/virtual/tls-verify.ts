// The SDK's check of the broker's certificate chain, ported line by line from SDK 8.2.3
// modules/crypt/ssl/ssl_cert.js CertificateManager.verify() and _verify(), with Node's crypto
// doing the signature arithmetic. It runs on the chain exactly as the broker sent it, against the
// one anchor the firmware registered (`secure.certificate`) and the device's clock. What it keeps:
// - host names from subjectAltName only (dNSName, one leading "*" label; iPAddress, IPv4 only);
//   the commonName is never looked at; `match` carries over from one certificate to the next as
//   the SDK's variable does;
// - a chain of one certificate never reaches the host-name loop: `match` stays undefined and the
//   connection fails even when the anchor signed it (the broker must send leaf + CA);
// - dates against the device's Date.now() ("date validation failed ...");
// - signature algorithms: RSA PKCS#1 v1.5 (MD5, SHA-1/224/256/384/512), DSA-SHA1, ECDSA SHA-224..512;
//   anything else (RSA-PSS, Ed25519) throws "Cert: unsupported algorithm"; public keys RSA and EC
//   on secp256r1 or secp384r1 only (x509.js decodeSPKI);
// - the anchor is matched by its subjectKeyIdentifier (or SHA-1 of its key) against the issuer's
//   authorityKeyIdentifier, then tried on the last certificate by signature alone.
// The SDK's own index of public roots (ca.ski with ca<N>.der resources) is not modelled: the build
// carries no ca<N>.der, so on the device a hit in that index throws "Resource not found" -> the
// same failure, and a miss falls through as here.
import crypto, { X509Certificate } from "node:crypto";

/** undefined: accepted; else the reason the SDK would trace. */
export type VerifyOutcome = string | undefined;

interface Der { tag: number; start: number; end: number; next: number }

function read(b: Buffer, at: number): Der {
  const tag = b[at];
  let length = b[at + 1], start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[start + i];
    start += n;
  }
  return { tag, start, end: start + length, next: start + length };
}

function children(b: Buffer, e: Der): Der[] {
  const out: Der[] = [];
  for (let at = e.start; at < e.end;) { const c = read(b, at); out.push(c); at = c.next; }
  return out;
}

const oid = (b: Buffer, e: Der) => {
  const parts: number[] = [];
  let v = 0;
  for (let i = e.start; i < e.end; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) { if (!parts.length) parts.push(Math.min(2, Math.floor(v / 40)), v - Math.min(2, Math.floor(v / 40)) * 40); else parts.push(v); v = 0; }
  }
  return parts.join(".");
};

/** tbsCertificate's parts and the outer signature algorithm. */
function parse(der: Buffer) {
  const cert = read(der, 0);
  const [tbs, sigAlg] = children(der, cert);
  const fields = children(der, tbs);
  const rest = fields[0].tag === 0xa0 ? fields.slice(1) : fields;
  const spki = rest[5];
  const extensions = new Map<string, Buffer>();
  for (const f of rest.slice(6)) {
    if (f.tag !== 0xa3) continue;
    for (const ext of children(der, children(der, f)[0])) {
      const parts = children(der, ext);
      extensions.set(oid(der, parts[0]), der.subarray(parts[parts.length - 1].start, parts[parts.length - 1].end));
    }
  }
  return { algorithm: oid(der, children(der, sigAlg)[0]), spki, extensions };
}

function ski(der: Buffer): Buffer {
  const p = parse(der);
  const ext = p.extensions.get("2.5.29.14");
  if (ext) { const e = read(ext, 0); return ext.subarray(e.start, e.end); }
  // x509.js: made up as SHA1 of the subject public key (the BIT STRING's bytes)
  const parts = children(der, p.spki);
  const bits = parts[1];
  return crypto.createHash("sha1").update(der.subarray(bits.start, bits.end)).digest();
}

function aki(der: Buffer): Buffer | undefined {
  const ext = parse(der).extensions.get("2.5.29.35");
  if (!ext) return undefined;
  for (const c of children(ext, read(ext, 0))) if ((c.tag & 0x1f) === 0) return ext.subarray(c.start, c.end);
  return undefined;
}

const SUPPORTED = new Set([
  "1.2.840.113549.1.1.4", "1.2.840.113549.1.1.5", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.14",
  "1.2.840.10040.4.3", "1.3.14.3.2.27", "1.2.840.10045.4.3.1", "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4",
]);

class Cert {
  readonly x509: X509Certificate;
  constructor(readonly der: Buffer) { this.x509 = new X509Certificate(der); }
  get from(): number { return Date.parse(this.x509.validFrom); }
  get to(): number { return Date.parse(this.x509.validTo); }
  validAt(now: number): boolean { return this.from < now && now < this.to; }
  /** subjectAltName entries as decodeSAN gives them: tag 2 dNSName, tag 7 iPAddress. */
  names(): { tag: number; value: string | Buffer }[] {
    const ext = parse(this.der).extensions.get("2.5.29.17");
    if (!ext) return [];
    return children(ext, read(ext, 0)).map((c) => {
      const tag = c.tag & 0x7f;
      const raw = ext.subarray(c.start, c.end);
      return { tag, value: tag === 2 || tag === 1 || tag === 6 ? raw.toString("latin1") : raw };
    });
  }
}

/** x509.js decodeSPKI: RSA, or EC on secp256r1 / secp384r1; anything else gives no usable key. */
function keyOf(c: Cert): crypto.KeyObject | undefined {
  const key = c.x509.publicKey;
  if (key.asymmetricKeyType === "rsa") return key;
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1" || curve === "secp384r1") return key;
    throw new Error("x509: unsupported curve");
  }
  return undefined;
}

/** _verify(spki, x509): does `key` sign `c`? */
function signedBy(c: Cert, key: crypto.KeyObject | undefined): boolean {
  const algorithm = parse(c.der).algorithm;
  if (!SUPPORTED.has(algorithm)) throw new Error("Cert: unsupported algorithm: " + algorithm.replace(/\./g, ","));
  if (!key) return false;
  try { return c.x509.verify(key); } catch { return false; }
}

/** CertificateManager.verify(certs, options) with `registered` = [the firmware's certificate]. */
export function sdkVerify(chain: Buffer[], registered: Buffer[], serverName: string, now: number): VerifyOutcome {
  const certs = chain.map((der) => new Cert(der));
  const anchors = registered.map((der) => new Cert(der));
  const name = serverName.toLowerCase();
  if (!name) return "tls_server_name required";
  const length = certs.length - 1;
  let match: boolean | undefined;
  const verdict = () => (match ? undefined : `subjectAltName match failed for ${name}`);
  for (let i = 0; i < length; i++) {
    const names = certs[i].names();
    for (let j = 0; j < names.length; j++) {
      const n = names[j];
      if (n.tag === 2) {
        const dns = (n.value as string).toLowerCase();
        if (dns.charCodeAt(0) === 42) {
          if (dns.indexOf("*", 1) > 0) continue;
          const position = name.indexOf(".");
          if (position < 0) continue;
          match = dns.slice(1) === name.slice(position);
        } else match = dns === name;
      } else if (n.tag === 7) {
        const ip = n.value as Buffer;
        if (ip.length !== 4) continue;
        match = [...ip].join(".") === name;
      }
      if (match) break;
    }
    if (!certs[i].validAt(now)) continue; // "date validation failed on received certificate"
    if (!signedBy(certs[i], keyOf(certs[i + 1]))) continue;
    const issuerAki = aki(certs[i + 1].der);
    for (const anchor of anchors) {
      if (issuerAki === undefined) throw new TypeError("Bin.comp: no authorityKeyIdentifier"); // Bin.comp(ski, undefined)
      if (ski(anchor.der).equals(issuerAki) && signedBy(certs[i + 1], keyOf(anchor))) return verdict();
    }
    // findCert("ca.ski", aki): not in the index here (see the header)
  }
  const last = certs[length];
  if (!last.validAt(now)) return "date validation failed";
  for (const anchor of anchors) if (signedBy(last, keyOf(anchor))) return verdict();
  return "certificate: auth err";
}

/** The validity of a DER certificate, as x509.js decodeTBS reads it (for the securesocket double). */
export function validityOf(hex: string): { from: number; to: number } | { error: string } {
  try {
    const c = new Cert(Buffer.from(hex, "hex"));
    return { from: c.from, to: c.to };
  } catch {
    return { error: "x509: malformed certificate" };
  }
}
