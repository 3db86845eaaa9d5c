import { NetworkPolicy, type INetworkPolicyEgressRule, type INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1';
import { CLUSTER } from './cluster.settings';
import { labelsOf, namespaceOf, type Manifest } from './workloads';

const component = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': 'gastown', 'app.kubernetes.io/component': name } });
const inNamespace = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });

const DNS: INetworkPolicyEgressRule = {
  to: [{ namespaceSelector: inNamespace('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
};

const NATS: INetworkPolicyEgressRule = {
  to: [{ namespaceSelector: inNamespace(CLUSTER.nats.namespace), podSelector: { matchLabels: CLUSTER.nats.podLabels } }],
  ports: [{ protocol: 'TCP', port: CLUSTER.nats.clientPort }],
};

const POSTGRES: INetworkPolicyEgressRule = {
  to: [{ podSelector: { matchLabels: CLUSTER.postgres.podLabels } }],
  ports: [{ protocol: 'TCP', port: CLUSTER.postgres.port }],
};

/** Anywhere outside the cluster: the cluster's own ranges (pods, services, nodes, cloud metadata) are excepted. */
const INTERNET: INetworkPolicyPeer = { ipBlock: { cidr: '0.0.0.0/0', except: [...CLUSTER.clusterRanges] } };

function policy(namespace: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return new NetworkPolicy({ metadata: { name, namespace, labels: labelsOf('network') }, spec });
}

function metricsFromMonitoring(name: 'gateway' | 'convoy' | 'dispatcher' | 'git-runner'): NetworkPolicy {
  return policy(namespaceOf(name), `gastown-${name}-metrics`, {
    podSelector: component(name),
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: inNamespace(CLUSTER.monitoringNamespace) }], ports: [{ protocol: 'TCP', port: CLUSTER.healthPorts[name] }] }],
  });
}

/**
 * Nothing moves unless a rule below lets it: the gateway is the only way in, every service
 * reaches NATS and name resolution, the gateway and the migrations PostgreSQL, the git-runners
 * alone git remotes (ssh 22, https 443), and the dispatcher alone webhook receivers (https 443,
 * http 80). Probes come from the kubelet on the node, which network policies do not govern on
 * the common CNIs; Prometheus may scrape each health port from the monitoring namespace.
 */
export function networkPolicies(): Manifest[] {
  const objects: Manifest[] = [];
  for (const namespace of [CLUSTER.namespace, CLUSTER.runnerNamespace]) {
    objects.push(policy(namespace, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    objects.push(policy(namespace, 'gastown-dns-and-nats', { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gastown' } }, policyTypes: ['Egress'], egress: [DNS, NATS] }));
  }
  objects.push(
    policy(CLUSTER.namespace, 'gastown-gateway-ingress', {
      podSelector: component('gateway'),
      policyTypes: ['Ingress'],
      // From anywhere: an ingress controller or a load balancer in front, wherever it runs.
      ingress: [{ ports: [{ protocol: 'TCP', port: CLUSTER.gatewayPort }] }],
    }),
    policy(CLUSTER.namespace, 'gastown-gateway-postgres', { podSelector: component('gateway'), policyTypes: ['Egress'], egress: [POSTGRES] }),
    policy(CLUSTER.namespace, 'gastown-migrate-postgres', { podSelector: component('migrate'), policyTypes: ['Egress'], egress: [DNS, POSTGRES] }),
    policy(CLUSTER.namespace, 'gastown-dispatcher-webhooks', {
      podSelector: component('dispatcher'),
      policyTypes: ['Egress'],
      egress: [{ to: [INTERNET], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 80 }] }],
    }),
    policy(CLUSTER.runnerNamespace, 'gastown-git-runner-remotes', {
      podSelector: component('git-runner'),
      policyTypes: ['Egress'],
      egress: [{ to: [INTERNET], ports: [{ protocol: 'TCP', port: 22 }, { protocol: 'TCP', port: 443 }] }],
    }),
    ...(['gateway', 'convoy', 'dispatcher', 'git-runner'] as const).map(metricsFromMonitoring),
  );
  return objects;
}
