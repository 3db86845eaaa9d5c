import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { WORKSPACE_ROOT } from '@gastown/testing';
import { SystemHarness } from '@gastown/system-testing';

/** Every project with a `build` target that production runs with plain node. */
const BUILT = ['services/convoy', 'services/dispatcher', 'services/git-runner', 'services/gateway', 'apps/gt', 'apps/mayor'];

/** Compilers and test tools: a production process loads none of them, even those in `dependencies`. */
const DEV_TOOLS = /^(typescript|ts-node|ts-jest|esbuild|jest|@swc\/|@swc-node\/|@jest\/)/;

/**
 * Development-only packages that production code only tries: `debug` (under express) asks for
 * supports-color in a try block and goes on without colours when it is not installed.
 */
const TRIED = new Set(['supports-color', 'has-flag']);

interface Loaded {
  readonly modules: string[];
  readonly extensions: string[];
}

interface Run {
  readonly pid: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Preloaded into every process under test with --require: appends each module the process loads
 * to <dir>/<pid>.log as it loads it, and the extensions it can require whenever they change (a
 * TypeScript hook adds `.ts`), so the log is complete at any moment without asking the process
 * (Nest stops on SIGUSR2, a command exits by itself).
 */
function writeProbe(dir: string): string {
  const probe = join(dir, 'loaded-modules.probe.js');
  writeFileSync(
    probe,
    `const { appendFileSync } = require('node:fs');
const Module = require('node:module');
const log = ${JSON.stringify(dir)} + '/' + process.pid + '.log';
const load = Module.prototype.load;
let extensions = '';
Module.prototype.load = function (filename) {
  const now = Object.keys(Module._extensions).join(',');
  if (now !== extensions) appendFileSync(log, 'extensions ' + (extensions = now) + '\\n');
  appendFileSync(log, filename + '\\n');
  return load.call(this, filename);
};
`,
  );
  return probe;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: WORKSPACE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('exit', (code) => done({ pid: child.pid as number, code, stdout, stderr }));
  });
}

const lock = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };

/** `node_modules/a/node_modules/@b/c/lib/x.js` → `node_modules/a/node_modules/@b/c`, its key in package-lock.json. */
const PACKAGE_DIR = /^(node_modules\/(?:@[^/]+\/)?[^/]+(?:\/node_modules\/(?:@[^/]+\/)?[^/]+)*)\//;

