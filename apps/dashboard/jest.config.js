// Two kinds of tests: components and pure logic in jsdom (jest-preset-angular), and the
// end-to-end suite that drives Debian's Chromium against a whole running system from Node.
const { createCjsPreset } = require('jest-preset-angular/presets');
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('../../tsconfig.base.json');
const workspace = require('../../jest.preset.js');

module.exports = {
  // A global option in jest: the end-to-end suite starts whole systems and a browser.
  testTimeout: 180_000,
  projects: [
    {
      ...createCjsPreset({ tsconfig: `${__dirname}/tsconfig.spec.json` }),
      displayName: 'dashboard',
      rootDir: __dirname,
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.unit.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/src/test-setup.ts'],
      moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: `${__dirname}/../../` }),
    },
    {
      ...workspace(__dirname, 'dashboard-e2e'),
      roots: ['<rootDir>/e2e'],
      testMatch: ['**/*.e2e.spec.ts'],
    },
  ],
};
