import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Namespace, Service, ServiceAccount, type IContainer, type IEnvVar, type IPodSpec } from 'kubernetes-models/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { names } from '@gastown/contracts';
import { CLUSTER, natsUser, SECRETS, type WorkloadName } from './cluster.settings';

/** A generated object: a kubernetes-models instance (validated against the API's schema) or a CRD's. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  validate?(): void;
  toJSON?(): unknown;
}

export function labelsOf(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'gastown', 'app.kubernetes.io/component': component, 'app.kubernetes.io/part-of': 'gastown' };
}

const selectorOf = (component: string) => ({ 'app.kubernetes.io/name': 'gastown', 'app.kubernetes.io/component': component });

export function namespaceOf(workload: WorkloadName | 'migrate'): string {
  return workload === 'git-runner' ? CLUSTER.runnerNamespace : CLUSTER.namespace;
}

const secret = (name: string, key: string): IEnvVar['valueFrom'] => ({ secretKeyRef: { name, key } });

/** What every service needs to reach NATS as its own user. */
function natsEnv(service: WorkloadName): IEnvVar[] {
  return [
    { name: 'NATS_URL', value: CLUSTER.nats.urls.join(',') },
    { name: 'NATS_USER', value: natsUser(service) },
    { name: 'NATS_PASSWORD', valueFrom: secret(SECRETS.natsUsers.name, service) },
    { name: 'GT_STREAM_REPLICAS', value: String(CLUSTER.nats.replicas) },
  ];
}

interface WorkloadSpec {
  readonly name: WorkloadName;
  readonly env: IEnvVar[];
  readonly resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string; 'ephemeral-storage'?: string } };
  /** HPA bounds on CPU; absent for the git-runner, which KEDA scales on its backlog. */
  readonly autoscale?: { min: number; max: number };
  readonly extraPorts?: { name: string; containerPort: number }[];
}

const RESTRICTED_CONTAINER: IContainer['securityContext'] = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  capabilities: { drop: ['ALL'] },
};

function container(spec: WorkloadSpec): IContainer {
  const health = CLUSTER.healthPorts[spec.name];
  return {
    name: spec.name,
    image: CLUSTER.image(spec.name),
    env: [...spec.env, { name: `${spec.name.toUpperCase().replace('-', '_')}_HEALTH_PORT`, value: String(health) }],
    ports: [...(spec.extraPorts ?? []), { name: 'health', containerPort: health }],
    // Ready: connected to NATS with its consumers bound (the gateway: PostgreSQL and its projector too).
    readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 5, failureThreshold: 3 },
    // Live: the event loop answers. A NATS outage makes a service unready, never restarted.
    livenessProbe: { httpGet: { path: '/livez', port: 'health' }, periodSeconds: 10, failureThreshold: 6 },
    startupProbe: { httpGet: { path: '/livez', port: 'health' }, periodSeconds: 2, failureThreshold: 30 },
    resources: spec.resources,
    securityContext: RESTRICTED_CONTAINER,
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

function podSpec(spec: WorkloadSpec, main: IContainer, extra: Partial<IPodSpec> = {}): IPodSpec {
  return {
    serviceAccountName: `gastown-${spec.name}`,
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [main],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }],
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorOf(spec.name) } },
    ],
    ...extra,
  };
}

function workload(spec: WorkloadSpec, pod: IPodSpec): Manifest[] {
  const namespace = namespaceOf(spec.name);
  const metadata = (name: string) => ({ name, namespace, labels: labelsOf(spec.name) });
  const objects: Manifest[] = [
    new ServiceAccount({ metadata: metadata(`gastown-${spec.name}`), automountServiceAccountToken: false }),
    new Deployment({
      metadata: metadata(`gastown-${spec.name}`),
      // No replicas: the autoscaler owns them (its minimum applies at once), and a re-apply never resets them.
      spec: {
        selector: { matchLabels: selectorOf(spec.name) },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: { metadata: { labels: labelsOf(spec.name) }, spec: pod },
      },
    }),
    new Service({
      metadata: metadata(`gastown-${spec.name}`),
      spec: {
        selector: selectorOf(spec.name),
        ports: [...(spec.extraPorts ?? []), { name: 'health', containerPort: CLUSTER.healthPorts[spec.name] }].map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name })),
      },
    }),
    new PodDisruptionBudget({ metadata: metadata(`gastown-${spec.name}`), spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(spec.name) } } }),
  ];
  if (spec.autoscale) {
    objects.push(
      new HorizontalPodAutoscaler({
        metadata: metadata(`gastown-${spec.name}`),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `gastown-${spec.name}` },
          minReplicas: spec.autoscale.min,
          maxReplicas: spec.autoscale.max,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        },
      }),
    );
  }
  return objects;
}

