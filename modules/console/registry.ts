// Console commands: registration, dispatch, help, and error containment. Pure.
//
// A handler gets the arguments after the command name and an Output. It may:
//   - return nothing (done), or `false` for bad arguments (the registry prints the usage line);
//   - throw UsageError("why") for bad arguments with a reason;
//   - return a Promise for commands that finish later (scan, raw frame); it may resolve to false too.
// Any other exception (or rejection) is caught and reported as "error: ...": on the device an
// exception escaping a callback reboots it, so nothing thrown by a handler ever leaves run().

import { splitArgs } from "./args";
import type { Output } from "./output";

export type CommandResult = void | boolean | Promise<void | boolean>;
export type CommandHandler = (args: string[], out: Output) => CommandResult;

/**
 * What a command line does, for the MQTT console's privileges (capture.ts): "read" only reads,
 * "change" changes the gateway or a BMS, "secret" reads or writes a secret (never remotely),
 * "serial" needs the serial console itself (pasting a CA: what the gateway trusts, never remotely).
 */
export type Access = "read" | "change" | "secret" | "serial";
/** A command's access, the same for every use or depending on its arguments (`config get` vs `config set`). */
export type AccessOf = Access | ((args: readonly string[]) => Access);

export interface CommandInfo {
  readonly name: string;
  /** e.g. "config set <key> <value>" — shown for bad arguments and by "help <command>". */
  readonly usage: string;
  /** One line for "help". */
  readonly summary: string;
}

interface Command extends CommandInfo {
  readonly handler: CommandHandler;
  readonly access: AccessOf;
}

/** Thrown by a handler for bad arguments: prints the message and the usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    // Not `this.name = ...`: a device build freezes Error.prototype, and assigning a property a
    // frozen prototype has throws "set name: not writable" (the override mistake).
    Object.defineProperty(this, "name", { value: "UsageError", configurable: true, writable: true });
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message ? `${e.name}: ${e.message}` : e.name;
  return String(e);
}

export class CommandRegistry {
  readonly #commands: Command[] = [];
  /** Handler exceptions and rejections caught so far. */
  failures = 0;

  constructor() {
    this.register("help", "help [command]", "list commands, or show how to use one", (args, out) => this.help(args, out), "read");
  }

  /**
   * Add a command (or replace one of the same name). Names are matched case-insensitively.
   * `access`: what it does (for the MQTT console); a command that does not say counts as a change.
   */
  register(name: string, usage: string, summary: string, handler: CommandHandler, access: AccessOf = "change"): void {
    const key = name.toLowerCase();
    const command: Command = { name: key, usage, summary, handler, access };
    const i = this.#commands.findIndex((c) => c.name === key);
    if (i >= 0) this.#commands[i] = command;
    else this.#commands.push(command);
  }

  unregister(name: string): void {
    const i = this.#commands.findIndex((c) => c.name === name.toLowerCase());
    if (i >= 0) this.#commands.splice(i, 1);
  }

  has(name: string): boolean {
    return this.#commands.some((c) => c.name === name.toLowerCase());
  }

  /** What `line` would do (unknown commands and bad quoting only print an error: "read"), and its command's name. */
  accessOf(line: string): { name: string; access: Access; args: readonly string[] } {
    const split = splitArgs(line);
    if (split.error !== undefined || !split.args.length) return { name: "", access: "read", args: [] };
    const args = split.args;
    const name = args.shift()!.toLowerCase();
    const command = this.#commands.find((c) => c.name === name);
    if (!command) return { name, access: "read", args };
    let access: Access = "change";
    try { access = typeof command.access === "function" ? command.access(args) : command.access; } catch { /* a change, to be safe */ }
    return { name, access, args };
  }

  list(): CommandInfo[] {
    return this.#commands.map((c) => ({ name: c.name, usage: c.usage, summary: c.summary }));
  }

  /**
   * Run one command line. Never throws; the returned promise (for asynchronous commands) never
   * rejects. Empty lines do nothing.
   */
  run(line: string, out: Output): void | Promise<void> {
    const split = splitArgs(line);
    if (split.error !== undefined) {
      out.line("error: " + split.error);
      return;
    }
    const args = split.args;
    if (!args.length) return;
    const name = args.shift()!.toLowerCase();
    const command = this.#commands.find((c) => c.name === name);
    if (!command) {
      out.line(`unknown command '${name}' (type 'help')`);
      return;
    }
    let result: CommandResult;
    try {
      result = command.handler(args, out);
    } catch (e) {
      this.failed(command, e, out);
      return;
    }
    if (result === false) {
      out.line("usage: " + command.usage);
      return;
    }
    if (result && typeof (result as Promise<unknown>).then === "function") {
      return (result as Promise<void | boolean>).then(
        (r) => { if (r === false) out.line("usage: " + command.usage); },
        (e) => { this.failed(command, e, out); },
      ).then(undefined, () => { /* an Output that throws must not leave a rejected promise */ });
    }
  }

  private failed(command: Command, e: unknown, out: Output): void {
    try {
      if (e instanceof UsageError) {
        out.line(e.message);
        out.line("usage: " + command.usage);
        return;
      }
      this.failures++;
      out.line(`error: ${command.name} failed: ${errorText(e)}`);
    } catch {
      // the output itself failed: nothing more to do
    }
  }

  private help(args: string[], out: Output): CommandResult {
    if (args.length > 1) return false;
    if (args.length === 1) {
      const command = this.#commands.find((c) => c.name === args[0].toLowerCase());
      if (!command) throw new UsageError(`no command '${args[0]}'`);
      out.line("usage: " + command.usage);
      out.line("  " + command.summary);
      return;
    }
    let width = 0;
    for (const c of this.#commands) if (c.name.length > width) width = c.name.length;
    const sorted = this.#commands.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of sorted) out.line("  " + c.name.padEnd(width + 2) + c.summary);
    out.line("'help <command>' shows its arguments");
  }
}
