// One jest shape for every project: ts-jest without type checking (typecheck is its own target)
// and the workspace path aliases mapped to sources.
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

module.exports = (projectDir, displayName) => ({
  displayName,
  rootDir: projectDir,
  roots: ['<rootDir>/src'],
  testEnvironment: 'node',
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: `${projectDir}/tsconfig.spec.json` }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: `${__dirname}/` }),
  testTimeout: 60_000,
});
