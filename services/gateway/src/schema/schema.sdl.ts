import { resolve } from 'node:path';
import type { DynamicModule, ForwardReference, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { AppModule } from '../app.module';
import type { GatewayConfig } from '../config/gateway.config';

/** The committed SDL: what clients and reviewers read, and what CI compares with the code. */
export const SCHEMA_FILE = resolve(__dirname, '../../schema.graphql');

/** The one way the SDL is printed, for the committed file and for the running server alike. */
export function printSdl(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

/**
 * Walking the module tree only reads decorator metadata: nothing is instantiated, so the
 * configuration below never reaches a database or a NATS server.
 */
const UNUSED_CONFIG: GatewayConfig = {
  port: 0,
  databaseUrl: 'postgres://unused',
  natsUrl: 'nats://unused',
  namespace: 'gt',
  readModelWaitMs: 1,
  dashboardDir: null,
};

type ModuleRef = Type | DynamicModule | ForwardReference | Promise<DynamicModule>;

function isForwardReference(ref: ModuleRef): ref is ForwardReference {
  return typeof ref === 'object' && 'forwardRef' in ref;
}

/** Every class a module of the gateway provides; the schema factory keeps the resolvers among them. */
async function providedClasses(root: ModuleRef): Promise<Type[]> {
  const seen = new Set<unknown>();
  const classes = new Set<Type>();
  const resolveRef = async (ref: ModuleRef): Promise<Type | DynamicModule> =>
    isForwardReference(ref) ? resolveRef(ref.forwardRef() as ModuleRef) : await ref;
  const visit = async (ref: ModuleRef): Promise<void> => {
    const module = await resolveRef(ref);
    if (seen.has(module)) return;
    seen.add(module);
    const dynamic: DynamicModule = typeof module === 'function' ? { module } : module;
    const imports: ModuleRef[] = [...(Reflect.getMetadata('imports', dynamic.module) ?? []), ...(dynamic.imports ?? [])];
    const providers: Provider[] = [...(Reflect.getMetadata('providers', dynamic.module) ?? []), ...(dynamic.providers ?? [])];
    for (const provider of providers) {
      if (typeof provider === 'function') classes.add(provider);
      else if ('useClass' in provider) classes.add(provider.useClass);
    }
    for (const imported of imports) if (imported) await visit(imported);
  };
  await visit(root);
  return [...classes];
}

/** Builds the gateway's schema from its resolvers without starting the gateway. */
export async function buildGatewaySchemaSdl(): Promise<string> {
  const resolvers = await providedClasses(AppModule.forRoot(UNUSED_CONFIG));
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, { logger: false });
  try {
    return printSdl(await app.get(GraphQLSchemaFactory).create(resolvers));
  } finally {
    await app.close();
  }
}

/**
 * Null when the committed SDL matches the code; otherwise what to do and the lines that differ
 * ("-" only in the committed file, "+" only in the code), so a stale file is fixed in one step.
 */
export function describeSchemaDrift(committed: string | null, built: string): string | null {
  if (committed === built) return null;
  const howToFix = 'services/gateway/schema.graphql is stale: run `npm run schema` and commit the result.';
  if (committed === null) return `${howToFix}\n(the file does not exist)`;
  const changes = lineDiff(committed.split('\n'), built.split('\n')).filter((line) => !line.startsWith('  '));
  return `${howToFix}\n${changes.join('\n')}`;
}

/**
 * A longest-common-subsequence diff: "  " kept, "- " only before, "+ " only after. Schemas are a
 * few thousand lines, so the table stays small.
 */
export function lineDiff(before: readonly string[], after: readonly string[]): string[] {
  const rows = before.length;
  const cols = after.length;
  const common: Uint32Array[] = Array.from({ length: rows + 1 }, () => new Uint32Array(cols + 1));
  for (let i = rows - 1; i >= 0; i--) {
    for (let j = cols - 1; j >= 0; j--) {
      common[i][j] = before[i] === after[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < rows || j < cols) {
    if (i < rows && j < cols && before[i] === after[j]) {
      out.push(`  ${before[i]}`);
      i++;
      j++;
    } else if (j < cols && (i === rows || common[i][j + 1] >= common[i + 1][j])) {
      out.push(`+ ${after[j++]}`);
    } else {
      out.push(`- ${before[i++]}`);
    }
  }
  return out;
}
