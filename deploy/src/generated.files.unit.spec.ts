import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@gastown/testing';
import { generatedFiles } from './generated.files';

describe('generated deployment files', () => {
  const files = generatedFiles();

  it.each(Object.keys(files))('given %s, when generated again from deploy/src, then the committed file is the same (npx nx run deploy:generate)', (path) => {
    const committed = existsSync(join(WORKSPACE_ROOT, path)) ? readFileSync(join(WORKSPACE_ROOT, path), 'utf8') : '(missing)';
    expect(committed).toBe(files[path]);
  });

  it('given deploy/kubernetes/manifests, when listed, then it holds nothing the generator no longer writes', () => {
    const committed = readdirSync(join(WORKSPACE_ROOT, 'deploy', 'kubernetes', 'manifests')).map((f) => `deploy/kubernetes/manifests/${f}`);
    expect(committed.filter((path) => !(path in files))).toEqual([]);
  });
});
