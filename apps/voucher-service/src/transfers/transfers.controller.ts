import { type ServerResponse } from 'node:http';
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
import {
  CurrentPrincipal,
  CurrentTenantId,
  Idempotent,
  type Principal,
  RequireRoles,
  tenantIdOf,
} from '@ztp/auth';
import { TRANSFER_STATUSES } from '@ztp/persistence';
import { voucherToPem } from '@ztp/protocol';
import { z } from 'zod';
import { type Page, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '../vouchers/http/cursor';
import { send } from '../vouchers/http/send';
import { createTransferSchema } from './transfer-request';
import { TransferService } from './transfer.service';
import { type TransferView } from './transfer-view';
import { openApiSchema, parseRequest } from '@ztp/platform';

const listTransfersSchema = z.strictObject({
  direction: z.enum(['incoming', 'outgoing', 'all']).default('all'),
  status: z.enum(TRANSFER_STATUSES).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
});

const downloadSchema = z.strictObject({ format: z.enum(['pem', 'cbor']).default('pem') });

@ApiTags('transfers')
@Controller('v1')
export class TransfersController {
  constructor(private readonly transfers: TransferService) {}

  @Post('vouchers/:ref/transfers')
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Transfers a voucher (by id or GUID) to another tenant, or out of the service',
    description:
      "Signs the voucher over with its current owner key (held in key custody) to the recipient tenant's owner key, " +
      'or to a public key or certificate chain outside the service. A transfer to a tenant waits as incoming until the ' +
      'recipient accepts it (immediately accepted if the recipient lists you in autoAcceptTransfersFrom). A transfer out ' +
      'completes at once: the voucher becomes transferred-out and the response carries the extended voucher (voucherPem). ' +
      'Refused (409 device-onboarded) for a voucher whose device onboarded, unless it is the replacement voucher.',
  })
  @ApiBody({ schema: openApiSchema(createTransferSchema) })
  @ApiCreatedResponse({ description: 'The transfer' })
  create(
    @Param('ref') reference: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TransferView> {
    return this.transfers.create(
      tenantIdOf(principal),
      reference,
      parseRequest(createTransferSchema, body),
      principal.actor,
    );
  }

  @Get('transfers')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'Transfers the tenant sent or received, newest first' })
  @ApiQuery({ name: 'direction', required: false, enum: ['incoming', 'outgoing', 'all'] })
  @ApiQuery({ name: 'status', required: false, enum: TRANSFER_STATUSES })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX },
  })
  @ApiOkResponse({ description: '{ items, nextCursor }' })
  list(
    @CurrentTenantId() tenantId: string,
    @Query() query: Record<string, string>,
  ): Promise<Page<TransferView>> {
    return this.transfers.list(tenantId, parseRequest(listTransfersSchema, query, 'query'));
  }

  @Get('transfers/:id')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'One transfer the tenant sent or received' })
  @ApiOkResponse({ description: 'The transfer' })
  get(@CurrentTenantId() tenantId: string, @Param('id') id: string): Promise<TransferView> {
    return this.transfers.get(tenantId, id);
  }

  @Get('transfers/:id/voucher')
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary: 'The voucher as extended by this transfer (PEM or CBOR), e.g. to inspect before accepting',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['pem', 'cbor'] })
  @ApiProduces('application/x-pem-file', 'application/cbor')
  async voucher(
    @CurrentTenantId() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, string>,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const { format } = parseRequest(downloadSchema, query, 'query');
    const cbor = await this.transfers.extendedVoucher(tenantId, id);
    if (format === 'cbor') send(res, 'application/cbor', cbor);
    else send(res, 'application/x-pem-file', voucherToPem(new Uint8Array(cbor)));
  }

  @Post('transfers/:id/accept')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'The recipient accepts (claims) an incoming transfer and becomes the only holder',
  })
  @ApiOkResponse({ description: 'The transfer, accepted' })
  accept(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<TransferView> {
    return this.transfers.accept(tenantIdOf(principal), id, principal.actor);
  }

  @Post('transfers/:id/reject')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({ summary: 'The recipient declines an incoming transfer; the sender keeps the voucher' })
  @ApiOkResponse({ description: 'The transfer, rejected' })
  reject(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<TransferView> {
    return this.transfers.reject(tenantIdOf(principal), id, principal.actor);
  }

  @Post('transfers/:id/cancel')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({ summary: 'The sender withdraws a pending transfer' })
  @ApiOkResponse({ description: 'The transfer, cancelled' })
  cancel(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<TransferView> {
    return this.transfers.cancel(tenantIdOf(principal), id, principal.actor);
  }
}
