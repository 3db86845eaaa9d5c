import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { inboxPrefixOf, NATS_SERVICES, natsUserOf } from '@gastown/bus';
import { eventually, freePort, NATS_SERVER_BINARY, WORKSPACE_ROOT } from '@gastown/testing';
import { natsAuthConfigWithPasswordsFromEnv, natsPasswordVariable } from '../nats/nats-auth.config';
import { loadCompose } from './compose.model';

const NATS_DIR = join(WORKSPACE_ROOT, 'deploy', 'compose', 'nats');
const CONFIG = join(NATS_DIR, 'nats.conf');

/** An operator's .env: every password freshly made with openssl rand -hex 24 (so some start with a digit). */
const passwords = Object.fromEntries(NATS_SERVICES.map((s, i) => [natsPasswordVariable(s), `${i}${randomBytes(24).toString('hex')}`]));
const { resolved } = loadCompose(join(WORKSPACE_ROOT, 'deploy', 'compose', 'compose.yaml'), { ...passwords, GASTOWN_SECRETS_KEY: 'k', POSTGRES_PASSWORD: 'p' });
/** What compose gives every NATS node. */
const nodeEnv = resolved.services['nats-1']?.environment ?? {};

describe('deploy/compose/nats: the NATS nodes of the compose file', () => {
  it('given libs/bus permissions, when the authorization block is generated, then deploy/compose/nats/auth.conf is that block, every password left to the environment', () => {
    const committed = readFileSync(join(NATS_DIR, 'auth.conf'), 'utf8');
    expect(committed).toBe(natsAuthConfigWithPasswordsFromEnv());
    expect(committed).not.toMatch(/password: "/);
  });

  it('given the compose file, when its NATS nodes are read, then each has its own store, the shared config read-only and every password auth.conf asks for', () => {
    const nodes = ['nats-1', 'nats-2', 'nats-3'].map((name) => ({ name, ...resolved.services[name] }));
    const stores = nodes.map((n) => n.volumes?.find((v) => v.endsWith(':/data')));
    expect(new Set(stores).size).toBe(3);
    for (const node of nodes) {
      expect(node.volumes).toContain('./nats:/etc/nats:ro');
      expect(node.command).toEqual(['--config', '/etc/nats/nats.conf', '--name', node.name, '--store_dir', '/data/jetstream']);
      expect(Object.keys(node.environment ?? {}).sort()).toEqual(Object.keys(passwords).sort());
    }
  });

  it('given the config without the passwords in its environment, when nats-server checks it, then it names the missing one; with the environment compose gives, it is valid', () => {
    const without = spawnSync(NATS_SERVER_BINARY, ['-t', '-c', CONFIG], { cwd: NATS_DIR, encoding: 'utf8', env: { PATH: process.env['PATH'] } });
    expect(without.status).not.toBe(0);
    expect(without.stderr).toMatch(/variable reference for 'NATS_[A-Z_]+_PASSWORD'/);
    const valid = spawnSync(NATS_SERVER_BINARY, ['-t', '-c', CONFIG], { cwd: NATS_DIR, encoding: 'utf8', env: { PATH: process.env['PATH'], ...nodeEnv } });
    expect(valid.stderr + valid.stdout).toMatch(/configuration file .* is valid/);
  });

  // The compose file's three nodes, on loopback: the same config file, with the listen addresses,
  // routes and stores that compose would give by host name moved to free local ports.
  describe('given three nats-server processes on the config, clustered as compose clusters them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gt-deploy-nats-'));
    const nodes: ChildProcess[] = [];
    let urls = '';
    let output = '';

    beforeAll(async () => {
      const ports = await Promise.all([1, 2, 3].map(async () => ({ client: await freePort(), route: await freePort(), monitor: await freePort() })));
      const routes = ports.map((o) => `nats://127.0.0.1:${o.route}`).join(',');
      for (const [i, p] of ports.entries()) {
        const name = `nats-${i + 1}`;
        const args = ['-c', CONFIG, '--name', name, '-a', '127.0.0.1', '-p', String(p.client), '-m', String(p.monitor), '-sd', join(dir, name)];
        const node = spawn(NATS_SERVER_BINARY, [...args, '--cluster', `nats://127.0.0.1:${p.route}`, '--routes', routes], {
          env: { PATH: process.env['PATH'], ...nodeEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        node.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        nodes.push(node);
      }
      urls = ports.map((p) => `nats://127.0.0.1:${p.client}`).join(',');
      // Healthy once each node's JetStream is current with the cluster's meta leader, as compose's healthcheck asks.
      const healthy = () => Promise.all(ports.map((p) => fetch(`http://127.0.0.1:${p.monitor}/healthz`).then((r) => r.ok))).then((ok) => ok.every(Boolean));
      await eventually('three healthy nodes', () => healthy(), { timeoutMs: 30_000, intervalMs: 200 }).catch((error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      });
    });

    afterAll(async () => {
      await Promise.all(nodes.map((n) => new Promise((exited) => (n.exitCode !== null ? exited(null) : (n.once('exit', exited), n.kill('SIGKILL'))))));
      rmSync(dir, { recursive: true, force: true });
    });

    it('when a client connects without credentials, then it is refused', async () => {
      await expect(connect({ servers: urls, timeout: 3_000, reconnect: false })).rejects.toThrow(/Authorization Violation/i);
    });

    it('when the operator connects with its password from the env file, then a stream of three replicas is created on the three nodes', async () => {
      const nc = await connect({ servers: urls, user: natsUserOf('operator'), pass: passwords[natsPasswordVariable('operator')], inboxPrefix: inboxPrefixOf('operator') });
      try {
        const jsm = await jetstreamManager(nc);
        const info = await eventually('an R3 stream', () => jsm.streams.add({ name: 'DEPLOY_PROBE', subjects: ['gt.deploy-probe.>'], num_replicas: 3 }).catch(() => undefined), {
          timeoutMs: 20_000,
        });
        expect(info.config.num_replicas).toBe(3);
        expect(info.cluster?.name).toBe('gastown');
        expect([info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)].sort()).toEqual(['nats-1', 'nats-2', 'nats-3']);
      } finally {
        await nc.close();
      }
    });
  });
});
