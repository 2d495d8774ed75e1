/** Two projects: fast pure tests, and integration tests that drive the real engine against real hosts. */
const common = {
  preset: "ts-jest",
  // Only the code and the tests: never the caches (test-host root filesystems are built under .cache/).
  roots: ["<rootDir>/components", "<rootDir>/test"],
  modulePathIgnorePatterns: ["<rootDir>/.cache/", "<rootDir>/bin/"],
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] },
};

module.exports = {
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts", "<rootDir>/components/**/*.test.ts"] },
    { ...common, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
  ],
};
