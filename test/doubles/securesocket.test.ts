// The securesocket double throws where the SDK's SecureSocket throws (inside `new MQTT()`), and the
// host's port of ssl_cert.js verify() refuses what the SDK refuses: a chain of one, a host named only
// in the common name, a certificate outside its dates at the device's clock, a wildcard too deep.
import { test, before, after, mock } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { attachHost, takeOutbox, type HostOp } from "./runtime";
import MQTT from "./mqtt";
import SecureSocket, { type TlsOpen } from "./securesocket";
import { sdkVerify, validityOf } from "../virtual/tls-verify";

attachHost((op: HostOp) => (op[0] === "x509.validity" ? validityOf(op[1] as string) : null));

const missing = spawnSync("openssl", ["version"]).error ? "openssl is not installed" : undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jbd-sdkverify-"));
const der: Record<string, Buffer> = {};

function run(args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}
function leaf(name: string, cn: string, ext: string, ca = "ca"): void {
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  fs.writeFileSync(path.join(dir, `${name}.cnf`), ext + "\n");
  run(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "3", "-extfile", `${name}.cnf`]);
}

before(() => {
  if (missing) return;
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "10", "-subj", "/CN=Test CA"]);
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "10", "-subj", "/CN=Other CA"]);
  leaf("ip", "whatever", "subjectAltName=IP:192.168.1.10");
  leaf("dns", "x", "subjectAltName=DNS:broker.lan");
  leaf("wild", "x", "subjectAltName=DNS:*.home.lan");
  leaf("cn", "broker.lan", "basicConstraints=CA:FALSE");
  for (const name of ["ca", "other", "ip", "dns", "wild", "cn"]) {
    run(["x509", "-in", `${name}.pem`, "-outform", "der", "-out", `${name}.der`]);
    der[name] = fs.readFileSync(path.join(dir, `${name}.der`));
  }
});
after(() => { mock.timers.reset(); fs.rmSync(dir, { recursive: true, force: true }); });

const NOW = () => Date.now() + 60_000;

test("sdkVerify: leaf + CA signed by the registered CA, host in subjectAltName (IP and DNS): accepted", { skip: missing }, () => {
  assert.equal(sdkVerify([der.ip, der.ca], [der.ca], "192.168.1.10", NOW()), undefined);
  assert.equal(sdkVerify([der.dns, der.ca], [der.ca], "BROKER.lan", NOW()), undefined, "names compare without case");
  assert.equal(sdkVerify([der.wild, der.ca], [der.ca], "mqtt.home.lan", NOW()), undefined);
});

test("sdkVerify refuses as ssl_cert.js does", { skip: missing }, () => {
  assert.equal(sdkVerify([der.dns], [der.ca], "broker.lan", NOW()), "subjectAltName match failed for broker.lan", "a chain of one never checks the name");
  assert.equal(sdkVerify([der.cn, der.ca], [der.ca], "broker.lan", NOW()), "subjectAltName match failed for broker.lan", "the common name is not read");
  assert.equal(sdkVerify([der.dns, der.ca], [der.ca], "other.lan", NOW()), "subjectAltName match failed for other.lan");
  assert.equal(sdkVerify([der.wild, der.ca], [der.ca], "a.mqtt.home.lan", NOW()), "subjectAltName match failed for a.mqtt.home.lan", "one label only");
  assert.equal(sdkVerify([der.dns, der.ca], [der.other], "broker.lan", NOW()), "certificate: auth err", "signed by a CA not registered");
  assert.equal(sdkVerify([der.dns, der.ca], [], "broker.lan", NOW()), "certificate: auth err");
  assert.equal(sdkVerify([der.dns, der.ca], [der.ca], "", NOW()), "tls_server_name required");
  assert.equal(sdkVerify([der.dns, der.ca], [der.ca], "broker.lan", 0), "date validation failed", "the device's clock at 1970");
});

// Two holes of ssl_cert.js verify() that the double must have too: a received certificate that fails
// its date or signature check is skipped (`continue`), and the last certificate of the chain, if the
// registered CA signed it, decides with the `match` the skipped leaf set. So a leaf sent with its
// CA is accepted when it has expired, and so is a leaf the CA never signed (anyone can append the
// CA's public certificate). The README's TLS section says so; the gateway cannot see the chain.
test("as the SDK: a leaf sent with the registered CA is accepted expired, or not signed by that CA at all", { skip: missing }, () => {
  const later = Date.now() + 5 * 86_400_000; // leaf (3 days) expired, CA (10 days) valid
  assert.equal(sdkVerify([der.dns, der.ca], [der.ca], "broker.lan", later), undefined);
  assert.equal(sdkVerify([der.dns], [der.ca], "broker.lan", later), "date validation failed", "alone, the expired leaf is refused");
  leaf("rogue", "x", "subjectAltName=DNS:broker.lan", "other");
  run(["x509", "-in", "rogue.pem", "-outform", "der", "-out", "rogue.der"]);
  const rogue = fs.readFileSync(path.join(dir, "rogue.der"));
  assert.equal(sdkVerify([rogue, der.ca], [der.ca], "broker.lan", NOW()), undefined, "signed by another CA, sent with ours: accepted");
  assert.equal(sdkVerify([rogue, der.other], [der.ca], "broker.lan", NOW()), "certificate: auth err");
});

test("SecureSocket: a registered certificate outside its dates at Date.now() throws 'date validation failed' out of new MQTT()", { skip: missing }, () => {
  const certificate = new Uint8Array(der.ca).slice().buffer;
  mock.timers.enable({ apis: ["Date"], now: 0 });
  try {
    assert.throws(() => new MQTT({ host: "broker.lan", port: 8883, Socket: SecureSocket, secure: { certificate } }), /^Error: date validation failed$/);
    assert.equal(takeOutbox().filter((op) => op[0] === "mqtt.open").length, 0, "nothing is opened");
    // verify off: the dates are not looked at
    new MQTT({ host: "broker.lan", port: 8883, Socket: SecureSocket, secure: { certificate, verify: false } });
    const open = takeOutbox().find((op) => op[0] === "mqtt.open")!;
    assert.equal(((open[2] as { tls: TlsOpen }).tls).verify, false);
  } finally {
    mock.timers.reset();
  }
  new MQTT({ host: "broker.lan", port: 8883, Socket: SecureSocket, secure: { certificate } });
  const open = takeOutbox().find((op) => op[0] === "mqtt.open")!;
  const tls = (open[2] as { tls: TlsOpen }).tls;
  assert.equal(tls.serverName, "broker.lan", "tls_server_name is the host");
  assert.equal(tls.ca, der.ca.toString("hex"));
});

test("SecureSocket: an unsupported protocolVersion and bytes that are not a certificate throw at construction", { skip: missing }, () => {
  assert.throws(() => new SecureSocket({ host: "h", secure: { protocolVersion: 0x304 } }), /protocolVersion: not supported/);
  assert.throws(() => new SecureSocket({ host: "h", secure: { certificate: new ArrayBuffer(10) } }), /x509: malformed/);
  assert.equal(new SecureSocket({ host: "h", secure: { serverName: "other" } }).tls.serverName, "other");
});
