// Run our compiled code inside Moddable's XS engine (through @agoric/xsnap).
//
// bundleForXs() compiles TypeScript the way mcconfig does (to modern ECMAScript, no Node APIs:
// platform "neutral") and bundles the module graph into one script, mapping the Moddable module
// names ("timer", "bleclient", ...) to whatever the caller gives (our doubles, usually).
// startXs() starts an xsnap worker and returns it with small helpers around evaluate().
import "@endo/init";
import { xsnap } from "@agoric/xsnap";
import { spawn } from "node:child_process";
import os from "node:os";
import fs from "node:fs/promises";
import { createReadStream, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import tmp from "tmp";
import * as esbuild from "esbuild";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface BundleOptions {
  /** Module specifier -> file (relative to the project root). */
  aliases?: Record<string, string>;
  /** Name of a global to assign the entry module's exports to. */
  globalName?: string;
  minify?: boolean;
}

/** Compile and bundle one entry (relative to the project root) into a single XS script. */
export async function bundleForXs(entry: string, options: BundleOptions = {}): Promise<string> {
  const aliases = options.aliases ?? {};
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    write: false,
    format: "iife",
    // xsnap evaluates each script in its own scope: publish the exports on globalThis explicitly.
    globalName: options.globalName ? "__entry" : undefined,
    footer: options.globalName ? { js: `globalThis[${JSON.stringify(options.globalName)}] = __entry;` } : undefined,
    platform: "neutral",
    target: "esnext",
    minify: options.minify ?? false,
    logLevel: "silent",
    mainFields: ["module", "main"],
    plugins: [{
      name: "moddable-modules",
      setup(build) {
        build.onResolve({ filter: /^device:preload$/ }, () => ({ path: "preload", namespace: "device" }));
        build.onLoad({ filter: /.*/, namespace: "device" }, () => ({ contents: preloadImports(), resolveDir: ROOT, loader: "ts" }));
        build.onResolve({ filter: /.*/ }, (args) => {
          const target = aliases[args.path];
          return target ? { path: path.join(ROOT, target) } : undefined;
        });
      },
    }],
  });
  return result.outputFiles[0].text;
}

/**
 * `import "device:preload"`: the modules the manifest's "preload" list names, imported in that
 * order, so their top-level code runs before anything else (mcconfig runs it at build time).
 * Matched as mcconfig matches them (tools/mcconfig.js filterPreload): a pattern ending in `*`
 * selects JavaScript files only, never TypeScript ones; an exact name selects a .js or .ts module.
 */
export function preloadedModules(preload: readonly string[], root = ROOT): string[] {
  const names: string[] = [];
  for (const pattern of preload) {
    const star = pattern.lastIndexOf("*");
    if (star >= 0) {
      const prefix = pattern.slice(0, star);
      const dir = path.join(root, path.dirname(prefix + "x"));
      let files: string[] = [];
      try { files = readdirSync(dir); } catch { /* no such folder: nothing */ }
      for (const f of files.sort()) {
        const name = path.posix.join(path.posix.dirname(prefix + "x"), f);
        if (f.endsWith(".js") && name.startsWith(prefix)) names.push(name.slice(0, -3));
      }
    } else names.push(pattern);
  }
  return names;
}

function preloadImports(): string {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, "manifest.json"), "utf8")) as { preload?: string[] };
  return preloadedModules(manifest.preload ?? []).map((name) => `import ${JSON.stringify("./" + name)};`).join("\n");
}

export interface MeterUsage { compute: number; currentHeapCount: number; allocate: number }
export interface XsRun<T> { value: T; meter: MeterUsage }

export interface XsWorker {
  /** Evaluate a script; `globalThis.__result` (if set, JSON-encodable) comes back as value. */
  run<T = unknown>(code: string): Promise<XsRun<T>>;
  /** Deliver a string to `globalThis.handleCommand` inside XS; its string reply comes back. */
  command(message: string): Promise<XsRun<string>>;
  /** The engine's snapshot (xsSnapshot.c: garbage collected first, then every live chunk and slot). */
  snapshot(): Promise<Uint8Array>;
  close(): Promise<void>;
}

export type HostHandler = (message: string) => string;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Start an XS worker. `onHostCall` answers `issueCommand()` made from inside XS (strings both ways). */
export async function startXs(onHostCall: HostHandler = () => "", meteringLimit = 0): Promise<XsWorker> {
  const worker = await xsnap({
    spawn, os: os.type(),
    fs: { ...fs, createReadStream, tmpName: tmp.tmpName } as never,
    stdout: "inherit", stderr: "inherit",
    meteringLimit,
    handleCommand: async (bytes: Uint8Array) => encoder.encode(onHostCall(decoder.decode(bytes))),
  });
  const meterOf = (m: { compute: number | null; currentHeapCount: number | null; allocate: number | null }): MeterUsage =>
    ({ compute: m.compute ?? 0, currentHeapCount: m.currentHeapCount ?? 0, allocate: m.allocate ?? 0 });
  return {
    async run<T>(code: string) {
      const { meterUsage } = await worker.evaluate(code);
      const { reply } = await worker.evaluate(
        `globalThis.__reply = typeof globalThis.__result === "undefined" ? "null" : JSON.stringify(globalThis.__result); ` +
        `globalThis.__result = undefined; ` +
        `globalThis.handleCommand0 = globalThis.handleCommand; ` +
        `globalThis.handleCommand = () => { globalThis.handleCommand = globalThis.handleCommand0; return new TextEncoder().encode(globalThis.__reply).buffer; };`);
      void reply;
      const r = await worker.issueStringCommand("");
      return { value: JSON.parse(r.reply) as T, meter: meterOf(meterUsage) };
    },
    async command(message: string) {
      const r = await worker.issueStringCommand(message);
      return { value: r.reply, meter: meterOf(r.meterUsage) };
    },
    async snapshot() {
      const parts: Uint8Array[] = [];
      // in xsnap's API, not in its declared type
      const stream = (worker as unknown as { makeSnapshotStream(): AsyncIterable<Uint8Array> }).makeSnapshotStream();
      for await (const part of stream) parts.push(part);
      return Buffer.concat(parts);
    },
    async close() { await worker.close(); },
  };
}
