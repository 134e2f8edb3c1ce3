// `npm start` as a user runs it, for the CLI tests: spawned through npm in a session of its own
// (like a terminal's), so every process it starts (npm, sh, node, xsnap, esbuild) can be found
// afterwards by its session id in /proc, and signalled as a terminal or `timeout` would.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { ROOT } from "../../scripts/lib/xs";

export interface StartedGateway {
  child: ChildProcess;
  /** Session (and process group) id: the pid of npm. */
  sid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) of npm. */
  exited: Promise<number | string>;
  /** Resolves when the output matches. */
  waitForOutput(match: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const started = new Set<number>();
// a test that times out never reaches its finally: nothing it started may outlive the test file
process.on("exit", () => { for (const sid of started) killSession(sid); });

export function startGateway(args: string[], options: { stdin?: "pipe" | "ignore"; command?: string[] } = {}): StartedGateway {
  const command = options.command ?? ["npm", "start", "--"];
  const child = spawn(command[0], [...command.slice(1), ...args], {
    cwd: ROOT, detached: true, stdio: [options.stdin ?? "pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  started.add(child.pid!);
  let text = "";
  const waiters = new Set<() => void>();
  const add = (chunk: Buffer) => { text += chunk.toString("utf8"); for (const w of [...waiters]) w(); };
  child.stdout!.on("data", add);
  child.stderr!.on("data", add);
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child, sid: child.pid!, output: () => text, exited,
    waitForOutput(match, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = text.match(match);
          if (m) { waiters.delete(check); clearTimeout(timer); resolve(m); }
        };
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no ${match} in the output:\n${text.slice(-3000)}`)); }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Live processes of a session: [pid, command line]; zombies count as gone. */
export function sessionProcesses(sid: number): [number, string][] {
  const found: [number, string][] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp session ...: comm may contain spaces, so split after ')'
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) !== sid || fields[0] === "Z") continue;
      found.push([Number(entry), fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ").trim()]);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Waits until no process of the session is left; throws with the survivors after `timeoutMs`. */
export async function waitSessionGone(sid: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = sessionProcesses(sid);
    if (!left.length) return;
    if (Date.now() > deadline) throw new Error(`still running after ${timeoutMs} ms:\n${left.map(([p, c]) => `${p} ${c}`).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Test clean-up: whatever the test left, gone (by session, so only what this test started). */
export function killSession(sid: number): void {
  for (const [pid] of sessionProcesses(sid)) {
    try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
  }
}
