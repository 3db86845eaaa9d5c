import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { transform } from '@swc/core';
import { build, type Metafile, type Plugin } from 'esbuild';

/**
 * Compiles a service or CLI to plain JavaScript in dist/<project>/, so production runs
 * `node dist/services/<name>/main.js` with no TypeScript compiler loaded.
 *
 * Why a bundle per entry (esbuild) of modules compiled by swc:
 * - swc, not esbuild, turns each TypeScript file into JavaScript, because NestJS injects by the
 *   `design:paramtypes` metadata that only tsc and swc emit. The options are those
 *   @swc-node/register derives from tsconfig.base.json today, so the build runs the code exactly
 *   as development does: CommonJS modules (evaluated lazily, circular imports behaving as in
 *   development), legacy decorators with metadata, define semantics for class fields, ES2022.
 * - esbuild then bundles those modules and resolves the `@gastown/*` path aliases through
 *   tsconfig.base.json, which removes the aliases from the output instead of rewriting them,
 *   and leaves one file per entry to copy into an image, each starting without resolving
 *   hundreds of files. Packages stay external (node_modules, production dependencies only).
 */

export interface BundleEntry {
  /** The output's name without `.js`: `main` writes `<out>/main.js`. */
  readonly name: string;
  /** The entry's source, relative to the project directory. */
  readonly source: string;
  /**
   * Bundles its packages too, so that the file runs alone: the demo agent sees only its own file
   * in the sandbox, not node_modules.
   */
  readonly standalone?: boolean;
}

/** A file or directory put into the output: `from` relative to the workspace, `to` to the output. */
export interface BundleCopy {
  readonly from: string;
  readonly to: string;
}

export interface BundleSpec {
  readonly workspaceRoot: string;
  /** The project's directory relative to the workspace root, e.g. `services/convoy`. */
  readonly project: string;
  readonly entries: readonly BundleEntry[];
  readonly copies?: readonly BundleCopy[];
}

export interface BundleReport {
  /** `dist/<project>`, relative to the workspace root. */
  readonly outDir: string;
  /** Each written entry and its size in bytes. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  /** The packages the output requires itself (they may load others), all production dependencies. */
  readonly packages: readonly string[];
}

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/**
 * Never loaded at run time, although a production install has some of them (`npx gt` and the
 * Mayor still run from sources through @swc-node/register, which brings typescript along).
 */
const RUNTIME_COMPILERS = ['typescript', 'ts-node', '@swc/core', '@swc-node/register', '@swc-node/core', 'esbuild'];

const BUILTINS = new Set(builtinModules);

/** The options @swc-node/register derives from tsconfig.base.json, for one module at a time. */
async function compileTypeScript(file: string): Promise<string> {
  const { code } = await transform(await readFile(file, 'utf8'), {
    filename: file,
    swcrc: false,
    configFile: false,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
    jsc: {
      target: 'es2022',
      keepClassNames: true,
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
    },
  });
  return code;
}

const swcPlugin: Plugin = {
  name: 'swc',
  setup(bundler) {
    bundler.onLoad({ filter: /\.ts$/ }, async ({ path }) => ({ contents: await compileTypeScript(path), loader: 'js' }));
  },
};

function packageOf(request: string): string {
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? request);
}

function isBuiltin(request: string): boolean {
  return request.startsWith('node:') || BUILTINS.has(request) || BUILTINS.has(request.split('/')[0] ?? '');
}

/**
 * The packages the bundle requires, checked against the workspace's production dependencies:
 * a service that reached for a devDependency would start here and fail in an image installed
 * with `npm ci --omit=dev`. `require.resolve` only names a file, so it does not count.
 */
function runtimePackages(metafile: Metafile, production: Readonly<Record<string, string>>): string[] {
  const found = new Map<string, string>();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const { path, kind, external } of imports) {
      // `<runtime>` is esbuild's own helpers, inlined.
      if (!external || kind === 'require-resolve' || path === '<runtime>' || isBuiltin(path)) continue;
      found.set(packageOf(path), input);
    }
  }
  const problems: string[] = [];
  for (const [name, importer] of found) {
    if (RUNTIME_COMPILERS.includes(name)) problems.push(`${importer} loads ${name}, a compiler, at run time`);
    else if (!(name in production)) problems.push(`${importer} requires ${name}, which is not in package.json's dependencies`);
  }
  if (problems.length > 0) throw new BundleError(`the build would not run on production dependencies:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return [...found.keys()].sort();
}

/**
 * Written beside the bundle: every workspace file it was built from, with its size and
 * modification time then. A launcher that may run the bundle or the sources (bin/gt.js) runs the
 * bundle only while all of them are unchanged, so a checkout never runs a stale build.
 */
export const SOURCES_MANIFEST = 'sources.json';

export interface SourcesManifest {
  readonly files: Readonly<Record<string, { readonly size: number; readonly mtimeMs: number }>>;
}

async function sourcesManifest(workspaceRoot: string, paths: readonly string[]): Promise<SourcesManifest> {
  const files: Record<string, { size: number; mtimeMs: number }> = {};
  for (const path of paths) {
    const { size, mtimeMs } = await stat(join(workspaceRoot, path));
    files[path] = { size, mtimeMs };
  }
  return { files };
}

export async function bundleNodeProject(spec: BundleSpec): Promise<BundleReport> {
  const { workspaceRoot, project } = spec;
  const outDir = join('dist', project);
  const absoluteOut = join(workspaceRoot, outDir);
  const { dependencies = {} } = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const copy of spec.copies ?? []) {
    if (!existsSync(join(workspaceRoot, copy.from))) throw new BundleError(`${copy.from} does not exist: build what provides it first (nx build <project> runs its dependencies)`);
  }
  await rm(absoluteOut, { recursive: true, force: true });
  await mkdir(absoluteOut, { recursive: true });
  const packages = new Set<string>();
  const files: { name: string; bytes: number }[] = [];
  const sources = new Set<string>();
  for (const entry of spec.entries) {
    const result = await build({
      absWorkingDir: workspaceRoot,
      entryPoints: { [entry.name]: join(project, entry.source) },
      outdir: outDir,
      bundle: true,
      platform: 'node',
      // Node 20 on the development machines, Node 22 in the images.
      target: 'node20',
      format: 'cjs',
      packages: entry.standalone ? 'bundle' : 'external',
      tsconfig: 'tsconfig.base.json',
      // Class names are load-bearing: TypeORM entities, GraphQL types and Nest providers are named by them.
      keepNames: true,
      sourcemap: 'linked',
      sourcesContent: false,
      plugins: [swcPlugin],
      metafile: true,
      logLevel: 'silent',
    }).catch((error: unknown) => {
      throw new BundleError(`${join(project, entry.source)} did not build: ${error instanceof Error ? error.message : String(error)}`);
    });
    for (const name of runtimePackages(result.metafile, dependencies)) packages.add(name);
    for (const input of Object.keys(result.metafile.inputs)) if (!input.includes('node_modules/')) sources.add(input);
    files.push({ name: `${entry.name}.js`, bytes: (await stat(join(absoluteOut, `${entry.name}.js`))).size });
  }
  for (const copy of spec.copies ?? []) {
    await cp(join(workspaceRoot, copy.from), join(absoluteOut, copy.to), { recursive: true });
    if ((await stat(join(workspaceRoot, copy.from))).isFile()) sources.add(copy.from);
  }
  await writeFile(join(absoluteOut, SOURCES_MANIFEST), JSON.stringify(await sourcesManifest(workspaceRoot, [...sources].sort())));
  return { outDir, files, packages: [...packages].sort() };
}
