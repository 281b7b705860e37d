import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { type ServerResponse } from 'node:http';
import { CurrentPrincipal, CurrentTenantId, type Principal, RequireRoles, tenantIdOf } from '@ztp/auth';
import { DELIVERY_STATUSES } from '@ztp/persistence';
import { z } from 'zod';
import { ApiPageQuery, type Page, pageQuery } from '../vouchers/http/cursor';
import { send } from '../vouchers/http/send';
import {
  type BundleView,
  DeviceOnboardingService,
  type DeviceOnboardingView,
} from './device-onboarding.service';
import { OwnerTenants } from './owner-tenants';
import { RenderTrigger } from './render-trigger';
import { parseRequest } from '@ztp/platform';

const bundlesQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  ...pageQuery,
});

@ApiTags('onboarding')
@Controller('v1/onboarding')
export class OnboardingStatusController {
  constructor(
    private readonly devices: DeviceOnboardingService,
    private readonly owners: OwnerTenants,
    private readonly render: RenderTrigger,
  ) {}

  @Get('bundles')
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary: "The owner's configuration bundles and their delivery status, newest render first",
    description:
      'queued: rendered, waiting for the device; delivering: the device is in TO2 ServiceInfo; delivered: ' +
      'TO2 completed with every step done; failed: a step failed (statusDetail) and TO2 was refused.',
  })
  @ApiQuery({ name: 'status', required: false, enum: DELIVERY_STATUSES })
  @ApiPageQuery()
  @ApiOkResponse({ description: '{ items, nextCursor }: bundles' })
  async bundles(
    @CurrentTenantId() tenantId: string,
    @Query() query: Record<string, string>,
  ): Promise<Page<BundleView>> {
    const { status, ...page } = parseRequest(bundlesQuerySchema, query, 'query');
    return this.devices.bundles(tenantId, status, page);
  }

  @Post('bundles/render')
  @HttpCode(202)
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "Re-renders the owner's bundles now (they are also rendered on every change)" })
  @ApiAcceptedResponse({ description: 'Render job queued' })
  async rerender(@CurrentPrincipal() principal: Principal): Promise<{ queued: true }> {
    const tenantId = tenantIdOf(principal);
    await this.owners.require(tenantId);
    await this.render.enqueue(tenantId);
    return { queued: true };
  }

  @Get('devices/:device')
  @RequireRoles('onboarding:admin')
  @ApiOperation({
    summary:
      'One device by GUID (current or original) or id: its bundle and delivery, devmod, uploads and certificates',
  })
  @ApiOkResponse({ description: 'The device as its owner onboards it' })
  async device(
    @CurrentTenantId() tenantId: string,
    @Param('device') device: string,
  ): Promise<DeviceOnboardingView> {
    return this.devices.device(tenantId, device);
  }

  @Get('devices/:device/uploads/:upload/content')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'The content of a file the device sent with fdo.upload' })
  @ApiProduces('application/octet-stream')
  async uploadContent(
    @CurrentTenantId() tenantId: string,
    @Param('device') device: string,
    @Param('upload') upload: string,
    @Res() res: ServerResponse,
  ): Promise<void> {
    send(
      res,
      'application/octet-stream',
      (await this.devices.uploadContent(tenantId, device, upload)).content,
    );
  }
}