/** What a production install (`npm ci --omit=dev` beside dist/) would lack or must not run: one line each. */
function unfitForProduction(loaded: Loaded, probe: string): string[] {
  const problems = loaded.extensions.filter((e) => !['.js', '.json', '.node'].includes(e)).map((e) => `a require hook for ${e} files`);
  for (const file of loaded.modules) {
    if (file === probe) continue;
    const path = relative(WORKSPACE_ROOT, file);
    if (path.startsWith('dist/') && path.endsWith('.js')) continue;
    const key = PACKAGE_DIR.exec(path)?.[1];
    const name = key?.split('node_modules/').pop() ?? '';
    if (!key) problems.push(`${path}: neither the build nor a package`);
    else if (DEV_TOOLS.test(name)) problems.push(`${path}: ${name} is a compiler or a test tool`);
    else if (!lock.packages[key]) problems.push(`${path}: ${key} is not in package-lock.json`);
    else if (lock.packages[key].dev && !TRIED.has(name)) problems.push(`${path}: ${name} is installed for development only`);
  }
  return problems;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe('the production build: every entry runs as compiled JavaScript with plain node', () => {
  const probeDir = mkdtempSync(join(tmpdir(), 'gt-build-probe-'));
  const probe = writeProbe(probeDir);
  const node = (script: string, args: readonly string[], env: NodeJS.ProcessEnv) =>
    run(process.execPath, ['--require', probe, join(WORKSPACE_ROOT, script), ...args], { PATH: process.env['PATH'], ...env });
  const loadedBy = (pid: number): Loaded => {
    const lines = readFileSync(join(probeDir, `${pid}.log`), 'utf8').split('\n').filter(Boolean);
    return {
      modules: lines.filter((line) => !line.startsWith('extensions ')),
      extensions: [...new Set(lines.filter((line) => line.startsWith('extensions ')).flatMap((line) => line.slice('extensions '.length).split(',')))],
    };
  };
  let system: SystemHarness;

  beforeAll(async () => {
    // Nx's cache makes this a few seconds when nothing changed; the gateway's build includes the dashboard's.
    const nx = join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx');
    const projects = BUILT.map((dir) => dir.split('/')[1]).join(',');
    const build = await run(nx, ['run-many', '-t', 'build', '-p', projects, '--output-style=static'], {
      ...process.env,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
    });
    if (build.code !== 0) throw new Error(`the build failed:\n${build.stdout}${build.stderr}`);
    system = await SystemHarness.start({
      built: { nodeArgs: ['--require', probe] },
      // Every read heavy: each one the gateway answers runs in its compiled heavy-read worker.
      env: { GATEWAY_HOST: '0.0.0.0', DASHBOARD_DIR: join(WORKSPACE_ROOT, 'dist/services/gateway/dashboard'), GATEWAY_HEAVY_QUERY_COST: '1' },
    });
  }, 600_000);
  afterAll(async () => {
    await system?.close();
    rmSync(probeDir, { recursive: true, force: true });
  });

  it('given the build, when its files are listed, then each project is JavaScript, source maps and assets, with no TypeScript', () => {
    for (const dir of BUILT) {
      const files = filesUnder(join(WORKSPACE_ROOT, 'dist', dir));
      expect(files).toContain('main.js');
      expect(files.filter((file) => /\.(ts|mts|cts)$/.test(file))).toEqual([]);
    }
    expect(filesUnder(join(WORKSPACE_ROOT, 'dist/services/git-runner'))).toEqual(expect.arrayContaining(['demo-agent.main.js', 'sandbox.watchdog.main.js']));
    expect(filesUnder(join(WORKSPACE_ROOT, 'dist/services/gateway'))).toContain('heavy-reads.worker.js');
    expect(filesUnder(join(WORKSPACE_ROOT, 'dist/services/gateway/dashboard'))).toContain('index.html');
    expect(filesUnder(join(WORKSPACE_ROOT, 'dist/apps/mayor'))).toContain('mayor.prompt.md');
  });

  it('given every service started from dist/ with plain node, when a convoy is slung, then it lands through the compiled demo agent and no service loaded a compiler, a dev package or a source file', async () => {
    const repo = system.origin();
    const rigId = await system.registerRig('built', repo.bare);
    const created = await system.slingBatch({ title: 'Built', defaultRigId: rigId, tasks: [{ title: 'A' }, { title: 'B', dependsOn: [0] }] });
    // The runner's bundle can only start the demo agent from demo-agent.main.js, in a sandbox that
    // shows it that file and nothing of node_modules: a landing proves the compiled agent worked.
    const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED']);
    expect(landed.status).toBe('LANDED');
    expect(repo.isAncestor(landed.landedCommit as string, 'origin/main')).toBe(true);

    // After the work, so that what a service loads lazily (git, the landing) is counted too.
    for (const [name, service] of system.processes) {
      expect(service.child.spawnargs).toEqual([process.execPath, '--require', probe, expect.stringMatching(/\/dist\/services\/[a-z-]+\/main\.js$/)]);
      expect({ name, problems: unfitForProduction(loadedBy(service.child.pid as number), probe) }).toEqual({ name, problems: [] });
    }
    // The gateway's reads (the landing was awaited through them) ran in its compiled worker, which the checks above covered too.
    expect(loadedBy(system.process('gateway-1').child.pid as number).modules).toContainEqual(expect.stringMatching(/\/dist\/services\/gateway\/heavy-reads\.worker\.js$/));
  });

  it('given the built gateway on GATEWAY_HOST=0.0.0.0, when asked for a page, then it serves the dashboard built into dist/services/gateway', async () => {
    const { origin, port } = new URL(system.url);
    expect(system.process('gateway-1').output()).toContain(`gateway ready on http://0.0.0.0:${port}/graphql`);
    const page = await fetch(`${origin}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<gt-root>');
  });

  it("given the gateway's operator commands and the CLIs built, when run with plain node, then they do their work without a compiler", async () => {
    const gatewayEnv = { DATABASE_URL: system.env['DATABASE_URL'], NATS_URL: system.env['NATS_URL'], GT_NAMESPACE: system.namespace };
    const [holds, rebuild, migrate, gt, mayor] = await Promise.all([
      node('dist/services/gateway/holds.js', ['list', '--json'], gatewayEnv),
      node('dist/services/gateway/rebuild-read-models.js', [], gatewayEnv),
      // What a migrations Job runs; the gateway applied them at start, so there is nothing to do.
      node('dist/services/gateway/migrate.js', [], { DATABASE_URL: system.env['DATABASE_URL'] }),
      node('dist/apps/gt/main.js', ['rig', 'list', '--json'], { GT_TOKEN: system.token, GATEWAY_URL: system.url }),
      askMayor({ GT_TOKEN: system.token, GATEWAY_URL: system.url }),
    ]);
    expect(holds).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(rebuild).toMatchObject({ code: 0 });
    expect(rebuild.stdout + rebuild.stderr).toContain(`rebuilt the read models of namespace "${system.namespace}"`);
    expect(migrate).toMatchObject({ code: 0 });
    expect(migrate.stdout).toContain('the read-model schema is up to date');
    expect(gt).toMatchObject({ code: 0 });
    expect(JSON.parse(gt.stdout)).toEqual({ rigs: expect.any(Array) });

    // The instructions come from mayor.prompt.md, read beside the bundle.
    expect(mayor).toMatchObject({ code: 0, instructions: expect.stringMatching(/\S/) });

    const commands = { holds, 'rebuild-read-models': rebuild, migrate, gt, mayor };
    for (const [name, { pid }] of Object.entries(commands)) {
      expect({ name, problems: unfitForProduction(loadedBy(pid), probe) }).toEqual({ name, problems: [] });
    }
  });

  /** Starts the built Mayor, asks it to initialize over MCP, then closes its stdin, which stops it. */
  function askMayor(env: NodeJS.ProcessEnv): Promise<{ pid: number; code: number | null; instructions: string }> {
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, ['--require', probe, join(WORKSPACE_ROOT, 'dist/apps/mayor/main.js')], {
        cwd: WORKSPACE_ROOT,
        env: { PATH: process.env['PATH'], ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let instructions = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (!stderr.includes('gt-mayor: ready')) return;
        child.stdin.write(
          `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'spec', version: '0' } } })}\n`,
        );
      });
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const line = stdout.split('\n').find((l) => l.includes('"id":1'));
        if (!line || instructions) return;
        instructions = (JSON.parse(line) as { result?: { instructions?: string } }).result?.instructions ?? '';
        child.stdin.end();
      });
      child.once('exit', (code) => (instructions ? done({ pid: child.pid as number, code, instructions }) : fail(new Error(`the Mayor exited (${code}) without answering:\n${stderr}`))));
    });
  }
});
