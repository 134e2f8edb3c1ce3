// The console's `tls` command with the real trust store and gate (modules/net/tls-trust.ts) over a
// flash double, certificates made by openssl here: the status lines, the CA pasted as PEM (stored,
// refused, cancelled, timed out), `tls ca clear`, usage errors and access.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CommandRegistry } from "../../modules/console/registry";
import { CaptureOutput } from "../../modules/console/output";
import type { LineReader } from "../../modules/console/console";
import { PASTE_TIMEOUT_MS, registerTlsCommands, tlsStatusLines, type TlsParts } from "../../modules/console/tls-commands";
import { TlsGate, TlsTrust, TLS_MIN_FREE_BYTES, type TrustPlatform } from "../../modules/net/tls-trust";
import { dayText } from "../../modules/net/x509";

const missing = spawnSync("openssl", ["version"]).error ? "openssl is not installed" : undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jbd-tls-console-"));
const pem: Record<string, string> = {};
const der: Record<string, Buffer> = {};
function openssl(args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}
before(() => {
  if (missing) return;
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=Home Lab CA"]);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "built.key", "-out", "built.pem", "-days", "60", "-subj", "/CN=Built In CA"]);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=broker.lan"]);
  fs.writeFileSync(path.join(dir, "leaf.cnf"), "basicConstraints=CA:FALSE\n");
  openssl(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "5", "-extfile", "leaf.cnf"]);
  for (const name of ["ca", "built", "leaf"]) {
    openssl(["x509", "-in", `${name}.pem`, "-outform", "der", "-out", `${name}.der`]);
    pem[name] = fs.readFileSync(path.join(dir, `${name}.pem`), "utf8");
    der[name] = fs.readFileSync(path.join(dir, `${name}.der`));
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const pemLines = (name: string) => pem[name].split("\n").filter(Boolean);

/** A console with `tls`: the flash, the settings and the connection as the test sets them. */
function makeTls(options: { builtIn?: string; enabled?: boolean } = {}) {
  const world = {
    flash: undefined as ArrayBuffer | undefined, eraseFails: false, writeFails: false,
    enabled: options.enabled ?? true, verify: true, now: Date.now(), free: undefined as number | undefined,
    problem: "", failures: 0, reconnects: 0, reader: undefined as LineReader | undefined,
    timers: [] as { fn: () => void; ms: number; cleared: boolean }[],
  };
  const platform: TrustPlatform = {
    readFlash: () => world.flash,
    writeFlash: (bytes) => { if (world.writeFails) throw new Error("nvs full"); world.flash = bytes; },
    eraseFlash: () => { if (world.eraseFails) throw new Error("nvs broken"); world.flash = undefined; },
    builtIn: () => (options.builtIn ? new Uint8Array(der[options.builtIn]).buffer : undefined),
  };
  const trust = new TlsTrust(platform);
  const gate = new TlsGate({ trust, verify: () => world.verify, now: () => world.now, freeMemory: () => world.free });
  const parts: TlsParts = {
    trust, gate, enabled: () => world.enabled, state: () => ({ problem: world.problem, failures: world.failures }),
    reconnect: () => { world.reconnects++; },
    readLines: (reader) => { world.reader = reader; },
    setTimer: (fn, ms) => { const t = { fn, ms, cleared: false }; world.timers.push(t); return t; },
    clearTimer: (handle) => { (handle as { cleared: boolean }).cleared = true; },
  };
  const registry = new CommandRegistry();
  registerTlsCommands(registry, parts);
  /** Runs a line; a paste's answer comes once its lines (or the timeout) end it. */
  const run = (line: string) => {
    const out = new CaptureOutput(1 << 14);
    let done = false;
    const pending = registry.run(line, out);
    if (pending) pending.then(() => { done = true; }); else done = true;
    return { out, get done() { return done; }, text: () => out.text() };
  };
  return { world, trust, gate, parts, registry, run };
}
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test("tls: off, with the setting to change; on: verify, the CA and its dates, why it waits, failures", { skip: missing }, async () => {
  const t = makeTls({ builtIn: "built", enabled: false });
  const ca = t.trust.summary!;
  const anchor = `CA 'Built In CA' (built-in, ${der.built.length} bytes, valid ${dayText(ca.notBefore)} to ${dayText(ca.notAfter)})`;
  assert.equal(t.run("tls").text(), `tls off (config set mqttTls on): verify on, ${anchor}\n`);
  t.world.enabled = true;
  assert.equal(t.run("tls").text(), `tls on: verify on, ${anchor}\n`, "nothing in the way");
  t.world.problem = "the broker closed the connection";
  t.world.failures = 1;
  assert.equal(t.run("tls").text(), `tls on: verify on, ${anchor}\ntls waits: the broker closed the connection\n` +
    "tls: 1 connection failed before the broker accepted the gateway (see the log for what to check)\n");
  t.world.failures = 3;
  t.world.free = TLS_MIN_FREE_BYTES - 1;
  const lines = tlsStatusLines(t.parts);
  assert.match(lines[1], /^tls waits: not enough memory for TLS: 39999 bytes free/, "the gate's problem comes first");
  assert.equal(lines[2], "tls: 3 connections failed before the broker accepted the gateway (see the log for what to check)");
  t.world.verify = false;
  t.world.free = undefined;
  t.world.problem = "";
  t.world.failures = 0;
  assert.equal(t.run("tls").text(), `tls on: verify OFF (encrypted, broker not authenticated), ${anchor}\n`);
  // off: only the first line, whatever waits
  t.world.enabled = false;
  t.world.problem = "x";
  t.world.failures = 2;
  assert.equal(tlsStatusLines(t.parts).length, 1);
});

test("tls: a CA in flash that is damaged is named", { skip: missing }, () => {
  const t = makeTls();
  t.world.flash = new Uint8Array(der.ca.subarray(0, 40)).buffer;
  const fresh = new TlsTrust({ readFlash: () => t.world.flash, writeFlash: () => {}, eraseFlash: () => {}, builtIn: () => undefined });
  const lines = tlsStatusLines({ ...t.parts, trust: fresh, gate: new TlsGate({ trust: fresh, verify: () => true, now: () => Date.now() }) });
  assert.match(lines[1], /^tls: the flash CA is not usable: /);
  assert.match(lines[2], /^tls waits: the flash CA is not usable: .*; no CA certificate to check the broker against/);
});

test("tls ca: the pasted CA is stored in flash, named with its dates, and MQTT reconnects", { skip: missing }, async () => {
  const t = makeTls({ builtIn: "built" });
  const r = t.run("tls ca");
  assert.match(r.text(), /^paste the broker's CA certificate \(PEM, .* at most \d+ bytes DER\); Ctrl-C cancels\n$/);
  assert.ok(t.world.reader, "the console's lines are the command's");
  assert.equal(t.world.timers[0].ms, PASTE_TIMEOUT_MS);
  assert.equal(PASTE_TIMEOUT_MS, 120_000);
  const body = pemLines("ca");
  for (let i = 0; i < body.length - 1; i++) assert.equal(t.world.reader!.line(body[i]), false, "more to come");
  assert.equal(t.world.reader!.line(body.at(-1)!), true, "the last line");
  await settle();
  assert.equal(r.done, true);
  const ca = t.trust.summary!;
  assert.equal(t.trust.source, "flash");
  assert.equal(ca.name, "Home Lab CA");
  assert.ok(r.text().endsWith(`tls ca: stored 'Home Lab CA' (${der.ca.length} bytes, valid ${dayText(ca.notBefore)} to ${dayText(ca.notAfter)}); MQTT reconnects\n`), r.text());
  assert.equal(t.world.reconnects, 1);
  assert.ok(t.world.timers[0].cleared, "the timeout is cancelled");
  assert.deepEqual(new Uint8Array(t.world.flash!), new Uint8Array(der.ca));
  t.world.timers[0].fn(); // a timer the SDK fires anyway: nothing more
  assert.equal(r.text().split("\n").filter(Boolean).length, 2);

  // clear: back to the built-in CA
  assert.equal(t.run("tls ca clear").text(), "tls ca: the CA in flash is forgotten; now the built-in CA; MQTT reconnects\n");
  assert.equal(t.world.reconnects, 2);
  assert.equal(t.trust.source, "built-in");
  assert.equal(t.run("tls ca clear").text(), "tls ca: no CA in flash (nothing to clear)\n");
  assert.equal(t.world.reconnects, 2, "nothing cleared: no reconnect");
});

test("tls ca clear without a built-in CA: no CA; an erase that fails is said and changes nothing", { skip: missing }, async () => {
  const t = makeTls();
  const r = t.run("tls ca");
  for (const l of pemLines("ca")) t.world.reader!.line(l);
  await settle();
  assert.equal(t.trust.source, "flash");
  t.world.eraseFails = true;
  assert.equal(t.run("tls ca clear").text(), "tls ca clear: flash erase failed: Error: nvs broken\n");
  assert.equal(t.trust.source, "flash");
  assert.equal(t.world.reconnects, 1);
  t.world.eraseFails = false;
  assert.equal(t.run("tls ca clear").text(), "tls ca: the CA in flash is forgotten; now no CA; MQTT reconnects\n");
  assert.equal(r.done, true);
});

test("tls ca: a certificate that is no CA, a damaged paste or a flash that fails stores nothing", { skip: missing }, async () => {
  const t = makeTls();
  let r = t.run("tls ca");
  for (const l of pemLines("leaf")) if (t.world.reader!.line(l)) break;
  await settle();
  assert.match(r.text(), /\ntls ca: 'broker\.lan' is not a CA certificate .*: nothing stored\n$/);
  assert.equal(t.world.flash, undefined);
  assert.equal(t.world.reconnects, 0);

  r = t.run("tls ca");
  assert.equal(t.world.reader!.line("-----BEGIN CERTIFICATE-----"), false);
  assert.equal(t.world.reader!.line("!!!! not base64 !!!!"), true);
  await settle();
  assert.match(r.text(), /\ntls ca: .+: nothing stored\n$/);
  assert.equal(r.done, true);

  t.world.writeFails = true;
  r = t.run("tls ca");
  for (const l of pemLines("ca")) t.world.reader!.line(l);
  await settle();
  assert.ok(r.text().endsWith("\ntls ca: flash write failed: Error: nvs full: nothing stored\n"), r.text());
  assert.equal(t.world.reconnects, 0);
});

test("tls ca: Ctrl-C, or nothing complete within the timeout, stores nothing and gives the console back", { skip: missing }, async () => {
  const t = makeTls();
  let r = t.run("tls ca");
  t.world.reader!.line("-----BEGIN CERTIFICATE-----");
  t.world.reader!.cancel("cancelled");
  await settle();
  assert.ok(r.text().endsWith("\n\r\ntls ca: cancelled: nothing stored\n"), JSON.stringify(r.text()));
  assert.ok(t.world.timers[0].cleared);
  t.world.reader!.cancel("again");
  assert.ok(!r.text().includes("again"), "answered once");

  r = t.run("tls ca");
  const reader = t.world.reader;
  t.world.timers[1].fn();
  await settle();
  assert.equal(t.world.reader, undefined, "the console's input is its own again");
  assert.ok(reader);
  assert.ok(r.text().endsWith("\ntls ca: nothing complete within 120 s: nothing stored\n"), r.text());
  assert.equal(r.done, true);
});

test("tls usage errors; access: the status is a read, anything with arguments is for the serial console", { skip: missing }, () => {
  const t = makeTls();
  for (const line of ["tls x", "tls ca now", "tls ca clear now", "tls clear"]) {
    assert.equal(t.run(line).text(), "tls [ca [clear]]\nusage: tls [ca [clear]]\n", line);
  }
  assert.equal(t.registry.accessOf("tls").access, "read");
  assert.equal(t.registry.accessOf("tls ca").access, "serial");
  assert.equal(t.registry.accessOf("tls ca clear").access, "serial");
});

test("tls ca at the real console: a refused paste gives the console back at once; an old paste's timeout leaves a new paste alone", { skip: missing }, async () => {
  const t = makeTls();
  const { makeConsole } = await import("./helpers");
  const c = makeConsole();
  registerTlsCommands(c.registry, { ...t.parts, readLines: (r) => c.console.readLines(r) });
  let all = c.type("tls ca\r");
  for (const l of pemLines("leaf")) all += c.type(l + "\r");
  await settle();
  all += c.drain();
  assert.match(all, /tls ca: 'broker\.lan' is not a CA certificate/);
  const status = c.type("tls\r") + (await settle(), c.drain());
  assert.match(status, /tls on: verify on, no CA/, "the next line is a command again");

  // a paste that ended, then a new one: the first one's timer must not take the console from the second
  const first = t.run("tls ca");
  for (const l of pemLines("ca")) t.world.reader!.line(l);
  await settle();
  assert.equal(first.done, true);
  const second = t.run("tls ca");
  const reader = t.world.reader;
  assert.ok(reader);
  t.world.timers.at(-2)!.fn(); // the first paste's timeout fires anyway
  assert.equal(t.world.reader, reader, "the second paste still reads the lines");
  assert.equal(second.done, false);
  t.world.reader!.cancel("cancelled");
  await settle();
  assert.equal(second.done, true);
});
