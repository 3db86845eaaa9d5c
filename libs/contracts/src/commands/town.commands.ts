import { z } from 'zod';
import { RigConfigInput } from '../domain/rig.config';
import { CommandMeta } from './command.envelope';

export const CreateTown = CommandMeta.extend({
  type: z.literal('CreateTown'),
  data: z.object({ name: z.string(), tokenHash: z.string().regex(/^[0-9a-f]{64}$/) }),
});

export const RegisterRig = CommandMeta.extend({
  type: z.literal('RegisterRig'),
  data: z.object({
    rigId: z.uuid(),
    name: z.string(),
    gitUrl: z.string(),
    defaultBranch: z.string(),
    config: RigConfigInput.optional(),
  }),
});

export const TownCommand = z.discriminatedUnion('type', [CreateTown, RegisterRig]);
export type TownCommand = z.infer<typeof TownCommand>;
