import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IContainer, IEnvVar, INamespace, IService } from 'kubernetes-models/v1';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { NATS_SERVICES, natsUserOf, permissionMatrix, type NatsService } from '@gastown/bus';
import { names } from '@gastown/contracts';
import { NATS_SERVER_BINARY, TEST_SECRETS_KEY, WORKSPACE_ROOT } from '@gastown/testing';
import { kubernetesManifests } from '../generated.files';
import { imageTarget, parseDockerfile, workspacePathOf } from '../images/dockerfile.model';
import { imageEntry, startImageEntryUntilFirstConnection } from '../images/image-entry.testing';
import { SERVICES, unknownSettings, type ServiceName } from '../settings/settings.catalogue';
import { CLUSTER, SECRETS } from './cluster.settings';
import { natsValues, quotedPasswordVariable } from './nats-values';
import type { Manifest } from './workloads';

const all = Object.values(kubernetesManifests()).flat();
const json = (m: Manifest) => (m.toJSON ? m.toJSON() : m) as never;
const ofKind = <T>(kind: string) => all.filter((m) => m.kind === kind).map((m) => json(m) as T);
const deployments = ofKind<IDeployment>('Deployment');
const deployment = (service: ServiceName) => deployments.find((d) => d.metadata?.name === `gastown-${service}`) as IDeployment;
const mainContainer = (d: IDeployment | IJob) => d.spec?.template.spec?.containers[0] as IContainer;
const serviceOf = (d: IDeployment) => d.metadata?.labels?.['app.kubernetes.io/component'] as ServiceName;
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|_KEY$|_KEYS$|DATABASE_URL)/;
const dockerfile = parseDockerfile(join(WORKSPACE_ROOT, 'deploy', 'docker', 'Dockerfile'));

/** README shows `kubectl -n <namespace> create secret generic <name>`, or the same in a `for ns in … <namespace> …` loop. */
function createsSecret(readme: string, namespace: string, name: string): boolean {
  if (readme.includes(`kubectl -n ${namespace} create secret generic ${name} `)) return true;
  const loop = new RegExp(`for ns in [^;]*\\b${namespace}\\b[^;]*; do\\s+kubectl -n \\$ns create secret generic ${name} `);
  return loop.test(readme);
}

