import type { RigRef } from '@gastown/gateway-client';

/** A rig named in a tool's arguments that the town does not have; carries the town's rigs for the explanation. */
export class UnknownRigError extends Error {
  constructor(
    readonly ref: string,
    readonly rigs: readonly RigRef[],
  ) {
    super(`unknown rig "${ref}"`);
    this.name = 'UnknownRigError';
  }
}

/** Models name rigs the way people do; ids work too, as in plan files. */
export function findRig(rigs: readonly RigRef[], ref: string): RigRef {
  const rig = rigs.find((r) => r.name === ref) ?? rigs.find((r) => r.id === ref);
  if (!rig) throw new UnknownRigError(ref, rigs);
  return rig;
}
