// Mutation testing of the pure layers (components/config, components/render) against the unit tests.
// Run by bench/mutation/run.sh, which installs StrykerJS into .cache/stryker; see bench/README.md.
export default {
  testRunner: "jest",
  jest: { projectType: "custom", configFile: "bench/mutation/jest.unit.config.js", enableFindRelatedTests: true },
  coverageAnalysis: "perTest",
  mutate: ["components/config/**/*.ts", "components/render/**/*.ts", "!components/**/index.ts"],
  // The sandbox copy needs the code and the tests, not the caches, state, engine or build output.
  ignorePatterns: ["/.cache", "/.pulumi-*", "/engine", "/bin", "/examples/*/bin", "/bench/results", "/docs"],
  concurrency: 2,
  timeoutMS: 30000,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: ".cache/mutation/mutation.json" },
  tempDirName: ".cache/stryker-tmp",
  plugins: ["@stryker-mutator/jest-runner"],
  thresholds: { high: 85, low: 70, break: null },
};
