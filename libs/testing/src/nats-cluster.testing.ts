import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { eventually } from './infra.testing';
import { freePort } from './port.testing';
import { startNatsServer, type NatsServerProcess } from './nats-server.testing';

/**
 * A JetStream cluster of nats-server processes on loopback, each with its own ports and store
 * under `dir`: what R3 streams need (JetStream clustering wants a server name per node and at
 * least three nodes). The shared server on 4222 is never part of it.
 */
export interface NatsCluster {
  /** Every node's client URL, comma-separated, as NATS_URL takes them. */
  readonly url: string;
  readonly nodes: readonly NatsClusterNode[];
  /** SIGKILLs node `index` (no flush, as a crash); resolves once it has exited. */
  kill(index: number): Promise<void>;
  /** Starts node `index` again on its ports and store, and waits until the cluster has a JetStream leader again. */
  restart(index: number): Promise<void>;
  /** Kills every node still running. */
  stop(): Promise<void>;
}

export interface NatsClusterNode {
  readonly name: string;
  readonly port: number;
  readonly clusterPort: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  process: NatsServerProcess | null;
}

export interface NatsClusterOptions {
  /** Where each node's store goes (`<dir>/<name>`); the caller removes it. */
  dir: string;
  size?: number;
  /** How long the cluster gets to elect its JetStream meta leader. */
  readyTimeoutMs?: number;
}

/** Tries to start the cluster this many times: a port found free may be taken by another process before its node binds it. */
const START_TRIES = 3;

export async function startNatsCluster(options: NatsClusterOptions): Promise<NatsCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNodes(options);
    } catch (error) {
      if (attempt >= START_TRIES || !String(error).includes('address already in use')) throw error;
    }
  }
}

/** Ports that were free a moment ago, all different from each other. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function startNodes({ dir, size = 3, readyTimeoutMs = 30_000 }: NatsClusterOptions): Promise<NatsCluster> {
  const nodes: NatsClusterNode[] = [];
  const ports = await distinctFreePorts(size * 3);
  for (let i = 1; i <= size; i++) {
    const name = `gt-n${i}`;
    const storeDir = join(dir, name);
    mkdirSync(storeDir, { recursive: true });
    const [port, clusterPort, monitorPort] = ports.slice((i - 1) * 3, i * 3) as [number, number, number];
    nodes.push({ name, port, clusterPort, monitorPort, storeDir, process: null });
  }
  const startNode = async (node: NatsClusterNode) => {
    const routes = nodes.filter((other) => other !== node).map((other) => `nats://127.0.0.1:${other.clusterPort}`);
    node.process = await startNatsServer({
      port: node.port,
      storeDir: node.storeDir,
      timeoutMs: readyTimeoutMs,
      args: ['-n', node.name, '-m', String(node.monitorPort), '--cluster_name', 'gt', '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes.join(',')],
    });
  };
  const url = nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  const cluster: NatsCluster = {
    url,
    nodes,
    kill: async (index) => {
      const node = nodes[index];
      await node?.process?.kill();
    },
    restart: async (index) => {
      const node = nodes[index];
      if (!node) throw new Error(`no node ${index}`);
      await startNode(node);
      await jetStreamReady(nodes, readyTimeoutMs);
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.process?.kill()));
    },
  };
  try {
    await Promise.all(nodes.map(startNode));
    await jetStreamReady(nodes, readyTimeoutMs);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * The cluster answers JetStream requests once a meta leader is elected, which takes a few
 * seconds after the routes connect: until then every running node reports itself unhealthy and
 * account info fails.
 */
async function jetStreamReady(nodes: readonly NatsClusterNode[], timeoutMs: number): Promise<void> {
  const running = nodes.filter((n) => n.process?.running());
  await eventually(
    'the NATS cluster to elect a JetStream meta leader',
    async () => {
      const healthy = await Promise.all(
        running.map((n) =>
          fetch(`http://127.0.0.1:${n.monitorPort}/healthz`)
            .then((r) => r.ok)
            .catch(() => false),
        ),
      );
      if (!healthy.every(Boolean)) return false;
      const nc = await connect({ servers: running.map((n) => `nats://127.0.0.1:${n.port}`), timeout: 2_000 });
      try {
        await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
        return true;
      } catch {
        return false;
      } finally {
        await nc.close();
      }
    },
    { timeoutMs, intervalMs: 250 },
  );
}
