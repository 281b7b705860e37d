import { Module } from '@nestjs/common';
import { RendezvousFdoModule } from './fdo/rendezvous-fdo.module';

/**
 * The rendezvous app's own modules and controllers (the platform adds health, metrics, info, docs).
 * A new controller: declare it in a feature module and import that module here.
 */
@Module({ imports: [RendezvousFdoModule] })
export class RendezvousModule {}
