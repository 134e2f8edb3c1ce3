// Stryker over one firmware folder (STRYKER_FOLDER=protocol|link|bridge|console), run by
// scripts/stryker/mutate.mjs. Each test file runs as one node process with the TAP reporter
// (in-process, not `node --test`, so Stryker's coverage hook sees the tests); only the Node-side
// tests of that folder run: the XS virtual-device tests compile the firmware into XS, where
// Stryker's instrumentation cannot report, and they take minutes.
const FOLDERS = {
  protocol: ["test/protocol/*.test.ts", "test/link/*.test.ts", "test/bridge/parts.test.ts"],
  link: ["test/link/*.test.ts"],
  // bridge.test.ts drives the bridge through a real broker on real time (quiet periods, sleeps):
  // about 10 s per run and up to a minute for a mutant that stalls it, hours for the folder. It
  // runs only with STRYKER_SLOW=1 (npm run mutate -- --slow bridge).
  bridge: ["test/bridge/parts.test.ts", "test/bridge/pump.test.ts", "test/bridge/mqtt-connection.test.ts", "test/bridge/weak-spots.test.ts"],
  console: ["test/console/*.test.ts"],
};
const SLOW = { bridge: ["test/bridge/bridge.test.ts"] };

const folder = process.env.STRYKER_FOLDER;
if (!FOLDERS[folder]) throw new Error(`STRYKER_FOLDER must be one of ${Object.keys(FOLDERS).join(", ")}, got ${folder}`);
const slow = process.env.STRYKER_SLOW === "1";

export default {
  packageManager: "npm",
  testRunner: "tap",
  plugins: ["@stryker-mutator/tap-runner"],
  tap: {
    testFiles: [...FOLDERS[folder], ...(slow ? SLOW[folder] ?? [] : [])],
    nodeArgs: ["--import", "tsx", "--test-reporter=tap", "-r", "{{hookFile}}", "{{testFile}}"],
    forceBail: true,
  },
  mutate: [`modules/${folder}/**/*.ts`],
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
  incrementalFile: `reports/stryker/${folder}${slow ? "-slow" : ""}-incremental.json`,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/stryker/${folder}${slow ? "-slow" : ""}.html` },
  jsonReporter: { fileName: `reports/stryker/${folder}${slow ? "-slow" : ""}.json` },
  thresholds: { high: 90, low: 85, break: null },
  // the sandbox needs the tests, the doubles, the simulator and the tsconfig files
  ignorePatterns: ["build", "reports", ".tmp", "*.log"],
};
