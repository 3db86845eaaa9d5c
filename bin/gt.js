#!/usr/bin/env node
// The `gt` command: runs the TypeScript CLI directly so that `npx gt` works in a fresh checkout.
const { join } = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
require('../apps/gt/src/main.ts');
