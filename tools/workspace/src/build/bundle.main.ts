/**
 * The `build` target of the services and CLIs (see node.bundle.ts):
 *   node -r @swc-node/register tools/workspace/src/build/bundle.main.ts <project dir>
 *     [--entry <name>=<source>]... [--standalone <name>=<source>]... [--copy <from>=<to>]...
 * `main=src/main.ts` is always built. Exit 0 built, 1 the build failed, 2 usage.
 */
import { resolve } from 'node:path';
import { BundleError, bundleNodeProject, type BundleCopy, type BundleEntry } from './node.bundle';

const USAGE = 'usage: bundle.main.ts <project dir> [--entry name=source]... [--standalone name=source]... [--copy from=to]...';

class UsageError extends Error {}

function pair(flag: string, value: string | undefined): [string, string] {
  const [left, right, ...rest] = (value ?? '').split('=');
  if (!left || !right || rest.length > 0) throw new UsageError(`${flag} takes <a>=<b>, got "${value ?? ''}"`);
  return [left, right];
}

function parse(argv: readonly string[]): { project: string; entries: BundleEntry[]; copies: BundleCopy[] } {
  const [project, ...options] = argv;
  if (!project || project.startsWith('-')) throw new UsageError('the project directory comes first');
  const entries: BundleEntry[] = [{ name: 'main', source: 'src/main.ts' }];
  const copies: BundleCopy[] = [];
  for (let i = 0; i < options.length; i += 2) {
    const flag = options[i] as string;
    const [a, b] = pair(flag, options[i + 1]);
    if (flag === '--entry' || flag === '--standalone') entries.push({ name: a, source: b, standalone: flag === '--standalone' });
    else if (flag === '--copy') copies.push({ from: a, to: b });
    else throw new UsageError(`unknown option ${flag}`);
  }
  return { project, entries, copies };
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  try {
    const report = await bundleNodeProject({ workspaceRoot: resolve(__dirname, '../../../..'), ...parsed });
    const files = report.files.map((f) => `${f.name} (${Math.round(f.bytes / 1024)} kB)`).join(', ');
    process.stdout.write(`built ${report.outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${files}\n`);
    process.stdout.write(`requires: ${report.packages.join(', ') || 'no package'}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code));
