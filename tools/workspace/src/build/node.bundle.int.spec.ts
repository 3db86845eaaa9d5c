import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BundleError, bundleNodeProject } from './node.bundle';

const root = join(__dirname, '..', '..', '..', '..');

describe('node bundle', () => {
  // Inside the workspace, where tsconfig.base.json's aliases and node_modules are.
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const fixtures = mkdtempSync(join(root, 'tmp', 'bundle-spec-'));
  let count = 0;

  /** A project of one src/main.ts, relative to the workspace root as the build targets name theirs. */
  function project(main: string): string {
    const dir = join(fixtures, `p${++count}`);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'main.ts'), main);
    return relative(root, dir);
  }

  const bundle = (dir: string, standalone = false) =>
    bundleNodeProject({ workspaceRoot: root, project: dir, entries: [{ name: 'main', source: 'src/main.ts', standalone }] });

  afterAll(() => {
    rmSync(fixtures, { recursive: true, force: true });
    rmSync(join(root, 'dist', relative(root, fixtures)), { recursive: true, force: true });
  });

  it('given a decorated class and a path alias, when bundled and run with plain node, then Nest would find its constructor types and the alias is inside', async () => {
    const dir = project(`import 'reflect-metadata';
import { waves } from '@gastown/dag';
class Clock {}
const Injectable = (): ClassDecorator => () => undefined;
@Injectable()
class Ticker {
  constructor(readonly clock: Clock) {}
}
const types = Reflect.getMetadata('design:paramtypes', Ticker) as { name: string }[];
process.stdout.write(JSON.stringify({ types: types.map((t) => t.name), name: Ticker.name, waves: waves([[], [0]]) }));
`);
    const report = await bundle(dir);
    expect(report).toEqual({ outDir: join('dist', dir), files: [{ name: 'main.js', bytes: expect.any(Number) }], packages: ['reflect-metadata'] });
    const output = execFileSync(process.execPath, [join(root, 'dist', dir, 'main.js')], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ types: ['Clock'], name: 'Ticker', waves: [[0], [1]] });
  });

  it('given a standalone entry, when copied away from node_modules, then it still runs', async () => {
    const dir = project(`import { z } from 'zod';\nprocess.stdout.write(z.string().parse('alone'));\n`);
    expect((await bundle(dir, true)).packages).toEqual([]);
    const away = mkdtempSync(join(tmpdir(), 'gt-standalone-'));
    try {
      copyFileSync(join(root, 'dist', dir, 'main.js'), join(away, 'main.js'));
      expect(execFileSync(process.execPath, [join(away, 'main.js')], { encoding: 'utf8', cwd: away })).toBe('alone');
    } finally {
      rmSync(away, { recursive: true, force: true });
    }
  });

  it('given code requiring a devDependency or a compiler, when bundled, then the build fails naming the file and the package', async () => {
    const dir = project(`import fc from 'fast-check';\nimport ts from 'typescript';\nexport const used = [fc, ts];\n`);
    const failure = bundle(dir);
    await expect(failure).rejects.toThrow(BundleError);
    await expect(failure).rejects.toThrow(`${dir}/src/main.ts requires fast-check, which is not in package.json's dependencies`);
    await expect(failure).rejects.toThrow(`${dir}/src/main.ts loads typescript, a compiler, at run time`);
  });

  it('given a copy whose source was not built, when bundled, then it says to build what provides it', async () => {
    const dir = project('export {};\n');
    await expect(
      bundleNodeProject({ workspaceRoot: root, project: dir, entries: [{ name: 'main', source: 'src/main.ts' }], copies: [{ from: 'dist/nowhere', to: 'x' }] }),
    ).rejects.toThrow('dist/nowhere does not exist: build what provides it first');
  });
});