describe('deploy/kubernetes manifests', () => {
  it('given every generated object, when validated against the Kubernetes (and KEDA) schemas of kubernetes-models, then each is valid', () => {
    const invalid: string[] = [];
    for (const object of all) {
      try {
        object.validate?.();
      } catch (error) {
        invalid.push(`${object.kind} ${object.metadata?.namespace}/${object.metadata?.name}: ${(error as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
    expect(all.every((o) => typeof o.validate === 'function')).toBe(true);
  });

  it('given the services, when their Deployments are listed, then each has one, in the namespace its Pod Security level allows', () => {
    expect(deployments.map(serviceOf).sort()).toEqual([...SERVICES].sort());
    const namespaces = ofKind<INamespace>('Namespace');
    const level = (ns?: string) => namespaces.find((n) => n.metadata?.name === ns)?.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
    expect(Object.fromEntries(deployments.map((d) => [serviceOf(d), level(d.metadata?.namespace)]))).toEqual({
      gateway: 'restricted',
      convoy: 'restricted',
      dispatcher: 'restricted',
      'git-runner': 'privileged',
    });
  });

  it.each(SERVICES)('given the %s Deployment, when its container is read, then it has probes on its health listener, requests and limits, and runs as a non-root user that gains nothing', (service) => {
    const d = deployment(service);
    const c = mainContainer(d);
    const health = c.ports?.find((p) => p.name === 'health');
    expect(health?.containerPort).toBe(CLUSTER.healthPorts[service]);
    expect(c.env?.find((e) => e.name === `${service.toUpperCase().replace('-', '_')}_HEALTH_PORT`)?.value).toBe(String(health?.containerPort));
    expect(imageTarget(dockerfile, service).env['GT_HEALTH_HOST']).toBe('0.0.0.0');
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'health' });
    expect(c.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    expect(c.resources?.limits).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    expect(c.securityContext).toEqual(
      expect.objectContaining({ runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } }),
    );
    expect(c.image).toBe(CLUSTER.image(service));
    expect(d.spec?.template.spec?.automountServiceAccountToken).toBe(false);
  });

  it.each(SERVICES)('given the %s Deployment, when its environment and its image ENV are compared with its settings, then it reads every one', (service) => {
    const env = mainContainer(deployment(service)).env ?? [];
    expect(unknownSettings(service, [...Object.keys(imageTarget(dockerfile, service).env), ...env.map((e) => e.name)])).toEqual([]);
  });

  it('given every container of every workload, when a variable holds a secret, then it comes by reference from a Secret and key the README tells operators to create', () => {
    const readme = readFileSync(join(WORKSPACE_ROOT, 'README.md'), 'utf8');
    const problems: string[] = [];
    const workloads = [...deployments, ...ofKind<IJob>('Job')];
    for (const w of workloads) {
      const namespace = w.metadata?.namespace as string;
      for (const env of mainContainer(w).env ?? []) {
        const where = `${w.metadata?.name} ${env.name}`;
        if (SECRET_NAME.test(env.name) && env.value !== undefined) problems.push(`${where}: a literal value`);
        const ref = env.valueFrom?.secretKeyRef;
        if (!ref) continue;
        const known = Object.values(SECRETS).find((s) => s.name === ref.name);
        if (!known) problems.push(`${where}: Secret ${ref.name} is not one of SECRETS`);
        else if (!(ref.key in known.keys)) problems.push(`${where}: ${ref.name} has no key ${ref.key}`);
        else if (!(known.namespaces as readonly string[]).includes(namespace)) problems.push(`${where}: ${ref.name} is not created in ${namespace}`);
        else if (!createsSecret(readme, namespace, ref.name ?? '') || !readme.includes(`--from-literal=${ref.key}=`)) {
          problems.push(`${where}: README does not show how to create ${ref.name} (${ref.key}) in ${namespace}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('given every service, when its NATS settings are read, then it lists the three NATS nodes and connects as its own user, with stream copies on each', () => {
    for (const d of deployments) {
      const env = Object.fromEntries((mainContainer(d).env ?? []).map((e) => [e.name, e]));
      expect(env['NATS_URL']?.value?.split(',')).toEqual(CLUSTER.nats.urls);
      expect(env['NATS_USER']?.value).toBe(natsUserOf(serviceOf(d) as NatsService));
      expect(env['NATS_PASSWORD']?.valueFrom?.secretKeyRef).toEqual({ name: SECRETS.natsUsers.name, key: serviceOf(d) });
      expect(env['GT_STREAM_REPLICAS']?.value).toBe(String(CLUSTER.nats.replicas));
    }
  });

  it('given every Deployment, when its Service and PodDisruptionBudget are looked up, then both select its pods and the Service reaches its named ports', () => {
    const services = ofKind<IService>('Service');
    const budgets = ofKind<IPodDisruptionBudget>('PodDisruptionBudget');
    for (const d of deployments) {
      const labels = d.spec?.template.metadata?.labels;
      const ns = d.metadata?.namespace;
      const service = services.find((s) => s.metadata?.namespace === ns && matches(s.spec?.selector, labels));
      const ports = (mainContainer(d).ports ?? []).map((p) => p.name);
      expect(service?.spec?.ports?.map((p) => p.targetPort).sort()).toEqual([...ports].sort());
      const budget = budgets.find((b) => b.metadata?.namespace === ns && matches(b.spec?.selector?.matchLabels, labels));
      expect({ deployment: d.metadata?.name, budget: budget?.spec?.maxUnavailable ?? budget?.spec?.minAvailable }).toEqual({ deployment: d.metadata?.name, budget: 1 });
    }
  });

  it('given the autoscalers, when their targets are followed, then gateway, convoy and dispatcher scale on CPU and the git-runner on its agent-job backlog', () => {
    const target = (ns: string | undefined, name: string) => deployments.find((d) => d.metadata?.namespace === ns && d.metadata?.name === name);
    const hpas = ofKind<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(hpas.map((h) => serviceOf(target(h.metadata?.namespace, h.spec?.scaleTargetRef.name ?? '') as IDeployment)).sort()).toEqual(['convoy', 'dispatcher', 'gateway']);
    for (const h of hpas) expect(h.spec?.metrics?.[0]?.resource?.name).toBe('cpu');
    const [scaled] = ofKind<IScaledObject>('ScaledObject');
    expect(target(scaled?.metadata?.namespace, scaled?.spec.scaleTargetRef.name ?? '')?.metadata?.name).toBe('gastown-git-runner');
    const trigger = scaled?.spec.triggers[0];
    expect(trigger?.type).toBe('nats-jetstream');
    expect(trigger?.metadata).toEqual(
      expect.objectContaining({ stream: names('gt').jobStream, consumer: 'git-runner-agent', account: '$G', natsServerMonitoringEndpoint: CLUSTER.nats.monitorEndpoint }),
    );
    // The runners' durable consumer of agent jobs is named there (a service's code, read as text: deploy imports no service).
    const consumer = readFileSync(join(WORKSPACE_ROOT, 'services', 'git-runner', 'src', 'jobs', 'job.consumer.ts'), 'utf8');
    expect(consumer).toContain('return `git-runner-${kind}`;');
    expect(Number(trigger?.metadata['lagThreshold'])).toBe(CLUSTER.gitRunner.maxAgents);
    expect(scaled?.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    // A Deployment that names its replicas is reset to them by every re-apply, fighting its autoscaler.
    expect(deployments.filter((d) => d.spec?.replicas !== undefined).map((d) => d.metadata?.name)).toEqual([]);
  });

  it("given the dispatcher and the git-runners, when their slots are added up, then the dispatcher counts every runner KEDA may start and a town's cap leaves some to others", () => {
    const env = (service: ServiceName, name: string) => mainContainer(deployment(service)).env?.find((e) => e.name === name)?.value;
    const [scaled] = ofKind<IScaledObject>('ScaledObject');
    const slots = (scaled?.spec.maxReplicaCount ?? 0) * Number(env('git-runner', 'GIT_RUNNER_MAX_AGENTS'));
    expect(Number(env('dispatcher', 'DISPATCHER_AGENT_SLOTS'))).toBe(slots);
    expect(Number(env('dispatcher', 'DISPATCHER_MAX_AGENTS_PER_TOWN'))).toBeLessThan(slots);
  });

  it('given the git-runner, when its pod is read, then the sandbox may create namespaces and mount /proc, a stop outlasts the drain, and its data directory is its own volume', () => {
    const d = deployment('git-runner');
    const pod = d.spec?.template.spec;
    const c = mainContainer(d);
    expect(pod?.hostUsers).toBe(false);
    expect(c.securityContext).toEqual(expect.objectContaining({ procMount: 'Unmasked', seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } }));
    const drainMs = Number(c.env?.find((e) => e.name === 'GIT_RUNNER_DRAIN_MS')?.value);
    expect((pod?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(drainMs + 15_000);
    const dataDir = imageTarget(dockerfile, 'git-runner').env['GIT_RUNNER_DATA_DIR'];
    const mount = c.volumeMounts?.find((m) => m.mountPath === dataDir);
    expect(pod?.volumes?.find((v) => v.name === mount?.name)?.emptyDir).toBeDefined();
  });

  it('given the migrations Job, when its command is followed to the build, then it runs a file the gateway build produced, with the database by reference', () => {
    const [job] = ofKind<IJob>('Job');
    const c = mainContainer(job as IJob);
    expect(c.image).toBe(CLUSTER.image('gateway'));
    const built = workspacePathOf(dockerfile, imageTarget(dockerfile, 'gateway'), c.args?.[0] ?? '');
    expect(built).toBe('dist/services/gateway/migrate.js');
    expect(readFileSync(join(WORKSPACE_ROOT, built as string), 'utf8').length).toBeGreaterThan(0);
  });

  describe('given the network policies', () => {
    const policies = ofKind<INetworkPolicy>('NetworkPolicy');
    const podsOf = (p: INetworkPolicy) =>
      [...deployments, ...ofKind<IJob>('Job')].filter((w) => w.metadata?.namespace === p.metadata?.namespace && matches(p.spec?.podSelector.matchLabels, w.spec?.template.metadata?.labels));
    const componentsOf = (p: INetworkPolicy) => podsOf(p).map((w) => w.spec?.template.metadata?.labels?.['app.kubernetes.io/component']);

    it('when each namespace is read, then everything is denied unless allowed, and every policy selects pods that exist', () => {
      for (const ns of [CLUSTER.namespace, CLUSTER.runnerNamespace]) {
        const deny = policies.find((p) => p.metadata?.namespace === ns && p.metadata?.name === 'default-deny');
        expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      }
      expect(policies.filter((p) => podsOf(p).length === 0).map((p) => p.metadata?.name)).toEqual([]);
    });

    it('when ingress rules are read, then only the gateway accepts connections from anywhere, and others only scrapes from the monitoring namespace', () => {
      const open = policies.flatMap((p) => (p.spec?.ingress ?? []).filter((r) => !r.from || r.from.length === 0).map(() => componentsOf(p))).flat();
      expect(open).toEqual(['gateway']);
      for (const p of policies) {
        for (const rule of (p.spec?.ingress ?? []).filter((r) => r.from && r.from.length > 0)) {
          expect(rule.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': CLUSTER.monitoringNamespace } } }]);
          expect(rule.ports?.map((port) => port.port)).toEqual(componentsOf(p).map((c) => CLUSTER.healthPorts[c as ServiceName]));
        }
      }
    });

    it('when egress rules are read, then every pod resolves names and reaches NATS, the gateway and the migrations PostgreSQL, and only the git-runner reaches git remotes', () => {
      const egress = (component: string) =>
        policies.filter((p) => componentsOf(p).includes(component)).flatMap((p) => p.spec?.egress ?? []);
      const reaches = (component: string, port: number) => egress(component).some((r) => (r.ports ?? []).some((p) => p.port === port));
      const internet = (component: string) =>
        egress(component)
          .filter((r) => (r.to ?? []).some((peer) => peer.ipBlock?.cidr === '0.0.0.0/0'))
          .flatMap((r) => {
            expect(r.to?.[0]?.ipBlock?.except).toEqual([...CLUSTER.clusterRanges]);
            return (r.ports ?? []).map((p) => p.port);
          });
      for (const service of SERVICES) {
        expect({ service, dns: reaches(service, 53), nats: reaches(service, CLUSTER.nats.clientPort) }).toEqual({ service, dns: true, nats: true });
      }
      expect(['gateway', 'migrate', 'convoy', 'dispatcher', 'git-runner'].filter((c) => reaches(c, CLUSTER.postgres.port))).toEqual(['gateway', 'migrate']);
      expect(Object.fromEntries(['gateway', 'convoy', 'dispatcher', 'git-runner', 'migrate'].map((c) => [c, internet(c)]))).toEqual({
        gateway: [],
        convoy: [],
        // Webhook receivers are the towns' own URLs, on the internet.
        dispatcher: [443, 80],
        'git-runner': [22, 443],
        migrate: [],
      });
    });
  });

  describe('given deploy/kubernetes/nats-values.yaml for the official NATS chart', () => {
    const values = natsValues() as {
      config: { cluster: { enabled: boolean; replicas: number }; jetstream: { enabled: boolean; fileStore: { pvc: { enabled: boolean } } }; monitor: { enabled: boolean; port: number }; merge: { authorization: { users: { user: string; password: string; permissions: unknown }[] } } };
      container: { env: Record<string, string | { valueFrom: { secretKeyRef: { name: string; key: string } } }> };
    };

    it('when read, then three nodes cluster with JetStream on volumes and the monitoring port KEDA reads is on', () => {
      expect(values.config.cluster).toEqual({ enabled: true, replicas: 3 });
      expect(values.config.jetstream.enabled).toBe(true);
      expect(values.config.jetstream.fileStore.pvc.enabled).toBe(true);
      expect(`nats-headless.nats.svc.cluster.local:${values.config.monitor.port}`).toBe(CLUSTER.nats.monitorEndpoint);
    });

    it("when its users are read, then each service has libs/bus's permissions and a password from the Secret, quoted for the server", () => {
      const matrix = permissionMatrix('gt');
      const users = values.config.merge.authorization.users;
      expect(users.map((u) => u.user)).toEqual(NATS_SERVICES.map((s) => natsUserOf(s)));
      for (const service of NATS_SERVICES) {
        const user = users.find((u) => u.user === natsUserOf(service));
        const quoted = quotedPasswordVariable(service);
        expect(user?.password).toBe(`<< $${quoted} >>`);
        expect(JSON.stringify(user?.permissions)).toBe(
          JSON.stringify({ publish: { allow: matrix[service].publish }, subscribe: { allow: matrix[service].subscribe }, ...(matrix[service].allowResponses ? { allow_responses: true } : {}) }),
        );
        const source = Object.keys(values.container.env).find((k) => values.container.env[k] === undefined ? false : `"$(${k})"` === values.container.env[quoted]);
        expect(values.container.env[source as string]).toEqual({ valueFrom: { secretKeyRef: { name: SECRETS.natsUsers.name, key: service } } });
        // The chart renders env in key order, and $(VAR) only sees variables defined before it.
        expect((source as string) < quoted).toBe(true);
      }
    });

    it('when its authorization block is rendered as the chart renders it, then nats-server accepts it with the quoted passwords, some starting with a digit', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gt-deploy-values-'));
      const rendered = JSON.stringify({ authorization: values.config.merge.authorization }, null, 2).replace(/"<< (\$[A-Z_]+) >>"/g, '$1');
      writeFileSync(join(dir, 'nats.conf'), `${rendered.slice(1, -1)}\n`);
      const env = Object.fromEntries(NATS_SERVICES.map((s, i) => [quotedPasswordVariable(s), `"${i}${randomBytes(16).toString('hex')}"`]));
      const checked = spawnSync(NATS_SERVER_BINARY, ['-t', '-c', join(dir, 'nats.conf')], { encoding: 'utf8', env: { PATH: process.env['PATH'], ...env } });
      expect(checked.stderr + checked.stdout).toMatch(/configuration file .* is valid/);
    });
  });

  // Each Deployment's container run as its image would with the environment the manifest gives
  // it (Secrets and the pod name stood in for), until it has accepted its settings and reaches for a NATS node.
  it.each(SERVICES)('given the %s Deployment with its Secrets, when its image entry runs from the built output, then it accepts its settings, listens for probes and reaches for NATS', async (service) => {
    const stand = (e: IEnvVar) =>
      e.value ?? (e.valueFrom?.fieldRef ? `${service}-7d9f8c6b5-x2x9z` : e.valueFrom?.secretKeyRef?.key === 'secrets-key' ? TEST_SECRETS_KEY : e.valueFrom?.secretKeyRef?.key === 'database-url' ? 'postgres://gastown:pw@gastown-pg-rw:5432/gastown' : randomBytes(12).toString('hex'));
    const c = mainContainer(deployment(service));
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, stand(e)]));
    const started = await startImageEntryUntilFirstConnection(imageEntry(dockerfile, service, env, c.args));
    const natsHosts = CLUSTER.nats.urls.map((u) => new URL(u).hostname);
    expect({ code: started.code, output: started.code === 0 ? '' : started.output }).toEqual({ code: 0, output: '' });
    expect([...natsHosts, 'gastown-pg-rw']).toContain((started.firstConnection ?? '').split(':')[0]);
    expect(started.listens).toContain(`0.0.0.0:${CLUSTER.healthPorts[service]}`);
  });
});
