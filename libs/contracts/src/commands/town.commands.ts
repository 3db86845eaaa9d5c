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
    /** Sealed by the gateway (RigCredentials): checked by the town decider, never in clear on the bus. */
    credentials: z.unknown().optional(),
  }),
});

/** Gives a registered rig credentials or replaces them (rotation); sealed like RegisterRig's. */
export const SetRigCredentials = CommandMeta.extend({
  type: z.literal('SetRigCredentials'),
  data: z.object({ rigId: z.uuid(), credentials: z.unknown() }),
});

export const ClearRigCredentials = CommandMeta.extend({
  type: z.literal('ClearRigCredentials'),
  data: z.object({ rigId: z.uuid() }),
});

/**
 * Url, events and secret are checked by the town decider, which names each problem. The secret
 * comes from the gateway already sealed (a SealedSecret): it is never in clear on the bus.
 */
export const AddWebhook = CommandMeta.extend({
  type: z.literal('AddWebhook'),
  data: z.object({
    webhookId: z.uuid(),
    url: z.string(),
    events: z.array(z.string()),
    secret: z.unknown(),
  }),
});

export const RemoveWebhook = CommandMeta.extend({
  type: z.literal('RemoveWebhook'),
  data: z.object({ webhookId: z.uuid() }),
});

export const TownCommand = z.discriminatedUnion('type', [
  CreateTown,
  RegisterRig,
  SetRigCredentials,
  ClearRigCredentials,
  AddWebhook,
  RemoveWebhook,
]);
export type TownCommand = z.infer<typeof TownCommand>;
