// A real TLS broker for the tests: mosquitto (Debian, installed by .ci/run) with a test CA made
// here with openssl, and three TLS listeners that differ only in the certificate they present:
// - `chain`: a broker certificate for 127.0.0.1 (subjectAltName IP and DNS:localhost) sent with its CA;
// - `leafOnly`: the same certificate sent alone (what mosquitto sends when certfile holds only it);
// - `cnOnly`: a certificate with CN=127.0.0.1 and no subjectAltName, sent with its CA.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { accepting, freePort, mosquittoPath } from "./mosquitto";

export const tlsBrokerMissing = !mosquittoPath() ? "mosquitto is not installed" : spawnSync("openssl", ["version"]).error ? "openssl is not installed" : undefined;

export class TlsBroker {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "jbd-tlsbroker-"));
  ports = { plain: 0, chain: 0, leafOnly: 0, cnOnly: 0 };
  #child: ChildProcess | undefined;

  /** The test CA, PEM and DER. */
  get caPem(): string { return fs.readFileSync(path.join(this.dir, "ca.pem"), "utf8"); }
  get caDer(): Buffer { return fs.readFileSync(path.join(this.dir, "ca.der")); }

  private run(command: string, args: string[]): void {
    const r = spawnSync(command, args, { cwd: this.dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${r.stderr}`);
  }

  private leaf(name: string, subject: string, extensions: string | undefined): void {
    this.run("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
    const args = ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "2"];
    fs.writeFileSync(path.join(this.dir, `${name}.cnf`), (extensions ?? "") + "\nbasicConstraints=CA:FALSE\n");
    this.run("openssl", [...args, "-extfile", `${name}.cnf`]);
  }

  async start(): Promise<void> {
    this.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=jbd-gateway test CA"]);
    this.run("openssl", ["x509", "-in", "ca.pem", "-outform", "der", "-out", "ca.der"]);
    this.leaf("broker", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    this.leaf("cn-only", "/CN=127.0.0.1", undefined);
    const ca = fs.readFileSync(path.join(this.dir, "ca.pem"), "utf8");
    fs.writeFileSync(path.join(this.dir, "broker-chain.pem"), fs.readFileSync(path.join(this.dir, "broker.pem"), "utf8") + ca);
    fs.writeFileSync(path.join(this.dir, "cn-only-chain.pem"), fs.readFileSync(path.join(this.dir, "cn-only.pem"), "utf8") + ca);
    for (const key of Object.keys(this.ports) as (keyof TlsBroker["ports"])[]) this.ports[key] = await freePort();
    const listener = (port: number, cert: string, key: string) => [`listener ${port} 127.0.0.1`, `certfile ${this.dir}/${cert}`, `keyfile ${this.dir}/${key}`];
    fs.writeFileSync(path.join(this.dir, "mosquitto.conf"), [
      "per_listener_settings false", "allow_anonymous true", "persistence false",
      ...(process.getuid?.() === 0 ? ["user root"] : []),
      `listener ${this.ports.plain} 127.0.0.1`,
      ...listener(this.ports.chain, "broker-chain.pem", "broker.key"),
      ...listener(this.ports.leafOnly, "broker.pem", "broker.key"),
      ...listener(this.ports.cnOnly, "cn-only-chain.pem", "cn-only.key"),
    ].join("\n") + "\n");
    const child = this.#child = spawn(mosquittoPath()!, ["-c", path.join(this.dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    child.stderr!.on("data", (d) => { log += d; });
    for (let i = 0; ; i++) {
      if (await accepting(this.ports.cnOnly)) return;
      if (i > 100 || child.exitCode !== null) throw new Error(`mosquitto did not start: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
