module.exports = { ...require('../../jest.preset.js')(__dirname, 'system-e2e'), testTimeout: 180_000 };
