module.exports = { ...require('../../jest.preset.js')(__dirname, 'mayor'), testTimeout: 180_000 };
