import { z } from 'zod';

/**
 * One JetStream message = one decision. Every event a decision produced is stored in one
 * message so readers see all of it or nothing. When the decision is larger than the server's
 * message limit, the events go to the object store first and the message carries the
 * reference; the message is still the single moment the decision becomes visible.
 */
const CommitBase = z.object({
  v: z.literal(1),
  /** The command id that produced this decision. */
  commitId: z.string().min(1),
  /** The subject's last sequence the writer expected: readers use it to detect gaps. */
  prevSeq: z.number().int().nonnegative(),
  eventCount: z.number().int().positive(),
});

export const InlineCommit = CommitBase.extend({ events: z.array(z.unknown()).min(1) });
export const OverflowCommit = CommitBase.extend({
  payload: z.object({ bucket: z.string().min(1), name: z.string().min(1), size: z.number().int().positive(), sha256: z.string() }),
});
export const Commit = z.union([InlineCommit, OverflowCommit]);
export type Commit = z.infer<typeof Commit>;
export type InlineCommit = z.infer<typeof InlineCommit>;
export type OverflowCommit = z.infer<typeof OverflowCommit>;
