import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { RequireOperator } from '@ztp/auth';
import { type RegisteredTo2Address, type RvRegistrationEntity } from '@ztp/persistence';
import { type Clock, CLOCK, parseRequest } from '@ztp/platform';
import { Inject } from '@nestjs/common';
import { voucherToPem } from '@ztp/protocol';
import { z } from 'zod';
import { RegistrationLookupCache } from '../registrations/registration-cache';
import { RegistrationRepository } from '../registrations/registration.repository';
import { notFound } from './problems';

const SHA256 = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')
  .transform((s) => s.toLowerCase());
const GUID = /^[0-9a-f]{32}$/;
const LIMIT_MAX = 500;

const listSchema = z.strictObject({
  ownerKeySha256: SHA256.optional(),
  manufacturerKeySha256: SHA256.optional(),
  state: z.enum(['active', 'expired']).optional(),
  /** The last GUID of the previous page. */
  cursor: z.string().regex(GUID, '32 lowercase hex digits').optional(),
  limit: z.coerce.number().int().min(1).max(LIMIT_MAX).default(100),
});

export interface RegistrationView {
  guid: string;
  active: boolean;
  registeredAt: string;
  expiresAt: string;
  requestedWaitSeconds: number;
  grantedWaitSeconds: number;
  numEntries: number;
  ownerKeySha256: string;
  manufacturerKeySha256: string;
  to2Addresses: RegisteredTo2Address[];
  sourceAddress: string;
}

export interface RegistrationDetailView extends RegistrationView {
  /** The registered ownership voucher, PEM. */
  voucherPem: string;
  /** The owner-signed to1d handed to the device, base64. */
  to1d: string;
}

/** GUIDs are shown as 32 lowercase hex digits; a UUID-style GUID is accepted too. */
function normalizeGuid(guid: string): string {
  return guid.replace(/-/g, '').toLowerCase();
}

/**
 * Rendezvous registrations (what TO0 stored and TO1 hands out): list with filters, read one,
 * delete one (the device then finds no owner until the owner registers again). Platform operators only.
 */
@ApiTags('rendezvous admin')
@Controller('v1/rendezvous/registrations')
@RequireOperator()
export class RegistrationsAdminController {
  constructor(
    private readonly registrations: RegistrationRepository,
    private readonly lookups: RegistrationLookupCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Lists registrations by GUID, optionally by owner or manufacturer key and state' })
  @ApiQuery({ name: 'ownerKeySha256', required: false, description: 'SHA-256 (hex) of the owner SPKI' })
  @ApiQuery({ name: 'manufacturerKeySha256', required: false })
  @ApiQuery({ name: 'state', required: false, enum: ['active', 'expired'] })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: LIMIT_MAX } })
  @ApiOkResponse({ description: '{ items, nextCursor }' })
  async list(
    @Query() query: Record<string, string>,
  ): Promise<{ items: RegistrationView[]; nextCursor: string | null }> {
    const filter = parseRequest(listSchema, query, 'query');
    const now = this.clock.now();
    const rows = await this.registrations.list(
      { ...filter, after: filter.cursor, limit: filter.limit + 1 },
      now,
    );
    const page = rows.slice(0, filter.limit);
    return {
      items: page.map((row) => this.view(row, now)),
      nextCursor: rows.length > filter.limit ? page.at(-1)!.guid : null,
    };
  }

  @Get(':guid')
  @ApiOperation({ summary: 'One registration with its voucher (PEM) and to1d' })
  @ApiOkResponse({ description: 'The registration' })
  @ApiNotFoundResponse({ description: 'No registration for this GUID (RFC 7807 problem)' })
  async get(@Param('guid') guid: string): Promise<RegistrationDetailView> {
    const row = GUID.test(normalizeGuid(guid)) ? await this.registrations.get(normalizeGuid(guid)) : null;
    if (!row) throw notFound(`No registration for GUID ${guid}`);
    return {
      ...this.view(row, this.clock.now()),
      voucherPem: voucherToPem(new Uint8Array(row.voucher)),
      to1d: row.to1d.toString('base64'),
    };
  }

  @Delete(':guid')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Deletes a registration',
    description: 'Other rendezvous replicas may still serve it from their lookup cache for a few seconds.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No registration for this GUID (RFC 7807 problem)' })
  async remove(@Param('guid') guid: string): Promise<void> {
    const normalized = normalizeGuid(guid);
    if (!GUID.test(normalized) || !(await this.registrations.delete(normalized)))
      throw notFound(`No registration for GUID ${guid}`);
    this.lookups.delete(normalized);
  }

  private view(row: RvRegistrationEntity, now: Date): RegistrationView {
    return {
      guid: row.guid,
      active: row.expiresAt > now,
      registeredAt: row.registeredAt.toISOString(),
      expiresAt: row.expiresAt.toISOString(),
      requestedWaitSeconds: Number(row.requestedWaitSeconds),
      grantedWaitSeconds: row.grantedWaitSeconds,
      numEntries: row.numEntries,
      ownerKeySha256: row.ownerKeySha256,
      manufacturerKeySha256: row.manufacturerKeySha256,
      to2Addresses: row.to2Addresses,
      sourceAddress: row.sourceAddress,
    };
  }
}
