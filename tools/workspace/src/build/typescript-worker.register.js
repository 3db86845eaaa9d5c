// Loads the workspace's TypeScript sources in a worker thread, in plain JavaScript: the native
// binding of @swc-node/register crashes the whole process (SIGSEGV, Node 20) when a worker that
// loaded it has ended and another loads it, and the gateway's heavy-read worker starts again after
// a read that ran out of memory. Development and tests only; production runs the compiled worker.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const root = join(__dirname, '..', '..', '..', '..');
const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config, ts.sys, root);
const compilerOptions = { ...parsed.options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, sourceMap: false, inlineSourceMap: true, inlineSources: true };

// The workspace's path aliases are exact names (no wildcards), each mapped to one file.
const aliases = new Map(Object.entries(parsed.options.paths ?? {}).map(([alias, [target]]) => [alias, join(root, target)]));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};

Module._extensions['.ts'] = function (module, filename) {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
