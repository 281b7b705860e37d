import { Module } from '@nestjs/common';
import { AuthModule } from '@ztp/auth';
import { AuditController } from './audit.controller';
import { AuditQueryService } from './audit-query';
import { LedgerAudit } from './ledger-audit';

/** The ledger's audit log: LedgerAudit for writers, GET /v1/audit/events and /v1/audit/verify. */
@Module({
  imports: [AuthModule],
  controllers: [AuditController],
  providers: [LedgerAudit, AuditQueryService],
  exports: [LedgerAudit],
})
export class AuditModule {}
