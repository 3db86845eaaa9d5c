#!/usr/bin/env node
// The Mayor's MCP server over stdio, run like bin/gt.js: its fresh bundle, else its sources.
// stdout carries only the protocol, so nothing here may print to it.
require('../tools/workspace/src/build/fresh-bundle.js').runCli('apps/mayor');
