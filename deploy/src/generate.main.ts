import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generatedFiles } from './generated.files';

/** `npx nx run deploy:generate`: writes every generated file of deploy/ and removes manifests no longer generated. */
const root = resolve(__dirname, '..', '..');
const files = generatedFiles();
const manifests = join(root, 'deploy', 'kubernetes', 'manifests');
mkdirSync(manifests, { recursive: true });
for (const stale of readdirSync(manifests).filter((f) => !(`deploy/kubernetes/manifests/${f}` in files))) rmSync(join(manifests, stale));
for (const [path, text] of Object.entries(files)) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  process.stdout.write(`wrote ${path}\n`);
}
