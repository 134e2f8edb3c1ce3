// Stryker over one firmware folder (STRYKER_FOLDER=protocol|link|bridge|console), run by
// scripts/stryker/mutate.mjs. Each test file runs as one node process with the TAP reporter
// (in-process, not `node --test`, so Stryker's coverage hook sees the tests); only the Node-side
// tests of that folder run: the XS virtual-device tests compile the firmware into XS, where
// Stryker's instrumentation cannot report, and they take minutes.
const FOLDERS = {
  protocol: ["test/protocol/*.test.ts", "test/link/*.test.ts", "test/bridge/parts.test.ts"],
  link: ["test/link/*.test.ts"],
  bridge: ["test/bridge/*.test.ts"],
  console: ["test/console/*.test.ts"],
};

const folder = process.env.STRYKER_FOLDER;
if (!FOLDERS[folder]) throw new Error(`STRYKER_FOLDER must be one of ${Object.keys(FOLDERS).join(", ")}, got ${folder}`);

export default {
  packageManager: "npm",
  testRunner: "tap",
  plugins: ["@stryker-mutator/tap-runner"],
  tap: {
    testFiles: FOLDERS[folder],
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
  incrementalFile: `reports/stryker/${folder}-incremental.json`,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/stryker/${folder}.html` },
  jsonReporter: { fileName: `reports/stryker/${folder}.json` },
  thresholds: { high: 90, low: 85, break: null },
  // the sandbox needs the tests, the doubles, the simulator and the tsconfig files
  ignorePatterns: ["build", "reports", ".tmp", "*.log"],
};
