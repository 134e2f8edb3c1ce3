// Mosquitto from Debian (installed by .ci/run), started on a free loopback port for one test file.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export function mosquittoPath(): string | undefined {
  for (const candidate of ["mosquitto", "/usr/sbin/mosquitto"]) {
    if (spawnSync(candidate, ["-h"], { stdio: "ignore" }).error === undefined) return candidate;
  }
  return undefined;
}

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something accepts TCP connections on the loopback port. */
export function accepting(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => { socket.destroy(); resolve(true); });
    socket.on("error", () => resolve(false));
  });
}

export class Mosquitto {
  port = 0;
  #child: ChildProcess | undefined;
  #dir = fs.mkdtempSync(path.join(os.tmpdir(), "jbd-mosquitto-"));

  async start(): Promise<void> {
    const binary = mosquittoPath();
    if (!binary) throw new Error("mosquitto is not installed (apt-get install mosquitto; .ci/run does it)");
    this.port ||= await freePort();
    const conf = path.join(this.#dir, "mosquitto.conf");
    fs.writeFileSync(conf, `listener ${this.port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    this.#child = spawn(binary, ["-c", conf], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      if (await accepting(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("mosquitto did not start");
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }

  /** Stop and remove the config folder (the port is kept only for restarts). */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }
}
