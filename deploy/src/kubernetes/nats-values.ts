import { NATS_SERVICES, permissionMatrix, type NatsService } from '@gastown/bus';
import { CLUSTER, natsUser, SECRETS } from './cluster.settings';

/** The quoted copy of a password that the server's configuration reads (see natsValues). */
export function quotedPasswordVariable(service: NatsService): string {
  return `NATS_${service.toUpperCase().replace(/-/g, '_')}_PASSWORD_QUOTED`;
}

/**
 * Values of the official NATS Helm chart (1.x) for Gastown: three nodes clustered with JetStream
 * on persistent volumes, the monitoring port KEDA reads the agent-job backlog from, and one user per
 * service with libs/bus's permissions. Passwords come from the gastown-nats-users Secret: each is
 * put in the environment as it is, then quoted by Kubernetes' $(VAR) expansion, because
 * nats-server reads a variable as configuration, where a password starting with a digit is a
 * number. The chart renders its env map in key order, so the quoted copy (…_QUOTED) follows its
 * source.
 *
 *   helm repo add nats https://nats-io.github.io/k8s/helm/charts/
 *   helm install nats nats/nats -n nats -f deploy/kubernetes/nats-values.yaml
 */
export function natsValues(): Record<string, unknown> {
  const matrix = permissionMatrix('gt');
  const env: Record<string, unknown> = {};
  for (const service of NATS_SERVICES) {
    const raw = `NATS_${service.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
    env[raw] = { valueFrom: { secretKeyRef: { name: SECRETS.natsUsers.name, key: service } } };
    env[quotedPasswordVariable(service)] = `"$(${raw})"`;
  }
  return {
    config: {
      cluster: { enabled: true, replicas: CLUSTER.nats.replicas },
      jetstream: { enabled: true, fileStore: { enabled: true, pvc: { enabled: true, size: '20Gi' } }, memoryStore: { enabled: true, maxSize: '256Mi' } },
      monitor: { enabled: true, port: 8222 },
      merge: {
        authorization: {
          users: NATS_SERVICES.map((service) => ({
            user: natsUser(service),
            password: `<< $${quotedPasswordVariable(service)} >>`,
            permissions: {
              publish: { allow: [...matrix[service].publish] },
              subscribe: { allow: [...matrix[service].subscribe] },
              ...(matrix[service].allowResponses ? { allow_responses: true } : {}),
            },
          })),
        },
      },
    },
    container: { image: { tag: CLUSTER.nats.imageTag }, env },
    podTemplate: {
      topologySpreadConstraints: {
        'kubernetes.io/hostname': { maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' },
      },
    },
  };
}
