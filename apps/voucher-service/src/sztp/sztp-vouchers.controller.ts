import { type ServerResponse } from 'node:http';
import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, CurrentTenantId, type Principal, RequireRoles, tenantIdOf } from '@ztp/auth';
import { z } from 'zod';
import { base64Field, openApiSchema, parseRequest, toBytes } from './sztp-http';
import { SztpVoucherLedger } from './sztp-voucher-ledger.service';
import { voucherView } from './sztp-views';

const tenantReference = z.string().min(1).max(100).describe('Tenant id or slug');

const issueSchema = z.strictObject({
  masaId: z.uuid(),
  deviceTypeId: z.uuid(),
  serialNumber: z.string().min(1).max(128),
  ownerTenant: tenantReference.describe('The owner whose SZTP owner CA the voucher pins (id or slug)'),
  expiresOn: z.iso.datetime({ offset: true }).optional(),
});

const importSchema = z.strictObject({
  masaId: z.uuid().describe('The MASA record (ours or external) the voucher must verify against'),
  deviceTypeId: z.uuid(),
  voucher: base64Field('The CMS voucher (DER), base64: eContentType id-ct-animaJSONVoucher or id-data'),
  holderTenant: tenantReference
    .optional()
    .describe('Default: the owner whose certificate it pins, else the importer'),
  lenient: z
    .boolean()
    .default(false)
    .describe('Skip unknown members and an empty assertion (google/open-sztp output)'),
});

const transferSchema = z.strictObject({ toTenant: tenantReference });

@ApiTags('sztp')
@Controller('v1/sztp/vouchers')
export class SztpVouchersController {
  constructor(private readonly ledger: SztpVoucherLedger) {}

  @Post()
  @RequireRoles('vouchers:write')
  @ApiOperation({ summary: "Issues an RFC 8366 voucher as the tenant's MASA, pinning the owner's CA" })
  @ApiBody({ schema: openApiSchema(issueSchema) })
  @ApiCreatedResponse({ description: 'The voucher' })
  async issue(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(issueSchema, body);
    const voucher = await this.ledger.issue(
      tenantIdOf(principal),
      { ...input, expiresOn: input.expiresOn ? new Date(input.expiresOn) : undefined },
      principal.actor,
    );
    return voucherView(voucher);
  }

  @Post('import')
  @RequireRoles('vouchers:write')
  @ApiOperation({ summary: 'Imports an RFC 8366 voucher after verifying it against a MASA of the tenant' })
  @ApiBody({ schema: openApiSchema(importSchema) })
  @ApiCreatedResponse({ description: 'The voucher, and whether it is nonce-bound' })
  async import(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(importSchema, body);
    const imported = await this.ledger.import(
      tenantIdOf(principal),
      { ...input, voucher: toBytes(input.voucher) },
      principal.actor,
    );
    return { ...voucherView(imported.voucher), nonceBound: imported.nonceBound, ignored: imported.ignored };
  }

  @Post(':id/transfer')
  @RequireRoles('vouchers:write')
  @ApiOperation({ summary: "Transfers a held voucher: re-issued by its MASA to the recipient owner's CA" })
  @ApiBody({ schema: openApiSchema(transferSchema) })
  @ApiCreatedResponse({ description: 'The new voucher (the old one is superseded)' })
  async transfer(@Param('id') id: string, @Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    const input = parseRequest(transferSchema, body);
    return voucherView(await this.ledger.transfer(tenantIdOf(principal), id, input, principal.actor));
  }

  @Get()
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'SZTP vouchers the tenant holds (first 1000)' })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'superseded'] })
  @ApiOkResponse({ description: 'Vouchers' })
  async list(@CurrentTenantId() tenantId: string, @Query('status') status?: string) {
    const filter = parseRequest(z.enum(['active', 'superseded']).optional(), status, 'status query');
    return (await this.ledger.list(tenantId, filter)).map(voucherView);
  }

  @Get(':id')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'One SZTP voucher' })
  @ApiOkResponse({ description: 'The voucher' })
  async get(@Param('id') id: string, @CurrentTenantId() tenantId: string) {
    return voucherView(await this.ledger.held(tenantId, id));
  }

  @Get(':id/cms')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'The voucher itself (DER CMS), as application/voucher-cms+json' })
  @ApiProduces('application/voucher-cms+json')
  @ApiOkResponse({ description: 'The CMS voucher' })
  async cms(
    @Param('id') id: string,
    @CurrentTenantId() tenantId: string,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const voucher = await this.ledger.held(tenantId, id);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/voucher-cms+json');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="${voucher.serialNumber.replace(/[^\w.-]/g, '_')}.vcj"`,
    );
    res.end(voucher.cms);
  }
}
