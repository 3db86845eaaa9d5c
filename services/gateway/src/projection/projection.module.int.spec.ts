import { Global, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { connectBus, deleteTopology, EventStore, type Bus } from '@gastown/bus';
import { createTestDatabase, TEST_NATS_URL, testNamespace, type TestDatabase } from '@gastown/testing';
import type { DataSource } from 'typeorm';
import { BUS } from '../bus/bus.module';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { READ_MODEL_MIGRATIONS } from '../read-models/read-models.datasource';
import { FixtureClock, TownFixture } from './projection.fixtures';
import { ProjectionModule } from './projection.module';
import { ProjectionRunner } from './projection.runner';
import { ReadModelWaiter } from './read-model.waiter';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ProjectionModule', () => {
  let db: TestDatabase;
  let app: TestingModule;
  let bus: Bus;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The module must create a missing database itself, as on a fresh machine.
    await db.drop();
    const options: GatewayOptions = { databaseUrl: db.url, natsUrl: TEST_NATS_URL, namespace: testNamespace() };

    @Global()
    @Module({ providers: [{ provide: GATEWAY_OPTIONS, useValue: options }], exports: [GATEWAY_OPTIONS] })
    class OptionsModule {}

    app = await Test.createTestingModule({ imports: [OptionsModule, ProjectionModule] }).compile();
    app.useLogger(false);
    await app.init();
    bus = await connectBus({ servers: TEST_NATS_URL, namespace: options.namespace, name: 'module-spec', logger: quiet });
  });

  afterAll(async () => {
    await app.close();
    await deleteTopology(bus);
    await bus.close();
    await db.drop();
  });

  it('given the app is up, then a commit appended to its namespace is in the read models once the waiter resolves', async () => {
    const town = new TownFixture(bus.names.namespace, new FixtureClock());
    const commit = town.created('module town');
    const { seq } = await new EventStore(bus).append(commit.subject, { commitId: commit.commitId, expectedSeq: 0, events: commit.events });

    await app.get(ReadModelWaiter).waitFor(commit.subject, seq);

    const ds = app.get<DataSource>(getDataSourceToken());
    expect(await ds.query(`SELECT name FROM towns WHERE id = $1`, [town.townId])).toEqual([{ name: 'module town' }]);
    expect(await ds.query(`SELECT count(*)::int AS n FROM read_model_migrations`)).toEqual([{ n: READ_MODEL_MIGRATIONS.length }]);
    expect(app.get<Bus>(BUS).names.namespace).toBe(bus.names.namespace);
    expect(await app.get(ProjectionRunner).holds()).toEqual([]);
  });
});
