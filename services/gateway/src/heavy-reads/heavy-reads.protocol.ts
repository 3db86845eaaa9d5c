import type { GraphQLFormattedError } from 'graphql';
import type { AuthenticatedTown } from '../auth/auth.service';

/** A read the main thread admitted as heavy, handed to a worker to execute. */
export interface HeavyRead {
  readonly id: number;
  readonly town: AuthenticatedTown;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly operationName: string | null;
  /** What is left of GATEWAY_QUERY_DEADLINE_MS when the worker gets it. */
  readonly deadlineMs: number;
}

/** The answer, serialised in the worker so the main thread never holds it as objects. */
export interface HeavyReadAnswer {
  readonly id: number;
  /** `data` as JSON; null when execution never started (variables that do not fit the operation). */
  readonly dataJson: string | null;
  readonly errors?: readonly GraphQLFormattedError[];
  /** Objects in `data`: what the read actually cost, charged to the town's bucket. */
  readonly objects: number;
}

export type WorkerMessage = { readonly kind: 'ready' } | { readonly kind: 'answer'; readonly answer: HeavyReadAnswer } | { readonly kind: 'failed'; readonly id: number; readonly message: string };

/**
 * `data` already serialised: the response's stringifier writes it as it is (graphql.response.ts),
 * and the fair-share plugin charges `objects` instead of walking it.
 */
export class SerialisedData {
  constructor(
    readonly json: string,
    readonly objects: number,
  ) {}
}
