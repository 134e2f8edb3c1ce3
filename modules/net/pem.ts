// A PEM certificate read line by line, as it is pasted at the serial console, into one fixed
// buffer: no string grows with the paste, and a line damaged in transfer (the UART FIFO holds only
// 128 bytes while JavaScript is busy) is caught by its characters or by the DER length afterwards.
// Pure: imports nothing.

/** The largest CA accepted, DER bytes: a 4096-bit RSA root is about 1.4 KB (ISRG Root X1: 1,391). */
export const MAX_CA_BYTES = 2048;

const BEGIN = "-----BEGIN CERTIFICATE-----", END = "-----END CERTIFICATE-----";

function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 43) return 62;
  if (c === 47) return 63;
  return -1;
}

export const enum PemState { Before, Inside, Done, Failed }

export class PemReader {
  state = PemState.Before;
  /** Why it failed (state Failed). */
  error = "";
  readonly #bytes = new Uint8Array(MAX_CA_BYTES);
  #length = 0;
  #bits = 0;
  #nbits = 0;
  #padding = 0;
  /** base64 characters read, padding not counted. */
  #chars = 0;
  #line = 0;

  /** The DER read so far (a view on the reader's buffer: copy it to keep it). */
  get der(): Uint8Array { return this.#bytes.subarray(0, this.#length); }

  /** One pasted line. Lines before BEGIN are ignored (a terminal's noise, `openssl x509 -text` output). */
  feed(text: string): PemState {
    if (this.state === PemState.Done || this.state === PemState.Failed) return this.state;
    const line = text.trim();
    this.#line++;
    if (this.state === PemState.Before) {
      if (line === BEGIN) this.state = PemState.Inside;
      else if (line.indexOf("BEGIN") >= 0 && line.indexOf("-----") >= 0) this.fail(`'${line.slice(0, 40)}' is not a certificate (paste one -----BEGIN CERTIFICATE----- block)`);
      return this.state;
    }
    if (line === END) {
      if ((this.#chars + this.#padding) % 4 !== 0) return this.fail("the base64 text is not a whole number of 4-character groups: characters were lost in transfer (paste again)");
      this.state = this.#length ? PemState.Done : PemState.Failed;
      if (!this.#length) this.error = "no certificate text between BEGIN and END";
      return this.state;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 61) { // '='
        this.#padding++;
        if (this.#padding > 2) return this.fail(`line ${this.#line}: too much '=' padding`);
        continue;
      }
      const v = sextet(c);
      if (v < 0) return this.fail(`line ${this.#line}: '${line[i]}' is not base64 (damaged in transfer? paste again)`);
      if (this.#padding) return this.fail(`line ${this.#line}: text after the '=' padding (damaged in transfer? paste again)`);
      this.#chars++;
      this.#bits = ((this.#bits << 6) | v) & 0xffffff;
      this.#nbits += 6;
      if (this.#nbits >= 8) {
        this.#nbits -= 8;
        if (this.#length >= MAX_CA_BYTES) return this.fail(`larger than ${MAX_CA_BYTES} bytes: not a single CA certificate`);
        this.#bytes[this.#length++] = (this.#bits >> this.#nbits) & 0xff;
      }
    }
    return this.state;
  }

  private fail(why: string): PemState {
    this.state = PemState.Failed;
    this.error = why;
    return this.state;
  }
}
