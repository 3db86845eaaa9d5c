import { registerEnumType } from '@nestjs/graphql';
import { BeadStatus, ConvoyStatus, MergeMode } from '@gastown/contracts';

/** The GraphQL enums are the contract enums, value for value, so nothing translates between them. */
function enumObject<T extends string>(values: readonly T[]): Record<T, T> {
  return Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;
}

export const ConvoyStatusEnum = enumObject(ConvoyStatus.options);
export const BeadStatusEnum = enumObject(BeadStatus.options);
export const MergeModeEnum = enumObject(MergeMode.options);
export const RIG_LANDING_STATUSES = ['PENDING', 'PUSHING', 'LANDED', 'FAILED'] as const;
export type RigLandingStatus = (typeof RIG_LANDING_STATUSES)[number];
export const RigLandingStatusEnum = enumObject(RIG_LANDING_STATUSES);

registerEnumType(ConvoyStatusEnum, { name: 'ConvoyStatus' });
registerEnumType(BeadStatusEnum, { name: 'BeadStatus' });
registerEnumType(RigLandingStatusEnum, {
  name: 'RigLandingStatus',
  valuesMap: {
    PENDING: { description: 'Not landed yet: waiting for, or in, its preparation, or about to push.' },
    PUSHING: {
      description:
        'Its push was granted and git may already hold it: LANDED follows once it is recorded, FAILED if the push fails. In a CANCELLED convoy it still lands (Convoy.landingsUnderWay).',
    },
    LANDED: { description: "The rig's default branch holds the landing; it stays landed whatever happens to the other rigs." },
    FAILED: { description: "The last attempt failed on this rig (reason says why); nothing of this attempt was pushed to it." },
  },
});
registerEnumType(MergeModeEnum, {
  name: 'MergeMode',
  valuesMap: {
    REVIEW_THEN_LAND: { description: 'Beads merge into a feature branch per rig; the convoy lands it at the end.' },
    REVIEW_AND_MERGE: { description: 'Each bead merges into the default branch once reviewed; no feature branch.' },
  },
});
