import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { AuditModule } from '../audit/audit.module';
import { OwnerKeyService } from './owner-key.service';
import { OwnerKeysController } from './owner-keys.controller';

/** Tenants' owner (voucher-signing) keys in key custody. */
@Module({
  imports: [AuthModule, AuditModule],
  controllers: [OwnerKeysController],
  providers: [OwnerKeyService],
  exports: [OwnerKeyService],
})
export class OwnerKeysModule {}
