import { connectBus, deleteTopology } from '@gastown/bus';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { createTestDatabase, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import { createGatewayApp, type GatewayApp } from '../gateway.app';
import { buildGatewaySchemaSdl, printSdl } from './schema.sdl';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the schema export', () => {
  let db: TestDatabase;
  let gateway: GatewayApp;
  const namespace = testNamespace();

  beforeAll(async () => {
    db = await createTestDatabase();
    gateway = await createGatewayApp(
      { port: 0, databaseUrl: db.url, natsUrl: TEST_NATS_URL, namespace, readModelWaitMs: 10_000, dashboardDir: null },
      { logLevels: ['error'] },
    );
  });

  afterAll(async () => {
    await gateway?.close();
    const bus = await connectBus({ servers: TEST_NATS_URL, namespace, name: 'schema-spec-cleanup', logger: quiet });
    await deleteTopology(bus).finally(() => bus.close());
    await db?.drop();
  });

  it('given the running gateway, when its schema is printed, then it is what npm run schema writes', async () => {
    const running = printSdl(gateway.app.get(GraphQLSchemaHost).schema);

    expect(await buildGatewaySchemaSdl()).toBe(running);
  });
});
