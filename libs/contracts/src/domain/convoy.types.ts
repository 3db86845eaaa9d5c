import { z } from 'zod';

export const MergeMode = z.enum(['REVIEW_THEN_LAND', 'REVIEW_AND_MERGE']);
export type MergeMode = z.infer<typeof MergeMode>;

export const ConvoyStatus = z.enum(['STAGED', 'ACTIVE', 'READY_TO_LAND', 'LANDING', 'LANDED', 'FAILED', 'CANCELLED']);
export type ConvoyStatus = z.infer<typeof ConvoyStatus>;

export const BeadStatus = z.enum(['OPEN', 'IN_PROGRESS', 'IN_REVIEW', 'CLOSED', 'FAILED', 'CANCELLED']);
export type BeadStatus = z.infer<typeof BeadStatus>;

export const TERMINAL_CONVOY_STATUSES: readonly ConvoyStatus[] = ['LANDED', 'CANCELLED'];
export const TERMINAL_BEAD_STATUSES: readonly BeadStatus[] = ['CLOSED', 'FAILED', 'CANCELLED'];

export const Actor = z.object({
  kind: z.enum(['user', 'service', 'agent', 'system']),
  id: z.string().min(1).max(200),
});
export type Actor = z.infer<typeof Actor>;

export const AgentRef = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(100),
});
export type AgentRef = z.infer<typeof AgentRef>;

/** Error codes shared by command replies and the GraphQL API. */
export const ErrorCode = z.enum(['BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'UNAUTHENTICATED', 'UNAVAILABLE', 'INTERNAL']);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Beads of a convoy per bucket; the buckets partition `total` (`blocked`: OPEN but held upstream). */
export interface ConvoyProgress {
  total: number;
  open: number;
  inProgress: number;
  inReview: number;
  closed: number;
  failed: number;
  cancelled: number;
  blocked: number;
}

export function emptyProgress(): ConvoyProgress {
  return { total: 0, open: 0, inProgress: 0, inReview: 0, closed: 0, failed: 0, cancelled: 0, blocked: 0 };
}
