import { createHash } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiIdempotencyKey,
  CurrentPrincipal,
  CurrentTenantId,
  IdempotencyInterceptor,
  Idempotent,
  type Principal,
  RequireRoles,
  tenantIdOf,
} from '@ztp/auth';
import { type AppConfig } from '@ztp/config';
import { DEVICE_LIFECYCLES } from '@ztp/persistence';
import { APP_CONFIG, parseRequest } from '@ztp/platform';
import { parseVoucher, summarizeVoucher, voucherToPem } from '@ztp/protocol';
import { z } from 'zod';
import { type Page, PAGE_LIMIT_MAX } from './http/cursor';
import { send } from './http/send';
import { ledgerProblem } from './ledger-problems';
import { ImportBodyInterceptor } from './upload/import-body.interceptor';
import { readVoucherUpload, UploadError, VOUCHER_UPLOAD_TYPES } from './upload/voucher-upload';
import { DeviceStatusService, type DeviceStatus } from './device-status.service';
import { type ImportResult, VoucherImportService } from './voucher-import.service';
import { VoucherDeleteService } from './voucher-delete.service';
import { listVouchersSchema, VoucherQueryService } from './voucher-query.service';
import { type VoucherView } from './voucher-view';

const EXPECTED_COUNT = /^\d{1,7}$/;
const FORMATS = ['json', 'pem', 'cbor'] as const;
const formatSchema = z.strictObject({ format: z.enum(FORMATS).optional() });

type Format = (typeof FORMATS)[number];

/** ?format= wins; else the Accept header; else JSON. */
function chooseFormat(format: Format | undefined, accept: string | undefined): Format {
  if (format) return format;
  const types = (accept ?? '').toLowerCase();
  if (types.includes('application/cbor') || types.includes('application/x-fdo-voucher')) return 'cbor';
  if (types.includes('application/x-pem-file')) return 'pem';
  return 'json';
}

