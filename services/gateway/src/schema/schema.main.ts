/**
 * Writes the gateway's schema to services/gateway/schema.graphql (`npm run schema`). Needs no
 * database and no NATS: the schema comes from the resolvers' decorators.
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { buildGatewaySchemaSdl, SCHEMA_FILE } from './schema.sdl';

async function main(): Promise<void> {
  await writeFile(SCHEMA_FILE, await buildGatewaySchemaSdl());
  process.stdout.write(`wrote ${relative(process.cwd(), SCHEMA_FILE)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`schema export failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
