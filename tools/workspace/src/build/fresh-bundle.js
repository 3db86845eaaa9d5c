// Which form of a CLI to run: its bundle from `nx build` (dist/<project>/main.js, which starts in
// a fraction of the time of the TypeScript sources) while every workspace file it was built from
// is unchanged since, as recorded in its sources.json; otherwise null, and the caller runs the
// sources, so an edited checkout never runs a stale build.
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

function freshBundle(root, project) {
  const out = join(root, 'dist', project);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(out, 'sources.json'), 'utf8'));
  } catch {
    return null;
  }
  for (const [path, built] of Object.entries(manifest.files)) {
    let now;
    try {
      now = statSync(join(root, path));
    } catch {
      return null;
    }
    if (now.size !== built.size || now.mtimeMs !== built.mtimeMs) return null;
  }
  return join(out, 'main.js');
}

/** Runs the project's fresh bundle, or its sources through swc. */
function runCli(project) {
  const root = join(__dirname, '..', '..', '..', '..');
  const bundle = process.env.GT_RUN_SOURCES === '1' ? null : freshBundle(root, project);
  if (bundle) {
    require(bundle);
    return;
  }
  process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || join(root, 'tsconfig.base.json');
  require('@swc-node/register');
  require(join(root, project, 'src', 'main.ts'));
}

module.exports = { freshBundle, runCli };
