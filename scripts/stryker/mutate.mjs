// npm run mutate [-- [--slow] protocol link bridge console]: Stryker over each folder in turn (all
// four by default), scores in reports/stryker/. Too slow for CI; incremental, so a re-run only
// tests what changed. STRYKER_CONCURRENCY=2 uses two test processes; --slow adds the real-time
// bridge tests (hours).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const ALL = ["protocol", "link", "bridge", "console"];
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const config = path.join("scripts", "stryker", "stryker.config.mjs");
const args = process.argv.slice(2);
const slow = args.includes("--slow");
const extra = args.filter((a) => a.startsWith("-") && a !== "--slow");
const folders = args.filter((a) => !a.startsWith("-"));
for (const f of folders) if (!ALL.includes(f)) { console.error(`unknown folder ${f}: one of ${ALL.join(", ")}`); process.exit(2); }

let failed = 0;
for (const folder of folders.length ? folders : ALL) {
  console.log(`\n=== mutation testing modules/${folder} ===`);
  const run = spawnSync(process.execPath, [path.join(root, "node_modules/@stryker-mutator/core/bin/stryker.js"), "run", config, ...extra], {
    cwd: root, stdio: "inherit",
    env: { ...process.env, STRYKER_FOLDER: folder, STRYKER_SLOW: slow ? "1" : "", TSX_TSCONFIG_PATH: "test/tsconfig.json" },
  });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
