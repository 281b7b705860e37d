import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions, type DatabaseConnectionOptions } from './data-source';

/**
 * The TypeORM data source of one app (global: inject `DataSource`, or use
 * `TypeOrmModule.forFeature([SomeEntity])` + `@InjectRepository(SomeEntity)` in a feature module).
 * The data source is destroyed in Nest's application-shutdown phase, after the HTTP server closed.
 */
@Module({})
export class PersistenceModule {
  static forRoot(options: DatabaseConnectionOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        // forRootAsync: forRoot records the default data-source name in a process-wide registry and
        // warns about "duplicates" when the launcher hosts several apps (separate Nest containers).
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...buildDataSourceOptions(options),
            // Fail fast at start rather than retry for half a minute; the orchestrator restarts us.
            retryAttempts: 2,
            retryDelay: 1000,
          }),
        }),
      ],
    };
  }
}
