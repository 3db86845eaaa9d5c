import { z } from 'zod';
import { RigCredentials } from '../domain/rig.credentials';

/** The gateway asks a git-runner, before a rig is registered, whether this town may use the remote. */
export const RigProbeRequest = z
  .object({
    townId: z.uuid(),
    gitUrl: z.string().min(1).max(2000),
    defaultBranch: z.string().min(1).max(255),
    /** The rig the credentials are sealed for: the runner opens them for this town's rig only. */
    rigId: z.uuid().optional(),
    /** The credentials offered with the registration or rotation, sealed; absent: the remote must answer without any. */
    credentials: RigCredentials.optional(),
  })
  .refine((request) => request.credentials === undefined || request.rigId !== undefined, {
    message: 'credentials are sealed for a rig: rigId is required with them',
  });
export type RigProbeRequest = z.infer<typeof RigProbeRequest>;

/**
 * `ok` once the URL passed the runner's policy, the remote answered and it has the branch; the
 * runner then owns the repository for the town when it is local. Otherwise the field at fault
 * and a message the town can act on (it never holds the URL's or the rig's credentials).
 */
export const RigProbeReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }),
  z.object({
    ok: z.literal(false),
    field: z.enum(['gitUrl', 'defaultBranch', 'credentials']),
    message: z.string(),
  }),
]);
export type RigProbeReply = z.infer<typeof RigProbeReply>;

/** The value of a key in the repository owners bucket: the town that registered the local repository first. */
export const RepositoryOwner = z.object({
  townId: z.uuid(),
  /** The repository's real git directory, for the operator reading the bucket. */
  gitDir: z.string(),
  claimedAt: z.iso.datetime(),
});
export type RepositoryOwner = z.infer<typeof RepositoryOwner>;