export function namespaces(): Manifest[] {
  return [
    new Namespace({
      metadata: {
        name: CLUSTER.namespace,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
      },
    }),
    // The sandbox needs an unconfined seccomp profile and an unmasked /proc (see git-runner.yaml):
    // privileged in Pod Security terms, so the runners are alone here and the rest stays restricted.
    new Namespace({
      metadata: {
        name: CLUSTER.runnerNamespace,
        labels: { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/audit': 'baseline' },
      },
    }),
  ];
}

export function gateway(): Manifest[] {
  const spec: WorkloadSpec = {
    name: 'gateway',
    autoscale: { min: 2, max: 6 },
    extraPorts: [{ name: 'http', containerPort: CLUSTER.gatewayPort }],
    env: [
      ...natsEnv('gateway'),
      { name: 'DATABASE_URL', valueFrom: secret(SECRETS.app.name, 'database-url') },
      { name: 'GASTOWN_SECRETS_KEY', valueFrom: secret(SECRETS.app.name, 'secrets-key') },
      { name: 'GATEWAY_PORT', value: String(CLUSTER.gatewayPort) },
      // The migrations Job runs them; a gateway refuses to start on an older schema instead of racing it.
      { name: 'GATEWAY_MIGRATIONS', value: 'check' },
    ],
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  };
  return workload(spec, podSpec(spec, container(spec)));
}

export function convoy(): Manifest[] {
  const spec: WorkloadSpec = {
    name: 'convoy',
    autoscale: { min: 2, max: 6 },
    env: natsEnv('convoy'),
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '512Mi' } },
  };
  return workload(spec, podSpec(spec, container(spec)));
}

export function dispatcher(): Manifest[] {
  const slots = CLUSTER.gitRunner.maxReplicas * CLUSTER.gitRunner.maxAgents;
  const spec: WorkloadSpec = {
    name: 'dispatcher',
    autoscale: { min: 2, max: 4 },
    env: [
      ...natsEnv('dispatcher'),
      { name: 'GASTOWN_SECRETS_KEY', valueFrom: secret(SECRETS.app.name, 'secrets-key') },
      // The runners' slots at their most (KEDA's maxReplicaCount × GIT_RUNNER_MAX_AGENTS): jobs
      // past the running runners' slots queue, which is the backlog KEDA adds runners for.
      { name: 'DISPATCHER_AGENT_SLOTS', value: String(slots) },
      { name: 'DISPATCHER_MAX_AGENTS_PER_TOWN', value: String(Math.max(1, slots - CLUSTER.gitRunner.maxAgents)) },
    ],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '2', memory: '512Mi' } },
  };
  return workload(spec, podSpec(spec, container(spec)));
}

/**
 * The git-runner's sandbox (bubblewrap) creates user, pid, mount and network namespaces and mounts
 * a fresh /proc. A pod allows that with: a user namespace of its own (`hostUsers: false`, so the
 * runner's uid 1000 is nobody on the node), /proc unmasked (`procMount: Unmasked`, which Kubernetes
 * only allows with hostUsers: false), and a seccomp and AppArmor profile that let unshare/clone
 * create namespaces and mount (the runtime's default profiles refuse both without
 * CAP_SYS_ADMIN). The container still drops every capability and cannot gain any; bwrap gets its
 * own only inside the namespaces it creates. Per-run cgroups need a writable cgroup tree, which
 * a pod does not have: GIT_RUNNER_SANDBOX_CGROUPS=auto warns and each run keeps its rlimits, while
 * the pod's limits bound all its runs together (hence few agents per pod, more pods).
 */
