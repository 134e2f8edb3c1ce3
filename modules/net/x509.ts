// What the gateway can tell about a CA certificate before it trusts it: the outer DER structure is
// whole (a certificate pasted at 115200 baud can lose bytes), who it names, when it is valid, and
// whether it is a CA. The SDK's TLS (modules/crypt/ssl/ssl_cert.js) checks the same dates against
// Date.now() and throws "date validation failed" out of the MQTT constructor when they do not hold,
// so the gateway checks first and says so in words. Pure: imports nothing, runs on XS and Node.

export interface CertSummary {
  /** The subject's commonName, else its organisation, else "(no name)". */
  readonly name: string;
  /** Validity, ms since 1970 (UTC). */
  readonly notBefore: number;
  readonly notAfter: number;
  /** basicConstraints cA = TRUE. */
  readonly isCa: boolean;
  readonly byteLength: number;
}

const OID_CN = "2.5.4.3", OID_O = "2.5.4.10", OID_BASIC_CONSTRAINTS = "2.5.29.19";

/** One DER element: tag, where its content starts and ends. */
interface Element { tag: number; start: number; end: number }

function element(der: Uint8Array, at: number, limit: number): Element {
  if (at + 2 > limit) throw new Error("truncated");
  const tag = der[at];
  let length = der[at + 1], start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count < 1 || count > 3 || start + count > limit) throw new Error("bad length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  if (start + length > limit) throw new Error("truncated");
  return { tag, start, end: start + length };
}

function oidText(der: Uint8Array, e: Element): string {
  let text = "", value = 0;
  for (let i = e.start; i < e.end; i++) {
    value = value * 128 + (der[i] & 0x7f);
    if (der[i] & 0x80) continue;
    if (!text) text = value < 80 ? Math.floor(value / 40) + "." + (value % 40) : "2." + (value - 80);
    else text += "." + value;
    value = 0;
  }
  return text;
}

function asciiText(der: Uint8Array, e: Element): string {
  let text = "";
  for (let i = e.start; i < e.end && text.length < 64; i++) text += der[i] >= 0x20 && der[i] < 0x7f ? String.fromCharCode(der[i]) : "?";
  return text;
}

const digits = (der: Uint8Array, at: number, n: number) => {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = der[at + i] - 0x30;
    if (d < 0 || d > 9) throw new Error("bad date");
    v = v * 10 + d;
  }
  return v;
};

/** UTCTime (YYMMDDHHMMSSZ, years < 50 are 20xx) or GeneralizedTime (YYYYMMDDHHMMSSZ), as ssl's x509.js parseDate. */
function timeOf(der: Uint8Array, e: Element): number {
  const n = e.end - e.start;
  let at = e.start, year: number;
  if (e.tag === 0x17 && n === 13) { year = digits(der, at, 2); year += year < 50 ? 2000 : 1900; at += 2; }
  else if (e.tag === 0x18 && n === 15) { year = digits(der, at, 4); at += 4; }
  else throw new Error("unexpected date");
  if (der[e.end - 1] !== 0x5a) throw new Error("unexpected timezone");
  return Date.UTC(year, digits(der, at, 2) - 1, digits(der, at + 2, 2), digits(der, at + 4, 2), digits(der, at + 6, 2), digits(der, at + 8, 2));
}

/** The subject's commonName or organisation (the first of each found). */
function nameOf(der: Uint8Array, subject: Element): string {
  let cn = "", org = "";
  for (let at = subject.start; at < subject.end;) {
    const set = element(der, at, subject.end);
    for (let a = set.start; a < set.end;) {
      const pair = element(der, a, set.end);
      const oid = element(der, pair.start, pair.end);
      const value = element(der, oid.end, pair.end);
      const id = oidText(der, oid);
      if (id === OID_CN && !cn) cn = asciiText(der, value);
      if (id === OID_O && !org) org = asciiText(der, value);
      a = pair.end;
    }
    at = set.end;
  }
  return cn || org || "(no name)";
}

function isCaOf(der: Uint8Array, extensions: Element): boolean {
  const list = element(der, extensions.start, extensions.end);
  for (let at = list.start; at < list.end;) {
    const ext = element(der, at, list.end);
    const oid = element(der, ext.start, ext.end);
    if (oidText(der, oid) === OID_BASIC_CONSTRAINTS) {
      let next = element(der, oid.end, ext.end);
      if (next.tag === 0x01) next = element(der, next.end, ext.end); // critical
      const constraints = element(der, next.start, next.end);
      if (constraints.start === constraints.end) return false;
      const first = element(der, constraints.start, constraints.end);
      return first.tag === 0x01 && der[first.start] !== 0;
    }
    at = ext.end;
  }
  return false;
}

/** A summary of a DER X.509 certificate, or why it is not one (damaged, truncated, something else). */
export function certificateSummary(der: Uint8Array): CertSummary | string {
  try {
    const cert = element(der, 0, der.length);
    if (cert.tag !== 0x30) return "not a certificate (DER SEQUENCE expected)";
    if (cert.end !== der.length) return `damaged: the certificate says ${cert.end} bytes, ${der.length} arrived`;
    const tbs = element(der, cert.start, cert.end);
    let at = tbs.start;
    let e = element(der, at, tbs.end);
    if (e.tag === 0xa0) e = element(der, e.end, tbs.end); // version
    const signature = element(der, e.end, tbs.end); // e was the serial number
    const issuer = element(der, signature.end, tbs.end);
    const validity = element(der, issuer.end, tbs.end);
    const from = element(der, validity.start, validity.end);
    const to = element(der, from.end, validity.end);
    const subject = element(der, validity.end, tbs.end);
    const spki = element(der, subject.end, tbs.end);
    let isCa = false;
    for (at = spki.end; at < tbs.end;) {
      e = element(der, at, tbs.end);
      if (e.tag === 0xa3) isCa = isCaOf(der, e);
      at = e.end;
    }
    return { name: nameOf(der, subject), notBefore: timeOf(der, from), notAfter: timeOf(der, to), isCa, byteLength: der.length };
  } catch (error) {
    return "not a certificate (" + (error as Error).message + ")";
  }
}

/** 2026-12-02 (UTC): the day of a validity bound. */
export function dayText(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => (n < 10 ? "0" : "") + n;
  return d.getUTCFullYear() + "-" + two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate());
}
