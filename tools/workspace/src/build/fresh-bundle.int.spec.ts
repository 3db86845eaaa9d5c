import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCES_MANIFEST } from './node.bundle';

// Plain JavaScript: bin/gt.js and bin/gt-mayor.js load it before any compiler.
const { freshBundle } = require('./fresh-bundle.js') as { freshBundle: (root: string, project: string) => string | null };

describe('the CLI launchers run a bundle only while it is fresh', () => {
  let root: string;
  const source = () => join(root, 'apps/cli/src/main.ts');

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'gt-fresh-bundle-'));
    mkdirSync(join(root, 'apps/cli/src'), { recursive: true });
    mkdirSync(join(root, 'dist/apps/cli'), { recursive: true });
    writeFileSync(source(), 'export const answer = 42;\n');
    writeFileSync(join(root, 'dist/apps/cli/main.js'), 'exports.answer = 42;\n');
    const { size, mtimeMs } = statSync(source());
    writeFileSync(join(root, 'dist/apps/cli', SOURCES_MANIFEST), JSON.stringify({ files: { 'apps/cli/src/main.ts': { size, mtimeMs } } }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('given a bundle built from the sources as they are, when the launcher looks, then it runs the bundle', () => {
    expect(freshBundle(root, 'apps/cli')).toBe(join(root, 'dist/apps/cli/main.js'));
  });

  it('given a source edited since the build, when the launcher looks, then it runs the sources', () => {
    writeFileSync(source(), 'export const answer = 43;\n');
    expect(freshBundle(root, 'apps/cli')).toBeNull();
  });

  it('given a source touched but the same size (a checkout, a rebase), when the launcher looks, then it runs the sources', () => {
    const later = new Date(statSync(source()).mtimeMs + 5_000);
    utimesSync(source(), later, later);
    expect(freshBundle(root, 'apps/cli')).toBeNull();
  });

  it('given a source the build read that is gone, or no build at all, when the launcher looks, then it runs the sources', () => {
    rmSync(source());
    expect(freshBundle(root, 'apps/cli')).toBeNull();
    expect(freshBundle(root, 'apps/other')).toBeNull();
  });
});
