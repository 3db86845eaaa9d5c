import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_SECRETS_KEY, WORKSPACE_ROOT } from '@gastown/testing';
import { SERVICES, unknownSettings } from '../settings/settings.catalogue';
import { finalStages, imageTarget, parseDockerfile, workspacePathOf } from './dockerfile.model';
import { lintDockerfile } from './dockerfile.rules';
import { imageEntry, startImageEntryUntilFirstConnection } from './image-entry.testing';

const DOCKERFILE = join(WORKSPACE_ROOT, 'deploy', 'docker', 'Dockerfile');

describe('deploy/docker/Dockerfile', () => {
  const model = parseDockerfile(DOCKERFILE);

  it('given the file, when linted, then no rule and no validator diagnostic is broken', () => {
    expect(lintDockerfile(model)).toEqual([]);
  });

  it('given its final stages, when listed, then there is one image per service and nothing else', () => {
    expect(finalStages(model).map((s) => s.name).sort()).toEqual([...SERVICES].sort());
  });

  it('given the build stage, when read, then it installs from the lockfile and builds every service with Nx', () => {
    const build = model.stages.find((s) => s.name === 'build');
    const runs = build?.steps.filter((s) => s.keyword === 'RUN').map((s) => s.text) ?? [];
    expect(runs).toContain('npm install --no-audit --no-fund');
    expect(runs.join('\n')).toMatch(/nx run-many -t build -p convoy,dispatcher,gateway,git-runner/);
    const production = model.stages.find((s) => s.name === 'production-dependencies');
    expect(production?.steps.find((s) => s.keyword === 'RUN')?.text).toMatch(/npm install --omit=dev/);
  });

  it.each(SERVICES)('given the %s image, when its entry command is resolved, then it runs a file the Nx build produced', (service) => {
    const target = imageTarget(model, service);
    const script = target.cmd?.[0] ?? '';
    expect(workspacePathOf(model, target, script)).toBe(`dist/services/${service}/main.js`);
    expect(existsSync(join(WORKSPACE_ROOT, 'dist', 'services', service, 'main.js'))).toBe(true);
  });

  it.each(SERVICES)('given the %s image, when its ENV is read, then every variable is a setting the service reads', (service) => {
    expect(unknownSettings(service, Object.keys(imageTarget(model, service).env))).toEqual([]);
  });

  it('given the gateway image, when its dashboard directory is followed to the build, then it holds the built dashboard', () => {
    const target = imageTarget(model, 'gateway');
    const dashboard = workspacePathOf(model, target, target.env['DASHBOARD_DIR'] ?? '');
    expect(dashboard).toBe('dist/services/gateway/dashboard');
    expect(existsSync(join(WORKSPACE_ROOT, dashboard as string, 'index.html'))).toBe(true);
  });

  it('given the git-runner image, when its packages are read, then git, its ssh transport, bubblewrap and prlimit are installed', () => {
    const installs = imageTarget(model, 'git-runner').chain.flatMap((s) => s.steps).filter((s) => s.keyword === 'RUN' && s.text.includes('apt-get install'));
    const packages = installs.flatMap((s) => s.text.split(/\s+/));
    expect(packages).toEqual(expect.arrayContaining(['git', 'bubblewrap', 'openssh-client', 'util-linux', 'ca-certificates', 'tini']));
  });

  it('given the build context, when .dockerignore is read, then credentials, dependencies and outputs stay out of it', () => {
    const ignored = readFileSync(join(WORKSPACE_ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/.env', '.git', '**/node_modules', 'dist', '.data']));
  });

  // The whole system from dist/ is apps/system-e2e/src/production-build.e2e.spec.ts; here each
  // image's own command line (ENTRYPOINT, CMD, ENV) is run as the image would, up to the point
  // where the service has accepted its configuration and reaches for NATS.
  it.each(SERVICES)('given the %s image with its required settings, when its entry command runs from the built output, then it reaches for NATS', async (service) => {
    const env: Record<string, string> = { NATS_URL: 'nats://nats-1:4222', GASTOWN_SECRETS_KEY: TEST_SECRETS_KEY };
    if (service === 'gateway') env['DATABASE_URL'] = 'postgres://gastown@postgres:5432/gastown';
    const started = await startImageEntryUntilFirstConnection(imageEntry(model, service, env));
    expect({ code: started.code, firstConnection: started.firstConnection, output: started.code === 0 ? '' : started.output }).toEqual({
      code: 0,
      firstConnection: expect.stringMatching(/^(nats-1|postgres)\b/),
      output: '',
    });
  });
});
