#!/usr/bin/env node
// The Mayor's MCP server over stdio: runs the TypeScript sources directly, like bin/gt.js.
// stdout carries only the protocol, so nothing here may print to it.
const { join } = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../apps/mayor/src/main.ts');
