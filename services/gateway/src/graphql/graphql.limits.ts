import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, NestMiddleware } from '@nestjs/common';
import {
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  SelectionSetNode,
  ValidationRule,
} from 'graphql';

export const MAX_QUERY_DEPTH = 10;
/** Operations are short; large inputs (a 10,000-task plan) belong in variables, which only the body limit bounds. */
export const MAX_QUERY_CHARS = 100_000;
/** Bounds parser work for documents that stay under the size limit but are dense (aliases, tiny fields). */
export const MAX_QUERY_TOKENS = 20_000;
/** A 10,000-task slingBatch with real task bodies, sent as variables. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Rejects operations nested deeper than `maxDepth` fields, counting through fragments.
 * Introspection fields are not counted: tools' introspection queries are deep by nature and cheap.
 */
export function maxDepthRule(maxDepth: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    // Memoized so that a fragment spread many times is measured once.
    const fragmentDepth = new Map<string, number>();
    const depthOf = (selectionSet: SelectionSetNode, visiting: Set<string>): number => {
      let max = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          max = Math.max(max, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, visiting) : 0));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          max = Math.max(max, depthOf(selection.selectionSet, visiting));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // Unknown and cyclic fragments are reported by the standard rules.
          if (!fragment || visiting.has(name)) continue;
          if (!fragmentDepth.has(name)) {
            visiting.add(name);
            fragmentDepth.set(name, depthOf(fragment.selectionSet, visiting));
            visiting.delete(name);
          }
          max = Math.max(max, fragmentDepth.get(name) ?? 0);
        }
      }
      return max;
    };
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`the operation is ${depth} fields deep; at most ${maxDepth} are allowed`, { nodes: [operation] }),
          );
        }
      },
    };
  };
}

/** The parsed JSON body sits on the request once the body parser ran. */
type GraphQLHttpRequest = IncomingMessage & { body?: unknown };

function queryTexts(req: GraphQLHttpRequest): unknown[] {
  if (req.method === 'GET') return [new URL(req.url ?? '/', 'http://gateway').searchParams.get('query')];
  const body = req.body;
  const queryOf = (item: unknown) => (item as { query?: unknown } | null | undefined)?.query;
  return Array.isArray(body) ? body.map(queryOf) : [queryOf(body)];
}

/** Answers before Apollo parses anything, in the same error shape as every other GraphQL error. */
@Injectable()
export class QuerySizeMiddleware implements NestMiddleware<GraphQLHttpRequest, ServerResponse> {
  use(req: GraphQLHttpRequest, res: ServerResponse, next: () => void): void {
    const tooLong = queryTexts(req).some((q) => typeof q === 'string' && q.length > MAX_QUERY_CHARS);
    if (!tooLong) return next();
    res.statusCode = 413;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({
        errors: [
          {
            message: `the query text exceeds ${MAX_QUERY_CHARS} characters; pass large values as variables`,
            extensions: { code: 'BAD_USER_INPUT' },
          },
        ],
      }),
    );
  }
}
