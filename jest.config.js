/** Two projects: fast pure/unit tests, and test-cluster tests that start real processes. */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleNameMapper: {
    // LocalCluster alone (packages/harness/src/local-cluster/index.ts), before the general rule.
    '^@triad/harness/local-cluster$': '<rootDir>/packages/harness/src/local-cluster',
    '^@triad/(.*)$': '<rootDir>/packages/$1/src',
  },
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/scripts/**/test/*.test.ts'] },
    {
      ...common,
      displayName: 'cluster',
      testMatch: ['<rootDir>/test-cluster/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test-cluster/support/jest-timeout.ts'],
    },
  ],
};
