import { z } from 'zod';
import { Actor, ErrorCode } from '../domain/convoy.types';

export const CommandMeta = z.object({
  /** Idempotency key: a repeat returns the first result and appends nothing. */
  commandId: z.string().min(1).max(200),
  townId: z.uuid(),
  actor: Actor,
  correlationId: z.string().min(1).max(200).optional(),
  causationId: z.string().min(1).max(200).optional(),
});
export type CommandMeta = z.infer<typeof CommandMeta>;

/** A specific, user-facing error; details point at the offending input (path, cycle, value). */
export const CommandError = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type CommandError = z.infer<typeof CommandError>;

export const CommandReply = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    /** The aggregate the command touched. */
    townId: z.uuid(),
    convoyId: z.uuid().nullable(),
    /** Subject and stream sequence of the decision; readers wait for this to be projected. */
    subject: z.string(),
    seq: z.number().int().nonnegative(),
    /** True when the command id had been seen: nothing was appended this time. */
    duplicate: z.boolean(),
    /** Ids the decision created (bead ids of a new convoy, and so on). */
    result: z.record(z.string(), z.unknown()),
  }),
  z.object({ ok: z.literal(false), error: CommandError }),
]);
export type CommandReply = z.infer<typeof CommandReply>;
export type CommandSuccess = Extract<CommandReply, { ok: true }>;