export function gitRunner(): Manifest[] {
  const { maxAgents, drainMs, minReplicas, maxReplicas, lagThreshold } = CLUSTER.gitRunner;
  const spec: WorkloadSpec = {
    name: 'git-runner',
    env: [
      ...natsEnv('git-runner'),
      { name: 'GASTOWN_SECRETS_KEY', valueFrom: secret(SECRETS.app.name, 'secrets-key') },
      { name: 'GIT_RUNNER_MAX_AGENTS', value: String(maxAgents) },
      { name: 'GIT_RUNNER_DRAIN_MS', value: String(drainMs) },
      { name: 'GIT_RUNNER_SANDBOX', value: 'bwrap' },
      { name: 'GIT_RUNNER_SANDBOX_CGROUPS', value: 'auto' },
      // Its name in leases and claims: the pod's, stable for the pod's life.
      { name: 'GIT_RUNNER_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
    resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '4', memory: '6Gi', 'ephemeral-storage': '30Gi' } },
  };
  const main = container(spec);
  const runner: IContainer = {
    ...main,
    securityContext: {
      ...RESTRICTED_CONTAINER,
      procMount: 'Unmasked',
      seccompProfile: { type: 'Unconfined' },
      appArmorProfile: { type: 'Unconfined' },
    },
    volumeMounts: [...(main.volumeMounts ?? []), { name: 'data', mountPath: '/var/lib/gastown/git-runner' }],
  };
  const pod = podSpec(spec, runner, {
    hostUsers: false,
    // The drain plus 15 s: running agents finish or are interrupted, merges and landings handed back.
    terminationGracePeriodSeconds: drainMs / 1000 + 15,
    volumes: [
      { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      // Clones and worktrees: a cache of the remotes, one per pod, as the runner requires.
      { name: 'data', emptyDir: { sizeLimit: '25Gi' } },
    ],
  });
  const jobs = names('gt');
  return [
    ...workload(spec, pod),
    new ScaledObject({
      metadata: { name: 'gastown-git-runner', namespace: CLUSTER.runnerNamespace, labels: labelsOf('git-runner') },
      spec: {
        scaleTargetRef: { name: 'gastown-git-runner' },
        minReplicaCount: minReplicas,
        maxReplicaCount: maxReplicas,
        // A runner that is removed drains first; scaling down slowly keeps work from being interrupted.
        cooldownPeriod: 300,
        advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 120 }] } } } },
        triggers: [
          {
            type: 'nats-jetstream',
            metadata: {
              natsServerMonitoringEndpoint: CLUSTER.nats.monitorEndpoint,
              account: '$G',
              stream: jobs.jobStream,
              // The agent jobs' durable consumer, shared by every runner (services/git-runner/src/jobs/job.consumer.ts).
              consumer: 'git-runner-agent',
              lagThreshold: String(lagThreshold),
              activationLagThreshold: '0',
              useHttps: 'false',
            },
          },
        ],
      },
    }),
  ];
}

/**
 * Runs the read models' pending migrations once, holding the migrations lock, and exits: apply it
 * (and wait for it) before the gateways on every upgrade, so replicas never race on the schema.
 * Its name carries the image tag because a Job's template cannot change.
 */
export function migrationsJob(tag = 'dev'): Manifest[] {
  return [
    new ServiceAccount({ metadata: { name: 'gastown-migrate', namespace: CLUSTER.namespace, labels: labelsOf('migrate') }, automountServiceAccountToken: false }),
    new Job({
      metadata: { name: `gastown-migrate-${tag}`, namespace: CLUSTER.namespace, labels: labelsOf('migrate') },
      spec: {
        backoffLimit: 3,
        ttlSecondsAfterFinished: 86_400,
        template: {
          metadata: { labels: labelsOf('migrate') },
          spec: {
            restartPolicy: 'OnFailure',
            serviceAccountName: 'gastown-migrate',
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'migrate',
                image: CLUSTER.image('gateway', tag),
                args: ['/app/migrate.js'],
                env: [{ name: 'DATABASE_URL', valueFrom: secret(SECRETS.app.name, 'database-url') }],
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
                securityContext: RESTRICTED_CONTAINER,
              },
            ],
          },
        },
      },
    }),
  ];
}
