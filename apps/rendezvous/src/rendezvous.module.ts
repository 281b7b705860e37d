import { Module } from '@nestjs/common';
import { RendezvousAdminModule } from './admin/rendezvous-admin.module';
import { RendezvousFdoModule } from './fdo/rendezvous-fdo.module';
import { SztpRedirectModule } from './sztp/sztp-redirect.module';

/**
 * The rendezvous app's own modules and controllers (the platform adds health, metrics, info, docs).
 * A new controller: declare it in a feature module and import that module here.
 */
@Module({ imports: [RendezvousFdoModule, RendezvousAdminModule, SztpRedirectModule] })
export class RendezvousModule {}
