import { listRigs, type GatewayClient, type RigRef } from '@gastown/gateway-client';
import { UsageError } from '../cli.errors';

/**
 * A rig given by name or id on the command line. An unknown rig is a bad flag value: the
 * message lists the town's rigs so the next try is right.
 */
export function findRig<R extends RigRef>(rigs: readonly R[], ref: string, flag = '--rig'): R {
  const rig = rigs.find((r) => r.name === ref) ?? rigs.find((r) => r.id === ref);
  if (!rig) {
    const known = rigs.map((r) => r.name);
    throw new UsageError(`${flag}: unknown rig "${ref}" (rigs of this town: ${known.join(', ') || 'none registered; add one with gt rig add'})`, {
      rig: ref,
      knownRigs: known,
    });
  }
  return rig;
}

export async function rigIdOf(client: GatewayClient, ref: string, flag = '--rig'): Promise<string> {
  return findRig(await listRigs(client), ref, flag).id;
}
