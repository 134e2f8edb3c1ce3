// Stryker over one firmware folder (STRYKER_FOLDER=protocol|link|bridge|console), run by
// scripts/stryker/mutate.mjs. Each test file runs as one node process with the TAP reporter
// (in-process, not `node --test`, so Stryker's coverage hook sees the tests); only the Node-side
// tests of that folder run: the XS virtual-device tests compile the firmware into XS, where
// Stryker's instrumentation cannot report, and they take minutes.
import fs from "node:fs";
import { createHash } from "node:crypto";

// bridge.test.ts drives the bridge through a real broker on real time (quiet periods, sleeps):
// about 10 s per run and up to a minute for a mutant that stalls it, hours for the folder. It
// runs only with STRYKER_SLOW=1 (npm run mutate -- --slow bridge).
const SLOW = ["test/bridge/bridge.test.ts"];
const testsIn = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith(".test.ts")).map((f) => `${dir}/${f}`);
const FOLDERS = {
  protocol: () => [...testsIn("test/protocol"), ...testsIn("test/link"), "test/bridge/parts.test.ts"],
  // the console's gateway commands drive real links (MOS, raw frames, capture, reconnect)
  link: () => [...testsIn("test/link"), "test/console/gateway-commands.test.ts", "test/console/weak-spots.test.ts"],
  bridge: () => testsIn("test/bridge"),
  console: () => testsIn("test/console"),
};

const folder = process.env.STRYKER_FOLDER;
if (!FOLDERS[folder]) throw new Error(`STRYKER_FOLDER must be one of ${Object.keys(FOLDERS).join(", ")}, got ${folder}`);
const slow = process.env.STRYKER_SLOW === "1";
// STRYKER_FILES=a.ts,b.ts: only those files of the folder (a part of it, e.g. to share a run between
// two machines or processes); reports and the incremental file get the part's own name.
const only = (process.env.STRYKER_FILES ?? "").split(",").filter(Boolean);
// STRYKER_TESTS=test/link/settings.test.ts,...: only those test files (a lower bound on the score, for a
// file whose every mutant would otherwise run the whole folder's tests); the report name says so.
const tests = (process.env.STRYKER_TESTS ?? "").split(",").filter(Boolean);
const name = folder + (slow ? "-slow" : "") + (only.length ? "-" + only.map((f) => f.replace(/\.ts$/, "")).join("+") : "")
  + (tests.length ? "-tests" + tests.length + "-" + createHash("sha1").update(tests.join(",")).digest("hex").slice(0, 8) : "");

export default {
  packageManager: "npm",
  testRunner: "tap",
  plugins: ["@stryker-mutator/tap-runner"],
  tap: {
    testFiles: tests.length ? tests : FOLDERS[folder]().filter((f) => slow || !SLOW.includes(f)),
    nodeArgs: ["--import", "tsx", "--test-reporter=tap", "-r", "{{hookFile}}", "{{testFile}}"],
    forceBail: true,
  },
  mutate: only.length ? only.map((f) => `modules/${folder}/${f}`) : [`modules/${folder}/**/*.ts`],
  // Every mutator except these, each for a stated reason (see /work/notes/readme-mutants.md):
  mutator: {
    excludedMutations: (process.env.STRYKER_EXCLUDE ?? "").split(",").filter(Boolean),
  },
  // TypeScript 7 has no JS API for Stryker's tsconfig rewriting, and ours has no extends or
  // references that point outside the sandbox: skip that step.
  tsconfigFile: "no-tsconfig-rewrite.json",
  coverageAnalysis: "perTest",
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
  timeoutMS: 20_000,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: `reports/stryker/${name}-incremental.json`,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/stryker/${name}.html` },
  jsonReporter: { fileName: `reports/stryker/${name}.json` },
  thresholds: { high: 90, low: 85, break: null },
  // the sandbox needs the tests, the doubles, the simulator and the tsconfig files
  ignorePatterns: ["build", "reports", ".tmp", "*.log"],
};
