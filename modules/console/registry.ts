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

/**
 * A command of a table written once at module level and frozen: a preloaded module's table (its
 * entries, strings and functions) stays in flash on the device, so adding it costs two array cells
 * per command, where a command made at run time (register()) costs an object and a closure (about
 * 25 slots each, measured: README "RAM budget").
 */
export interface CommandSpec<C> extends CommandInfo {
  /** `context`: what its table was added with (addTable), e.g. the live parts the command works on. */
  readonly run: (context: C, args: string[], out: Output) => CommandResult;
  /** What it does (for the MQTT console); absent: a change. */
  readonly access?: AccessOf;
}

const HELP: CommandSpec<CommandRegistry> = Object.freeze({
  name: "help", usage: "help [command]", summary: "list commands, or show how to use one", access: "read" as const,
  run: (registry: CommandRegistry, args: string[], out: Output) => registry.printHelp(args, out),
});

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
  /** The commands in the order they came (a replaced one keeps its place), and the context each runs with. */
  readonly #specs: CommandSpec<any>[] = [];
  readonly #contexts: unknown[] = [];
  /** Handler exceptions and rejections caught so far. */
  failures = 0;

  constructor() {
    this.put(HELP, this);
  }

  /** Add every command of a frozen module-level table, each run with `context` (or replace one of the same name). */
  addTable<C>(table: readonly CommandSpec<C>[], context: C): void {
    for (let i = 0; i < table.length; i++) this.put(table[i], context);
  }

  /**
   * Add a command made at run time (or replace one of the same name). Names are matched
   * case-insensitively. `access`: what it does (for the MQTT console); a command that does not say
   * counts as a change. Tables (addTable) cost far less RAM for the firmware's own commands.
   */
  register(name: string, usage: string, summary: string, handler: CommandHandler, access: AccessOf = "change"): void {
    this.put({ name: name.toLowerCase(), usage, summary, access, run: (_context: unknown, args: string[], out: Output) => handler(args, out) }, undefined);
  }

  unregister(name: string): void {
    const i = this.indexOf(name);
    if (i < 0) return;
    this.#specs.splice(i, 1);
    this.#contexts.splice(i, 1);
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  private put(spec: CommandSpec<any>, context: unknown): void {
    const i = this.indexOf(spec.name);
    if (i >= 0) { this.#specs[i] = spec; this.#contexts[i] = context; return; }
    this.#specs.push(spec);
    this.#contexts.push(context);
  }

  /** The index of the command named `name` (any case), -1 when there is none. */
  private indexOf(name: string): number {
    const key = name.toLowerCase();
    for (let i = 0; i < this.#specs.length; i++) if (this.#specs[i].name.toLowerCase() === key) return i;
    return -1;
  }

  /** What `line` would do (unknown commands and bad quoting only print an error: "read"), and its command's name. */
  accessOf(line: string): { name: string; access: Access; args: readonly string[] } {
    const split = splitArgs(line);
    if (split.error !== undefined || !split.args.length) return { name: "", access: "read", args: [] };
    const args = split.args;
    const name = args.shift()!.toLowerCase();
    const i = this.indexOf(name);
    if (i < 0) return { name, access: "read", args };
    const of = this.#specs[i].access ?? "change";
    let access: Access = "change";
    try { access = typeof of === "function" ? of(args) : of; } catch { /* a change, to be safe */ }
    return { name, access, args };
  }

  list(): CommandInfo[] {
    return this.#specs.map((c) => ({ name: c.name.toLowerCase(), usage: c.usage, summary: c.summary }));
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
    const i = this.indexOf(name);
    if (i < 0) {
      out.line(`unknown command '${name}' (type 'help')`);
      return;
    }
    const command = this.#specs[i];
    let result: CommandResult;
    try {
      result = command.run(this.#contexts[i], args, out);
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

  private failed(command: CommandSpec<any>, e: unknown, out: Output): void {
    try {
      if (e instanceof UsageError) {
        out.line(e.message);
        out.line("usage: " + command.usage);
        return;
      }
      this.failures++;
      out.line(`error: ${command.name.toLowerCase()} failed: ${errorText(e)}`);
    } catch {
      // the output itself failed: nothing more to do
    }
  }

  /** The help command: every command with its summary, or one command's usage. */
  printHelp(args: string[], out: Output): CommandResult {
    if (args.length > 1) return false;
    if (args.length === 1) {
      const i = this.indexOf(args[0]);
      if (i < 0) throw new UsageError(`no command '${args[0]}'`);
      out.line("usage: " + this.#specs[i].usage);
      out.line("  " + this.#specs[i].summary);
      return;
    }
    const list = this.list();
    let width = 0;
    for (const c of list) if (c.name.length > width) width = c.name.length;
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of list) out.line("  " + c.name.padEnd(width + 2) + c.summary);
    out.line("'help <command>' shows its arguments");
  }
}

/** One entry of a command table (CommandSpec), frozen; typed against its context so the handler's parameters need no annotations. */
export function defineCommand<C>(spec: CommandSpec<C>): CommandSpec<C> {
  return Object.freeze(spec);
}
