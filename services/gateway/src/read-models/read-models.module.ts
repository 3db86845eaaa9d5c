import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { GATEWAY_OPTIONS, type GatewayOptions } from '../gateway.options';
import { ensureDatabase, initializeReadModelDataSource, readModelDataSourceOptions } from './read-models.datasource';

/** The read-model DataSource for the whole app; migrations run at start, the schema is never synchronized. */
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [GATEWAY_OPTIONS],
      useFactory: async (options: GatewayOptions) => {
        await ensureDatabase(options.databaseUrl);
        return { ...readModelDataSourceOptions(options.databaseUrl), migrationsRun: true };
      },
      dataSourceFactory: async (options?: DataSourceOptions) => {
        if (!options) throw new Error('read-model DataSource options are missing');
        return initializeReadModelDataSource(new DataSource(options));
      },
    }),
  ],
})
export class ReadModelsModule {}
