import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentTenantId, RequireRoles } from '@ztp/auth';
import { DEVICE_LIFECYCLES } from '@ztp/persistence';
import { parseRequest } from '@ztp/platform';
import { type Page, PAGE_LIMIT_MAX } from '../vouchers/http/cursor';
import {
  deviceEventsSchema,
  DeviceListService,
  type DeviceEventView,
  type DeviceView,
  listDevicesSchema,
} from './device-list.service';

@ApiTags('devices')
@Controller('v1/devices')
export class DevicesController {
  constructor(private readonly devices: DeviceListService) {}

  @Get()
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary:
      'The fleet: devices the tenant holds a voucher for (or manufactured), FDO and SZTP, newest first',
    description:
      'Each with its stable id (an FDO device keeps it across the GUIDs TO2 gives it), lifecycle, and the outcome of ' +
      'its last onboarding step (`lastResult`, and in `lastEvent` the failed message, FDO error code and reason). ' +
      'Paged: pass `nextCursor` as `cursor`.',
  })
  @ApiQuery({ name: 'lifecycle', required: false, enum: DEVICE_LIFECYCLES })
  @ApiQuery({ name: 'protocol', required: false, enum: ['fdo', 'sztp'] })
  @ApiQuery({ name: 'group', required: false, description: 'Device group id' })
  @ApiQuery({ name: 'result', required: false, enum: ['succeeded', 'failed', 'none'] })
  @ApiQuery({ name: 'errorCode', required: false, description: 'FDO error code of the last failure' })
  @ApiQuery({ name: 'updatedSince', required: false, description: 'ISO 8601 time' })
  @ApiQuery({ name: 'q', required: false, description: 'Serial number substring, or a whole GUID' })
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
  ): Promise<Page<DeviceView>> {
    return this.devices.list(tenantId, parseRequest(listDevicesSchema, query, 'query'));
  }

  @Get(':ref/events')
  @RequireRoles('vouchers:read')
  @ApiOperation({
    summary: "A device's history, oldest first, by device id or any GUID it had",
    description:
      'DI, imports and transfers, TO0 state per rendezvous URL, failed TO1/TO2 messages (message type, FDO error code, ' +
      'reason; the same failure repeated within 5 minutes is one event with `repeats`), onboarding, certificates, and ' +
      'SZTP progress reports. Paged: pass `nextCursor` as `cursor`.',
  })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } })
  @ApiOkResponse({ description: '{ items, nextCursor }' })
  events(
    @CurrentTenantId() tenantId: string,
    @Param('ref') reference: string,
    @Query() query: Record<string, string>,
  ): Promise<Page<DeviceEventView>> {
    return this.devices.events(tenantId, reference, parseRequest(deviceEventsSchema, query, 'query'));
  }
}
