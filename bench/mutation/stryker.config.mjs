// Mutation testing of the pure layers (components/config, components/render) against the unit tests.
// The remote primitives' script builders run for real in their tests (shells, stub tools, servers):
// about 7 s a mutant on 2 cores, hours for components/remote, so they are a run of their own
// (bench/mutation/run.sh --mutate ..., see bench/README.md).
// Run by bench/mutation/run.sh, which installs StrykerJS into .cache/stryker; see bench/README.md.
export default {
  testRunner: "jest",
  jest: { projectType: "custom", configFile: "bench/mutation/jest.unit.config.js", enableFindRelatedTests: true },
  coverageAnalysis: "perTest",
  mutate: ["components/config/**/*.ts", "components/render/**/*.ts", "!components/**/index.ts"],
  // Mutants of unchanged code keep their result from the last run (.cache/mutation/incremental.json).
  // A static mutant (a module-level constant: a table, a pattern) is live in every test, so each one
  // runs the whole unit suite, about 2 min here: 44 % of the mutants, 98 % of the time. They are left
  // out of the run and the score (StrykerJS reports them as ignored).
  ignoreStatic: true,
  incremental: true,
  incrementalFile: ".cache/mutation/incremental.json",
  // The sandbox copy needs the code and the tests, not the caches, state, engine or build output.
  ignorePatterns: ["/.cache", "/.pulumi-*", "/engine", "/bin", "/examples/*/bin", "/bench/results", "/docs"],
  concurrency: 2,
  timeoutMS: 30000,
  // The initial run is the whole unit suite once, with coverage: minutes on a busy 2-core machine.
  dryRunTimeoutMinutes: 30,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: ".cache/mutation/mutation.json" },
  tempDirName: ".cache/stryker-tmp",
  plugins: ["@stryker-mutator/jest-runner"],
  thresholds: { high: 85, low: 70, break: null },
};
