import { execute, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { GatewayContext, QueryDeadline, RequestLoaders } from '../graphql/graphql.context';
import { formatGraphQLError } from '../graphql/graphql.errors';
import { countObjects } from '../graphql/graphql.fair-share';
import { serialiseInSlices } from '../graphql/graphql.response';
import { TimeSlicer } from '../graphql/graphql.time-slice';
import type { HeavyRead, HeavyReadAnswer } from './heavy-reads.protocol';

/**
 * Executes an admitted heavy read the way Apollo would in the main thread: same schema, same
 * per-request loaders, deadline and error formatting. In time slices still, so the heavy reads of
 * several towns sharing a worker take turns.
 */
export async function executeHeavyRead(schema: GraphQLSchema, read: HeavyRead): Promise<HeavyReadAnswer> {
  const slicer = new TimeSlicer();
  const context: GatewayContext = { town: read.town, loaders: new RequestLoaders(), deadline: new QueryDeadline(), slicer };
  context.deadline.start(read.deadlineMs);
  const result = await execute({
    schema,
    document: parse(read.query),
    variableValues: read.variables,
    operationName: read.operationName,
    contextValue: context,
  });
  if (context.deadline.exceeded) {
    // One error for the request, not one per field that was cut off, as in the main thread.
    const { message, extensions } = context.deadline.error();
    return { id: read.id, dataJson: 'null', errors: [{ message, extensions: { ...extensions } }], objects: 0 };
  }
  const errors: GraphQLFormattedError[] | undefined = result.errors?.map((error) => formatGraphQLError(error.toJSON(), error));
  const dataJson = result.data === undefined ? null : await serialiseInSlices(result.data, slicer);
  return { id: read.id, dataJson, ...(errors ? { errors } : {}), objects: await countObjects(result.data ?? null, slicer) };
}
