// The broker CA as the firmware handles it, on Node with certificates openssl makes here: the DER
// summary (names, dates, CA flag, damage), the PEM paste reader, the flash/built-in choice, and
// the reasons TLS does not start (clock, CA, dates, memory).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { certificateSummary, dayText } from "../../modules/net/x509";
import { PemReader, PemState, MAX_CA_BYTES } from "../../modules/net/pem";
import { TlsGate, TlsTrust, CLOCK_SET_AFTER_MS, TLS_MIN_FREE_BYTES, type TrustPlatform } from "../../modules/net/tls-trust";

const missing = spawnSync("openssl", ["version"]).error ? "openssl is not installed" : undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jbd-x509-"));
const pem: Record<string, string> = {};
const der: Record<string, Buffer> = {};

function run(args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

before(() => {
  if (missing) return;
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/O=Home Lab/CN=Home Lab CA"]);
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.pem", "-days", "3650", "-subj", "/O=Only An Org"]);
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=broker.lan"]);
  fs.writeFileSync(path.join(dir, "leaf.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:broker.lan\n");
  run(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "5", "-extfile", "leaf.cnf"]);
  for (const name of ["ca", "rsa", "leaf"]) {
    run(["x509", "-in", `${name}.pem`, "-outform", "der", "-out", `${name}.der`]);
    pem[name] = fs.readFileSync(path.join(dir, `${name}.pem`), "utf8");
    der[name] = fs.readFileSync(path.join(dir, `${name}.der`));
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;

test("a certificate's summary: its name, its dates as openssl wrote them, and whether it is a CA", { skip: missing }, () => {
  const ca = certificateSummary(der.ca);
  assert.ok(typeof ca !== "string");
  assert.equal(ca.name, "Home Lab CA");
  assert.equal(ca.isCa, true);
  assert.equal(ca.byteLength, der.ca.length);
  assert.ok(Math.abs(ca.notBefore - Date.now()) < 60_000, "valid from now");
  assert.ok(Math.abs(ca.notAfter - ca.notBefore - 30 * DAY) < 1000, "for 30 days");
  const rsa = certificateSummary(der.rsa);
  assert.ok(typeof rsa !== "string");
  assert.equal(rsa.name, "Only An Org", "no commonName: the organisation");
  assert.equal(rsa.isCa, true);
  const leaf = certificateSummary(der.leaf);
  assert.ok(typeof leaf !== "string");
  assert.equal(leaf.name, "broker.lan");
  assert.equal(leaf.isCa, false);
});

test("damaged bytes are named as such, never summarised", { skip: missing }, () => {
  assert.match(certificateSummary(der.ca.subarray(0, der.ca.length - 10)) as string, /^(damaged|not a certificate \(truncated\))/);
  assert.match(certificateSummary(Buffer.concat([der.ca, Buffer.from([0])])) as string, /^damaged: the certificate says \d+ bytes, \d+ arrived/);
  assert.match(certificateSummary(Buffer.from("hello world")) as string, /^not a certificate/);
  assert.match(certificateSummary(new Uint8Array(0)) as string, /^not a certificate/);
  const flipped = Buffer.from(der.ca);
  flipped[1] ^= 0x40;
  assert.equal(typeof certificateSummary(flipped), "string");
});

function feedAll(text: string): PemReader {
  const reader = new PemReader();
  for (const line of text.split("\n")) if (reader.feed(line) !== PemState.Inside && reader.state !== PemState.Before) break;
  return reader;
}

test("PEM pasted line by line gives the DER back, byte for byte; terminal noise before BEGIN is ignored", { skip: missing }, () => {
  for (const name of ["ca", "rsa"]) {
    const reader = feedAll("jbd> \n  some noise\n" + pem[name].replace(/\n/g, "\r\n"));
    assert.equal(reader.state, PemState.Done, reader.error);
    assert.deepEqual(Buffer.from(reader.der), der[name]);
  }
});

test("a character lost or changed in transfer, a key instead of a certificate, an empty block: refused with the reason", { skip: missing }, () => {
  const lines = pem.ca.trim().split("\n");
  const lost = [...lines];
  lost[2] = lost[2].slice(0, 10) + lost[2].slice(11);
  assert.match(feedAll(lost.join("\n")).error, /4-character groups: characters were lost in transfer/);
  const bad = [...lines];
  bad[1] = bad[1].slice(0, 5) + "!" + bad[1].slice(6);
  assert.match(feedAll(bad.join("\n")).error, /line \d+: '!' is not base64/);
  assert.match(feedAll("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----").error, /is not a certificate/);
  assert.match(feedAll("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----").error, /no certificate text/);
  const huge = "-----BEGIN CERTIFICATE-----\n" + "QUFB".repeat(MAX_CA_BYTES).match(/.{1,64}/g)!.join("\n") + "\n-----END CERTIFICATE-----";
  assert.match(feedAll(huge).error, /larger than 2048 bytes/);
  const padded = [...lines];
  padded.splice(padded.length - 1, 0, "QQ==QQ==");
  assert.match(feedAll(padded.join("\n")).error, /after the '=' padding/);
});

class FakePlatform implements TrustPlatform {
  flash: ArrayBuffer | undefined;
  built: ArrayBuffer | undefined;
  writes = 0;
  readFlash() { return this.flash; }
  writeFlash(d: ArrayBuffer) { this.writes++; this.flash = d; }
  eraseFlash() { this.flash = undefined; }
  builtIn() { return this.built; }
}
const buffer = (b: Buffer) => new Uint8Array(b).slice().buffer;

test("flash wins over the built-in CA; clearing it falls back; a leaf or damaged bytes are never stored", { skip: missing }, () => {
  const platform = new FakePlatform();
  platform.built = buffer(der.rsa);
  const trust = new TlsTrust(platform);
  assert.equal(trust.source, "built-in");
  assert.equal(trust.summary!.name, "Only An Org");
  assert.match(trust.store(der.leaf)!, /'broker.lan' is not a CA certificate/);
  assert.match(trust.store(der.ca.subarray(0, 100))!, /damaged|not a certificate/);
  assert.equal(platform.writes, 0);
  assert.equal(trust.store(der.ca), undefined);
  assert.equal(trust.source, "flash");
  assert.deepEqual(Buffer.from(trust.der!), der.ca);
  trust.clear();
  assert.equal(trust.source, "built-in");
  platform.built = undefined;
  platform.flash = buffer(der.ca.subarray(0, 200)); // flash holding garbage: said, and not used
  const again = new TlsTrust(platform);
  assert.equal(again.source, "none");
  assert.match(again.problem, /the flash CA is not usable/);
});

test("TLS waits for the clock, then for a CA, then for the CA's dates; memory first where the build reports it", { skip: missing }, () => {
  const platform = new FakePlatform();
  const trust = new TlsTrust(platform);
  let now = 5_000, verify = true, free: number | undefined;
  const gate = new TlsGate({ trust, verify: () => verify, now: () => now, freeMemory: () => free });
  assert.match(gate.problem()!, /^waiting for the clock \(SNTP\)/);
  now = CLOCK_SET_AFTER_MS + DAY;
  assert.match(gate.problem()!, /^no CA certificate to check the broker against: paste it with 'tls ca'/);
  trust.store(der.ca);
  const ca = trust.summary!;
  now = ca.notBefore - DAY;
  assert.equal(gate.problem(), `the CA 'Home Lab CA' is valid only from ${dayText(ca.notBefore)} (clock ${dayText(now)})`);
  now = ca.notAfter + DAY;
  assert.match(gate.problem()!, /^the CA 'Home Lab CA' expired on \d{4}-\d\d-\d\d: give its renewed certificate/);
  now = ca.notBefore + DAY;
  assert.equal(gate.problem(), undefined);
  assert.deepEqual(Buffer.from(gate.secure().certificate!), der.ca);
  free = TLS_MIN_FREE_BYTES - 1;
  assert.match(gate.problem()!, /^not enough memory for TLS: 39999 bytes free/);
  free = undefined;
  verify = false; // no check of anything: neither clock nor CA
  now = 0;
  assert.equal(gate.problem(), undefined);
  assert.deepEqual(gate.secure(), { verify: false });
  assert.match(gate.describe(), /^verify OFF/);
});
