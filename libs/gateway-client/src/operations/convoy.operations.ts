import type { BeadStatus, ConvoyProgress, ConvoyStatus } from '@gastown/contracts';
import type { GatewayClient } from '../client/gateway.client';
import type { SlingBatchInput } from '../plan/plan.resolver';

export type { BeadStatus, ConvoyProgress, ConvoyStatus } from '@gastown/contracts';

export interface ConvoySummary {
  id: string;
  title: string;
  status: ConvoyStatus;
  mergeMode: 'REVIEW_THEN_LAND' | 'REVIEW_AND_MERGE';
  staged: boolean;
  featureBranch: string | null;
  createdAt: string;
  updatedAt: string;
  landedAt: string | null;
  landedCommit: string | null;
  failureReason: string | null;
  cancelReason: string | null;
  /** The projector cannot apply one of its messages: what it shows stops there until the operator releases it. */
  held: boolean;
  heldReason: string | null;
  heldSince: string | null;
  progress: ConvoyProgress;
}

export interface BeadSummary {
  id: string;
  index: number;
  title: string;
  status: BeadStatus;
  rigId: string;
  ready: boolean;
  blocked: boolean;
  blockedReason: string | null;
  assignee: string | null;
  branch: string | null;
  attemptCount: number;
  lastReason: string | null;
  mergeCommit: string | null;
  /** Its merge push was granted and is not recorded yet: git may already hold it. */
  mergeUnderWay: boolean;
  blockedBy: { id: string }[];
}

/** One rig's landing of a REVIEW_THEN_LAND convoy; every rig has one, never reset by a new attempt. */
export interface RigLanding {
  rigId: string;
  /** PUSHING: its push was granted and is not recorded yet. */
  status: 'LANDED' | 'PENDING' | 'PUSHING' | 'FAILED';
  /** The landing commit on the rig's default branch; null until LANDED. */
  commit: string | null;
  /** Why the last attempt failed on this rig (FAILED only). */
  reason: string | null;
}

/** A bead whose merge push was granted before its convoy was closed. */
export interface MergeUnderWay {
  id: string;
  index: number;
  title: string;
  /** IN_REVIEW while the push is under way; CLOSED once merged, CANCELLED when the push failed. */
  status: BeadStatus;
}

export interface ConvoyDetail extends ConvoySummary {
  landings: RigLanding[];
  /**
   * What a close could not call back: merges and landings whose push was granted before it, which
   * still land. After closeConvoy, every one its close found; later, those not recorded yet.
   */
  mergesUnderWay: MergeUnderWay[];
  landingsUnderWay: RigLanding[];
  waves: string[][];
  beads: BeadSummary[];
}

export const CONVOY_FIELDS = `id title status mergeMode staged featureBranch createdAt updatedAt landedAt landedCommit failureReason cancelReason held heldReason heldSince
  progress { total open inProgress inReview closed failed cancelled blocked }`;

export const BEAD_FIELDS = `id index title status rigId ready blocked blockedReason assignee branch attemptCount lastReason mergeCommit mergeUnderWay blockedBy { id }`;

const LANDING_FIELDS = 'rigId status commit reason';

/** The convoy's own fields; its beads are read in pages (readBeads). */
const DETAIL_FIELDS = `${CONVOY_FIELDS} landings { ${LANDING_FIELDS} } mergesUnderWay { id index title status } landingsUnderWay { ${LANDING_FIELDS} } waves`;

/**
 * Beads per page: a hundred, each with up to 50 blockers, stay within the gateway's default query
 * budget (GATEWAY_MAX_QUERY_COST, 10,000), whatever the convoy's size.
 */
export const BEADS_PAGE = 100;

const BEADS_PAGE_QUERY = `query ($id: ID!, $first: Int!, $after: ID) { convoy(id: $id) { beads(first: $first, after: $after) { ${BEAD_FIELDS} } } }`;

/** The convoy's beads after `after` (from the first with null), read page by page. */
async function readBeads(client: GatewayClient, id: string, after: string | null): Promise<BeadSummary[]> {
  const beads: BeadSummary[] = [];
  for (let from = after; ; ) {
    const { convoy } = await client.request<{ convoy: { beads: BeadSummary[] } }>(BEADS_PAGE_QUERY, { id, first: BEADS_PAGE, after: from });
    beads.push(...convoy.beads);
    if (convoy.beads.length < BEADS_PAGE) return beads;
    from = convoy.beads[convoy.beads.length - 1].id;
  }
}

export async function listConvoys(
  client: GatewayClient,
  filter: { status?: ConvoyStatus; rigId?: string; first?: number; after?: string } = {},
): Promise<{ convoys: ConvoySummary[]; totalCount: number; endCursor: string | null; hasNextPage: boolean }> {
  const data = await client.request<{
    convoys: { edges: { node: ConvoySummary }[]; totalCount: number; pageInfo: { endCursor: string | null; hasNextPage: boolean } };
  }>(
    `query ($status: ConvoyStatus, $rigId: ID, $first: Int, $after: String) {
      convoys(status: $status, rigId: $rigId, first: $first, after: $after) {
        edges { node { ${CONVOY_FIELDS} } } totalCount pageInfo { endCursor hasNextPage }
      }
    }`,
    { status: filter.status, rigId: filter.rigId, first: filter.first ?? 20, after: filter.after },
  );
  return {
    convoys: data.convoys.edges.map((e) => e.node),
    totalCount: data.convoys.totalCount,
    ...data.convoys.pageInfo,
  };
}

