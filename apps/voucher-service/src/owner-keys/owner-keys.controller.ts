import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { type ServerResponse } from 'node:http';
import {
  CurrentPrincipal,
  CurrentTenantId,
  Idempotent,
  type Principal,
  RequireRoles,
  tenantIdOf,
} from '@ztp/auth';
import { derToPem, KEY_SPECS } from '@ztp/pki';
import { encodePublicKey, PkEnc } from '@ztp/protocol';
import { z } from 'zod';
import { ApiPageQuery, type Page, pageQuery } from '../vouchers/http/cursor';
import { send } from '../vouchers/http/send';
import { OwnerKeyService } from './owner-key.service';
import { ownerKeyView, type OwnerKeyView } from './owner-key-view';
import { openApiSchema, parseRequest } from '@ztp/platform';

const createOwnerKeySchema = z.strictObject({
  name: z.string().min(1).max(100),
  spec: z
    .enum(KEY_SPECS)
    .default('P-256')
    .describe('Key type; a voucher only takes keys of its manufacturer key type'),
});

const listOwnerKeysSchema = z.strictObject({
  includeRetired: z.enum(['true', 'false']).optional(),
  ...pageQuery,
});

const publicKeyQuerySchema = z.strictObject({
  format: z.enum(['pem', 'fdo']).default('pem'),
  encoding: z.enum(['x509', 'cosekey']).default('x509').describe('FDO PublicKey encoding (format=fdo)'),
});

@ApiTags('owner-keys')
@Controller('v1/owner-keys')
export class OwnerKeysController {
  constructor(private readonly ownerKeys: OwnerKeyService) {}

  @Post()
  @RequireRoles('keys:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Creates an owner key in key custody (P-256, P-384, RSA-2048, RSA-3072)' })
  @ApiBody({ schema: openApiSchema(createOwnerKeySchema) })
  @ApiCreatedResponse({ description: 'The owner key (public half only)' })
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<OwnerKeyView> {
    const input = parseRequest(createOwnerKeySchema, body);
    return ownerKeyView(await this.ownerKeys.create(tenantIdOf(principal), input, principal.actor));
  }

  @Get()
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary: "The tenant's owner keys, newest first",
    description:
      'The keys the tenant created; the per-device Owner2Keys of onboarded devices (the owner keys of ' +
      'their replacement vouchers) are not listed.',
  })
  @ApiQuery({ name: 'includeRetired', required: false, type: Boolean })
  @ApiPageQuery()
  @ApiOkResponse({ description: '{ items, nextCursor }' })
  async list(
    @CurrentTenantId() tenantId: string,
    @Query() query: Record<string, string>,
  ): Promise<Page<OwnerKeyView>> {
    const options = parseRequest(listOwnerKeysSchema, query, 'query');
    return this.ownerKeys.list(tenantId, { ...options, includeRetired: options.includeRetired === 'true' });
  }

  @Get(':id')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'One owner key' })
  @ApiOkResponse({ description: 'The owner key' })
  async get(@CurrentTenantId() tenantId: string, @Param('id') id: string): Promise<OwnerKeyView> {
    return ownerKeyView(await this.ownerKeys.get(tenantId, id));
  }

  @Get(':id/public-key')
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary: 'The public key, as PEM (SubjectPublicKeyInfo) or as an FDO PublicKey (CBOR)',
    description: 'Give it to a sender so they can extend vouchers to this key from outside the service.',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['pem', 'fdo'] })
  @ApiQuery({ name: 'encoding', required: false, enum: ['x509', 'cosekey'] })
  @ApiProduces('application/x-pem-file', 'application/cbor')
  async publicKey(
    @CurrentTenantId() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, string>,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const options = parseRequest(publicKeyQuerySchema, query, 'query');
    const row = await this.ownerKeys.get(tenantId, id);
    if (options.format === 'pem') {
      send(res, 'application/x-pem-file', derToPem(row.publicKeySpki, 'PUBLIC KEY'));
      return;
    }
    const fdo = encodePublicKey(this.ownerKeys.publicKey(row), {
      encoding: options.encoding === 'cosekey' ? PkEnc.COSEKEY : PkEnc.X509,
    });
    send(res, 'application/cbor', fdo.bytes);
  }

  @Get(':id/certificate')
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary: 'A self-signed certificate of the owner key (PEM), e.g. to be named as an X5CHAIN owner',
  })
  @ApiProduces('application/x-pem-file')
  async certificate(
    @CurrentTenantId() tenantId: string,
    @Param('id') id: string,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const row = await this.ownerKeys.get(tenantId, id);
    send(res, 'application/x-pem-file', derToPem(await this.ownerKeys.certificate(row)));
  }

  @Post(':id/retire')
  @HttpCode(200)
  @RequireRoles('keys:admin')
  @Idempotent()
  @ApiOperation({
    summary: 'Retires an owner key: it signs nothing new (no transfers, no TO0/TO2 from then on)',
  })
  @ApiOkResponse({ description: 'The retired key' })
  async retire(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<OwnerKeyView> {
    return ownerKeyView(await this.ownerKeys.retire(tenantIdOf(principal), id, principal.actor));
  }
}
