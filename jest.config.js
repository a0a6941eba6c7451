// Unit and integration tests run in parallel; tests that drive the real containerd live in test/e2e
// and run one at a time in a second pass (scripts/run-tests.js), because they share one runtime.
// @kubernetes/client-node 1.x and a few of its dependencies are ES modules, which Jest on Node 20
// cannot require: they are transpiled to CommonJS like our own sources.
const esmPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus', '@marcbachmann/cel-js'];
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': 'ts-jest',
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 60000,
};