export async function convoyStatus(client: GatewayClient, id: string): Promise<ConvoyDetail> {
  const { convoy } = await client.request<{ convoy: ConvoyDetail }>(
    `query ($id: ID!, $first: Int!) { convoy(id: $id) { ${DETAIL_FIELDS} beads(first: $first) { ${BEAD_FIELDS} } } }`,
    { id, first: BEADS_PAGE },
  );
  if (convoy.beads.length < BEADS_PAGE) return convoy;
  return { ...convoy, beads: [...convoy.beads, ...(await readBeads(client, id, convoy.beads[convoy.beads.length - 1].id))] };
}

export async function slingBatch(client: GatewayClient, input: SlingBatchInput): Promise<ConvoyDetail> {
  const data = await client.request<{ slingBatch: ConvoyDetail }>(
    `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { ${DETAIL_FIELDS} } }`,
    { input },
  );
  return { ...data.slingBatch, beads: await readBeads(client, data.slingBatch.id, null) };
}

export interface SlingInput {
  title: string;
  body?: string;
  rigId: string;
  mergeMode?: 'REVIEW_THEN_LAND' | 'REVIEW_AND_MERGE';
  staged?: boolean;
  commandId?: string;
}

export async function sling(client: GatewayClient, input: SlingInput): Promise<ConvoyDetail> {
  const data = await client.request<{ sling: ConvoyDetail }>(`mutation ($input: SlingInput!) { sling(input: $input) { ${DETAIL_FIELDS} } }`, {
    input,
  });
  return { ...data.sling, beads: await readBeads(client, data.sling.id, null) };
}

export async function startConvoy(client: GatewayClient, id: string, commandId?: string): Promise<ConvoyDetail> {
  const data = await client.request<{ startConvoy: ConvoyDetail }>(
    `mutation ($id: ID!, $commandId: String) { startConvoy(id: $id, commandId: $commandId) { ${DETAIL_FIELDS} } }`,
    { id, commandId },
  );
  return { ...data.startConvoy, beads: await readBeads(client, data.startConvoy.id, null) };
}

export async function closeConvoy(client: GatewayClient, id: string, reason: string, commandId?: string): Promise<ConvoyDetail> {
  const data = await client.request<{ closeConvoy: ConvoyDetail }>(
    `mutation ($id: ID!, $reason: String!, $commandId: String) { closeConvoy(id: $id, reason: $reason, commandId: $commandId) { ${DETAIL_FIELDS} } }`,
    { id, reason, commandId },
  );
  return { ...data.closeConvoy, beads: await readBeads(client, data.closeConvoy.id, null) };
}

/**
 * Lands the rigs a FAILED landing did not land, once its cause is fixed; rigs that LANDED stay as
 * they are and no bead runs again. CONFLICT (with the reason) unless the convoy's landing FAILED.
 */
export async function retryLanding(client: GatewayClient, convoyId: string, commandId?: string): Promise<ConvoyDetail> {
  const data = await client.request<{ retryLanding: ConvoyDetail }>(
    `mutation ($convoyId: ID!, $commandId: String) { retryLanding(convoyId: $convoyId, commandId: $commandId) { ${DETAIL_FIELDS} } }`,
    { convoyId, commandId },
  );
  return { ...data.retryLanding, beads: await readBeads(client, data.retryLanding.id, null) };
}

/** The sequence of the convoy's newest decision: following from it misses nothing and repeats nothing. */
export async function convoySequence(client: GatewayClient, id: string): Promise<number> {
  return (await client.request<{ convoy: { sequence: number } }>(`query ($id: ID!) { convoy(id: $id) { sequence } }`, { id })).convoy.sequence;
}

export interface ConvoyChange {
  sequence: number;
  convoyId: string;
  events: { sequence: number; index: number; type: string; occurredAt: string; summary: string; beadIds: string[] }[];
  convoy: ConvoySummary;
}

/** The subscription document for one convoy (or all of the town without convoyId), resumable by sequence. */
export const CONVOY_CHANGED = `subscription ($convoyId: ID, $afterSequence: Float) {
  convoyChanged(convoyId: $convoyId, afterSequence: $afterSequence) {
    sequence convoyId events { sequence index type occurredAt summary beadIds } convoy { ${CONVOY_FIELDS} }
  }
}`;

/**
 * Follows a convoy's changes, resuming after the last sequence seen whenever the connection
 * comes back, so a watcher never misses the change that lands the convoy.
 */
export function watchConvoy(
  client: GatewayClient,
  convoyId: string | undefined,
  sink: { next(change: ConvoyChange): void; error(error: Error): void; reconnecting?(): void; connected?(): void },
  afterSequence?: number,
) {
  let last = afterSequence;
  return client.subscribe<{ convoyChanged: ConvoyChange }>(
    CONVOY_CHANGED,
    () => ({ convoyId, afterSequence: last }),
    {
      next: ({ convoyChanged }) => {
        last = convoyChanged.sequence;
        sink.next(convoyChanged);
      },
      error: (error) => sink.error(error),
      reconnecting: () => sink.reconnecting?.(),
      connected: () => sink.connected?.(),
    },
  );
}
