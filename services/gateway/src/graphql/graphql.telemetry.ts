import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { execute, getOperationAST, subscribe, type DocumentNode, type ExecutionArgs, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { counter, histogram, secondsSince, withLogFields } from '@gastown/bus';
import { provenTownOf } from '../auth/auth.middleware';
import type { GatewayContext } from './graphql.context';
import { firstRootField } from './graphql.cost';

const operationDuration = histogram('gastown_graphql_operation_duration_seconds');
const operationCost = histogram('gastown_graphql_operation_cost');
const subscriptionStarts = counter('gastown_graphql_subscription_starts_total');

/** An error code as the API names them (BAD_USER_INPUT, RATE_LIMITED…); anything else counts as ERROR, so the label stays bounded. */
const CODE = /^[A-Z][A-Z_]{0,39}$/;

/**
 * The labels of an operation: its type and the schema name of its first root field. Both are
 * bounded by the schema (the document was validated against it), never by what a client names:
 * operation names and aliases are left out.
 */
export function operationLabels(document: DocumentNode | undefined, operation: OperationDefinitionNode | undefined): { operation: string; field: string } {
  if (!document || !operation) return { operation: 'unknown', field: 'unknown' };
  return { operation: operation.operation, field: firstRootField(document, operation) ?? 'unknown' };
}

/** The outcome of an answer: ok, or the first error's code. */
export function outcomeOf(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string {
  if (!errors || errors.length === 0) return 'ok';
  const code = errors[0].extensions?.['code'];
  return typeof code === 'string' && CODE.test(code) ? code : 'ERROR';
}

/** Records the static cost of an operation the fair share admitted. */
export function observeAdmittedCost(labels: { operation: string; field: string }, cost: number): void {
  operationCost.observe(labels, cost);
}

/**
 * Times every GraphQL operation over HTTP by type, first root field and outcome, and names the
 * request's span after them (e.g. `graphql mutation slingBatch`).
 */
export function telemetryPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      let labels = { operation: 'unknown', field: 'unknown' };
      return {
        async didResolveOperation({ document, operation }) {
          labels = operationLabels(document, operation ?? undefined);
          const span = trace.getActiveSpan();
          span?.updateName(`graphql ${labels.operation} ${labels.field}`);
          span?.setAttributes({ 'graphql.operation.type': labels.operation, 'gastown.graphql.field': labels.field });
        },
        async willSendResponse({ response, errors }) {
          const outcome = outcomeOf(errors ?? (response.body.kind === 'single' ? response.body.singleResult.errors : undefined));
          operationDuration.observe({ ...labels, outcome }, secondsSince(started));
          if (outcome !== 'ok') trace.getActiveSpan()?.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        },
      };
    },
  };
}

/**
 * A server span around each HTTP request to /graphql, continuing the caller's `traceparent` when
 * it sent one: the commands the operation sends run inside it, so the convoy service, the
 * projector, the dispatcher and the git-runner continue the same trace. Every log line the
 * request writes carries the id of the town its token proved (never the token), which the span
 * records too. Registered after the body parser, whose callbacks would lose the context.
 */
export function traceRequests(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const townId = provenTownOf(req)?.id;
  const span = trace.getTracer('gastown').startSpan(
    `${req.method ?? 'GET'} /graphql`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', ...(townId ? { 'gastown.town_id': townId } : {}) } },
    parent,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    span.end();
  });
  withLogFields({ townId }, () => context.with(trace.setSpan(parent, span), next));
}

type SocketOperationResult = ExecutionResult | AsyncIterable<ExecutionResult>;
export type SocketRun = (args: ExecutionArgs) => SocketOperationResult | Promise<SocketOperationResult>;

function isStream(result: SocketOperationResult): result is AsyncIterable<ExecutionResult> {
  return Symbol.asyncIterator in result;
}

/**
 * An operation graphql-ws runs on a socket, observed as telemetryPlugin observes one over HTTP:
 * a server span named after it (`graphql subscription convoyChanged`) around its start, in which
 * the resolver opens its stream, and log lines that carry the connection's town. A subscription
 * counts once, when it starts (ok, or the code that refused it), and its span ends there: it may
 * then live for hours, which no span or latency bucket should. A query or mutation on the socket
 * is timed like one over HTTP.
 */
async function observeSocketOperation(args: ExecutionArgs, run: SocketRun): Promise<SocketOperationResult> {
  const started = performance.now();
  const labels = operationLabels(args.document, getOperationAST(args.document, args.operationName) ?? undefined);
  const townId = (args.contextValue as Partial<GatewayContext> | undefined)?.town?.id;
  const span = trace.getTracer('gastown').startSpan(`graphql ${labels.operation} ${labels.field}`, {
    kind: SpanKind.SERVER,
    attributes: { 'graphql.operation.type': labels.operation, 'gastown.graphql.field': labels.field, 'gastown.graphql.transport': 'graphql-ws', ...(townId ? { 'gastown.town_id': townId } : {}) },
  });
  const settle = (outcome: string) => {
    if (labels.operation === 'subscription') subscriptionStarts.inc({ field: labels.field, outcome });
    else operationDuration.observe({ ...labels, outcome }, secondsSince(started));
    if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    span.end();
  };
  try {
    const result = await withLogFields({ townId }, () => context.with(trace.setSpan(context.active(), span), () => run(args)));
    settle(isStream(result) ? 'ok' : outcomeOf(result.errors));
    return result;
  } catch (error) {
    settle('ERROR');
    throw error;
  }
}

/** graphql-ws's execute and subscribe for the gateway's socket (see observeSocketOperation), around `runs`. */
export function observedSocketOperations(runs: { execute: SocketRun; subscribe: SocketRun } = { execute, subscribe }): { execute: SocketRun; subscribe: SocketRun } {
  return {
    execute: (args) => observeSocketOperation(args, runs.execute),
    subscribe: (args) => observeSocketOperation(args, runs.subscribe),
  };
}
