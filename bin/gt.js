#!/usr/bin/env node
// The `gt` command: its bundle when `nx build gt` made one from the current sources, else the
// TypeScript CLI directly, so that `npx gt` works in a fresh checkout too.
require('../tools/workspace/src/build/fresh-bundle.js').runCli('apps/gt');
