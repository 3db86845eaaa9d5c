import { natsUserOf, type NatsService } from '@gastown/bus';

/**
 * What the generated manifests assume about the cluster they go to. Change a value here and run
 * `npx nx run deploy:generate`; platform teams that template further patch the output (kustomize).
 */
export const CLUSTER = {
  /** Everything but the git-runners: Pod Security `restricted`. */
  namespace: 'gastown',
  /**
   * The git-runners alone: their sandbox needs what `restricted` and `baseline` forbid (an
   * unconfined seccomp profile and an unmasked /proc), so they live where only they do.
   */
  runnerNamespace: 'gastown-runners',
  image: (service: 'gateway' | 'convoy' | 'dispatcher' | 'git-runner', tag = 'dev') => `ghcr.io/gastown/${service}:${tag}`,
  /** The official NATS chart installed as `helm install nats nats/nats -n nats -f deploy/kubernetes/nats-values.yaml`. */
  nats: {
    namespace: 'nats',
    podLabels: { 'app.kubernetes.io/name': 'nats', 'app.kubernetes.io/instance': 'nats' },
    /** Each node by its stable name: the client retries another when one is down. */
    urls: ['nats://nats-0.nats-headless.nats.svc.cluster.local:4222', 'nats://nats-1.nats-headless.nats.svc.cluster.local:4222', 'nats://nats-2.nats-headless.nats.svc.cluster.local:4222'],
    clientPort: 4222,
    monitorEndpoint: 'nats-headless.nats.svc.cluster.local:8222',
    replicas: 3,
    imageTag: '2.10.24-alpine',
  },
  /**
   * PostgreSQL: a CloudNativePG cluster `gastown-pg` in the gastown namespace (its pods carry
   * cnpg.io/cluster), or an external server, whose address then replaces this in the gateway's and
   * the migrations' egress rule (see README, Deploy).
   */
  postgres: { podLabels: { 'cnpg.io/cluster': 'gastown-pg' }, port: 5432 },
  /** Where the cluster's own addresses are, so "the internet" excludes them (pods, services, nodes, metadata). */
  clusterRanges: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'],
  /** Pods of this namespace may scrape /metrics on every health port. */
  monitoringNamespace: 'monitoring',
  /** The gateway's HTTP port, the only way in. */
  gatewayPort: 4000,
  healthPorts: { gateway: 9460, convoy: 9461, dispatcher: 9462, 'git-runner': 9463 },
  gitRunner: {
    maxAgents: 2,
    minReplicas: 1,
    maxReplicas: 10,
    drainMs: 30_000,
    /** Agent jobs waiting per runner before KEDA adds one: a runner's agent slots. */
    lagThreshold: 2,
  },
} as const;

export type WorkloadName = 'gateway' | 'convoy' | 'dispatcher' | 'git-runner';

/**
 * The Secrets the manifests read, by name and key: created by the operator (kubectl create
 * secret, External Secrets, CloudNativePG's own), never written by this project. README's Deploy
 * section shows how to create each with exactly these keys.
 */
export const SECRETS = {
  app: {
    name: 'gastown',
    namespaces: [CLUSTER.namespace, CLUSTER.runnerNamespace],
    keys: {
      'secrets-key': 'GASTOWN_SECRETS_KEY: openssl rand -hex 32, the same in both namespaces',
      'database-url': 'DATABASE_URL of the read models, e.g. CloudNativePG gastown-pg-app\'s uri',
    },
  },
  natsUsers: {
    name: 'gastown-nats-users',
    namespaces: [CLUSTER.namespace, CLUSTER.runnerNamespace, CLUSTER.nats.namespace],
    keys: {
      convoy: 'password of gt-convoy',
      dispatcher: 'password of gt-dispatcher',
      'git-runner': 'password of gt-git-runner',
      gateway: 'password of gt-gateway',
      operator: 'password of gt-operator (gt, holds, maintenance)',
    },
  },
} as const;

export function natsUser(service: NatsService): string {
  return natsUserOf(service, 'gt');
}