@ApiTags('vouchers')
@Controller('v1')
export class VouchersController {
  constructor(
    private readonly importer: VoucherImportService,
    private readonly query: VoucherQueryService,
    private readonly deleter: VoucherDeleteService,
    private readonly devices: DeviceStatusService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('vouchers')
  @RequireRoles('vouchers:write')
  @UseInterceptors(ImportBodyInterceptor, IdempotencyInterceptor)
  @ApiIdempotencyKey()
  @ApiOperation({
    summary: 'Imports vouchers, all or nothing',
    description:
      'PEM (one or many OWNERSHIP VOUCHER blocks), raw CBOR (application/cbor: one voucher or several concatenated; ' +
      'application/cbor-seq for large batches), application/x-fdo-voucher, or multipart/form-data with one or more file parts; ' +
      'optionally gzip (Content-Encoding). Each voucher is verified and its current owner key must be one of your active ' +
      'owner keys. One bad voucher refuses the whole batch (422, naming its index in `index` and `errors`) and nothing is stored. ' +
      'The upload limit is VOUCHER_IMPORT_MAX_BYTES (application/cbor is limited by MAX_BODY_BYTES).',
  })
  @ApiConsumes(...VOUCHER_UPLOAD_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiHeader({
    name: 'X-Expected-Count',
    required: false,
    description:
      'How many vouchers the upload holds; a different count refuses it (X-Number-Of-Vouchers is accepted too)',
  })
  @ApiCreatedResponse({ description: '{ importId, count, vouchers: [{ index, id, guid, deviceId }] }' })
  async import(
    @Req() request: IncomingMessage & { body?: unknown },
    @CurrentPrincipal() principal: Principal,
  ): Promise<ImportResult> {
    const tenantId = tenantIdOf(principal);
    const contentType = request.headers['content-type'];
    if (!Buffer.isBuffer(request.body) || !contentType)
      throw ledgerProblem(
        415,
        'unsupported-upload',
        'Unsupported upload',
        `send vouchers as one of ${VOUCHER_UPLOAD_TYPES.join(', ')}`,
      );
    const expectedHeader = request.headers['x-expected-count'] ?? request.headers['x-number-of-vouchers'];
    const expected = typeof expectedHeader === 'string' ? expectedHeader.trim() : undefined;
    if (expected !== undefined && !EXPECTED_COUNT.test(expected))
      throw ledgerProblem(
        400,
        'invalid-request',
        'Invalid X-Expected-Count',
        'X-Expected-Count must be a whole number',
      );
    let uploads;
    try {
      uploads = readVoucherUpload(
        request.body,
        contentType,
        request.headers['content-encoding'],
        this.config.ledger.importMaxBytes,
      );
    } catch (err) {
      if (err instanceof UploadError)
        throw ledgerProblem(err.status, 'unreadable-upload', 'Unreadable upload', err.message);
      throw err;
    }
    return this.importer.import(
      tenantId,
      uploads,
      expected === undefined ? undefined : Number(expected),
      principal.actor,
    );
  }

  @Get('vouchers')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: 'Vouchers the tenant holds, newest first, filtered and paginated' })
  @ApiQuery({ name: 'guid', required: false })
  @ApiQuery({ name: 'serialNumber', required: false })
  @ApiQuery({ name: 'deviceInfo', required: false, description: 'Case-insensitive substring' })
  @ApiQuery({
    name: 'status',
    required: false,
    enum: ['active', 'transferred-out', 'retired', 'deleted', 'any'],
  })
  @ApiQuery({ name: 'lifecycle', required: false, enum: DEVICE_LIFECYCLES })
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
  ): Promise<Page<VoucherView>> {
    return this.query.list(tenantId, parseRequest(listVouchersSchema, query, 'query'));
  }

  @Get('vouchers/:ref')
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary: 'One voucher, by id or GUID: JSON (with a decoded summary), PEM or CBOR',
    description: '?format=json|pem|cbor, or the Accept header. Downloads carry X-FDO-Checksum: sha256:<hex>.',
  })
  @ApiQuery({ name: 'format', required: false, enum: FORMATS })
  @ApiProduces('application/json', 'application/x-pem-file', 'application/cbor')
  async get(
    @CurrentTenantId() tenantId: string,
    @Param('ref') reference: string,
    @Query() query: Record<string, string>,
    @Req() request: IncomingMessage,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const format = chooseFormat(parseRequest(formatSchema, query, 'query').format, request.headers.accept);
    const { cbor, ...view } = await this.query.find(tenantId, reference);
    const checksum = { 'X-FDO-Checksum': `sha256:${createHash('sha256').update(cbor).digest('hex')}` };
    if (format === 'cbor') return send(res, 'application/cbor', cbor, checksum);
    if (format === 'pem')
      return send(res, 'application/x-pem-file', voucherToPem(new Uint8Array(cbor)), checksum);
    send(
      res,
      'application/json; charset=utf-8',
      JSON.stringify({ ...view, summary: summarizeVoucher(parseVoucher(new Uint8Array(cbor))) }),
    );
  }

  @Delete('vouchers/:ref')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({ summary: 'Soft-deletes a voucher (kept for history; its GUID may be imported again)' })
  @ApiOkResponse({ description: 'The voucher, status deleted' })
  delete(@Param('ref') reference: string, @CurrentPrincipal() principal: Principal): Promise<VoucherView> {
    return this.deleter.delete(tenantIdOf(principal), reference, principal.actor);
  }

  @Get('devices/:guid')
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary: 'Per-device status by any of its GUIDs',
    description:
      "The tenant's voucher for it (holder, status), the replacement voucher's GUID after onboarding, the device lifecycle, " +
      'the transfers the tenant took part in, and the automatic TO0 state per rendezvous address.',
  })
  @ApiOkResponse({ description: '{ voucher, replacement, transfers, to0 }' })
  device(@CurrentTenantId() tenantId: string, @Param('guid') guid: string): Promise<DeviceStatus> {
    return this.devices.status(tenantId, guid);
  }
}
