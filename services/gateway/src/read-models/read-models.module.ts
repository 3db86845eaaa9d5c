import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { prepareReadModelSchema } from '../migrations/migrations.lock';
import { ensureDatabase, initializeReadModelDataSource, readModelDataSourceOptions } from './read-models.datasource';

/**
 * The read-model DataSource for the whole app; the schema is never synchronized. Migrations run
 * at start under the advisory lock, or are left to the migrations Job (GATEWAY_MIGRATIONS).
 */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [GATEWAY_OPTIONS],
      useFactory: async (options: GatewayOptions) => {
        const mode = options.migrations ?? 'run';
        if (mode !== 'skip') await ensureDatabase(options.databaseUrl);
        await prepareReadModelSchema(options.databaseUrl, mode);
        return readModelDataSourceOptions(options.databaseUrl, { poolMax: options.databasePoolMax });
      },
      dataSourceFactory: async (options?: DataSourceOptions) => {
        if (!options) throw new Error('read-model DataSource options are missing');
        return initializeReadModelDataSource(new DataSource(options));
      },
    }),
  ],
})
export class ReadModelsModule {}
