import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentTenantId, RequireRoles } from '@ztp/auth';
import { DataSource } from 'typeorm';
import { type AuditPage, AuditQueryService, auditQuerySchema } from './audit-query';
import { LedgerAudit } from './ledger-audit';
import { parseRequest } from '@ztp/platform';

/** How anyone can recompute the chain from the events this endpoint lists (see ARCHITECTURE.md). */
const AUDIT_HASH_FORMULA =
  'Each event: hash = hex(SHA-256(prevHashBytes || UTF-8(canonicalJson({tenantId, seq, eventType, subject, actor, ' +
  "data, occurredAt})))), where prevHashBytes are the bytes of the previous event's hash (hex-decoded; nothing for " +
  'seq 1, whose prevHash is null), seq is the decimal string, occurredAt the UTC ISO 8601 time with milliseconds ' +
  '(e.g. 2026-01-02T03:04:05.678Z), subject and actor strings or null, and canonicalJson is JSON.stringify with the ' +
  'keys of every object sorted (by UTF-16 code units) and no whitespace. seq runs 1, 2, 3... without gaps; ' +
  'prevHash of event n is the hash of event n-1.';

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly audit: LedgerAudit,
    private readonly dataSource: DataSource,
  ) {}

  @Get('events')
  @RequireRoles('audit:read')
  @ApiOperation({
    summary: "The tenant's audit events, oldest first (hash-chained per tenant)",
    description: AUDIT_HASH_FORMULA,
  })
  @ApiQuery({ name: 'eventType', required: false })
  @ApiQuery({ name: 'subject', required: false })
  @ApiQuery({ name: 'afterSeq', required: false })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  })
  @ApiOkResponse({ description: 'A page of events and nextAfterSeq' })
  list(@CurrentTenantId() tenantId: string, @Query() query: Record<string, string>): Promise<AuditPage> {
    return this.query.list(tenantId, parseRequest(auditQuerySchema, query, 'query'));
  }

  @Get('verify')
  @RequireRoles('audit:read')
  @ApiOperation({
    summary: "Recomputes the tenant's audit hash chain",
    description:
      'valid: true, or valid: false with brokenAtSeq (the first event that does not follow) and a reason.',
  })
  @ApiOkResponse({ description: '{ valid, count, brokenAtSeq?, reason? }' })
  verify(@CurrentTenantId() tenantId: string) {
    return this.dataSource.transaction('REPEATABLE READ', (manager) => this.audit.verify(manager, tenantId));
  }
}
