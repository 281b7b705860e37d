import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  assertTenantVisible,
  CurrentPrincipal,
  CurrentTenantId,
  Idempotent,
  type Principal,
  RequireRoles,
  RequireRolesOrOperator,
  tenantIdOf,
} from '@ztp/auth';
import { REONBOARDING_POLICIES } from '@ztp/persistence';
import { openApiSchema, parseRequest } from '@ztp/platform';
import { z } from 'zod';
import {
  DeviceLifecycleService,
  type DeviceLifecycleView,
  type GroupLifecycleResult,
} from './device-lifecycle.service';

const reonboardingSchema = z.strictObject({
  reonboarding: z
    .enum(REONBOARDING_POLICIES)
    .nullable()
    .describe("The device's own policy; null: its groups' or its owner's"),
});

const refurbishSchema = z.strictObject({ serialNumber: z.string().min(1).max(200) });

/**
 * The owner's lifecycle moves on a device (by any of its GUIDs) and a device group, and the
 * manufacturer's refurbish (ARCHITECTURE.md, "Device lifecycle").
 */
@ApiTags('devices')
@Controller('v1')
export class DeviceLifecycleController {
  constructor(private readonly lifecycle: DeviceLifecycleService) {}

  @Get('devices/:guid/lifecycle')
  @RequireRoles('vouchers:read')
  @ApiOperation({ summary: "A device's lifecycle state and re-onboarding policy (own, in force, armed)" })
  @ApiOkResponse({ description: 'The device lifecycle view' })
  view(@CurrentTenantId() tenantId: string, @Param('guid') guid: string): Promise<DeviceLifecycleView> {
    return this.lifecycle.view(tenantId, guid);
  }

  @Post('devices/:guid/disable')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Disables a device (reversible)',
    description:
      'TO1 (its registrations at this rendezvous are withdrawn), TO2 and automatic TO0 are refused until it is enabled; ' +
      'voucher, configuration and history stay. 409 unless manufactured, owned or onboarded.',
  })
  @ApiOkResponse({ description: 'The device lifecycle view' })
  disable(
    @Param('guid') guid: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeviceLifecycleView> {
    return this.lifecycle.disable(tenantIdOf(principal), guid, principal.actor);
  }

  @Post('devices/:guid/enable')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({ summary: 'Enables a disabled device: back to the state it left (409 unless disabled)' })
  @ApiOkResponse({ description: 'The device lifecycle view' })
  enable(
    @Param('guid') guid: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeviceLifecycleView> {
    return this.lifecycle.enable(tenantIdOf(principal), guid, principal.actor);
  }

  @Post('devices/:guid/decommission')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Decommissions a device, for good',
    description:
      'Retires its voucher, withdraws its registrations at this rendezvous, revokes its operational certificates ' +
      '(cessationOfOperation) and moves it to decommissioned (terminal). DI for its serial, TO1, TO2 are refused after it; ' +
      'only the manufacturer can refurbish the serial for a new DI. 409 (device-decommissioned) when already decommissioned.',
  })
  @ApiOkResponse({ description: 'The device lifecycle view' })
  decommission(
    @Param('guid') guid: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeviceLifecycleView> {
    return this.lifecycle.decommission(tenantIdOf(principal), guid, principal.actor);
  }

  @Post('devices/:guid/rearm')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Arms an on-request re-onboarding of an onboarded device',
    description:
      'Automatic TO0 registers its voucher again until its next TO2 completes. 409 when the policy in force is never, ' +
      'or the device is not onboarded.',
  })
  @ApiOkResponse({ description: 'The device lifecycle view' })
  rearm(@Param('guid') guid: string, @CurrentPrincipal() principal: Principal): Promise<DeviceLifecycleView> {
    return this.lifecycle.rearm(tenantIdOf(principal), guid, principal.actor);
  }

  @Put('devices/:guid/reonboarding')
  @RequireRoles('vouchers:write')
  @ApiOperation({
    summary: "Sets the device's own re-onboarding policy (null: inherit from groups and owner)",
  })
  @ApiBody({ schema: openApiSchema(reonboardingSchema) })
  @ApiOkResponse({ description: 'The device lifecycle view' })
  setReonboarding(
    @Param('guid') guid: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeviceLifecycleView> {
    const { reonboarding } = parseRequest(reonboardingSchema, body);
    return this.lifecycle.setReonboarding(tenantIdOf(principal), guid, reonboarding, principal.actor);
  }

  @Post('onboarding/groups/:id/disable')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({ summary: 'Disables every member of a device group that can be disabled' })
  @ApiOkResponse({ description: '{ groupId, changed, unchanged }' })
  disableGroup(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<GroupLifecycleResult> {
    return this.lifecycle.group(tenantIdOf(principal), id, 'disable', principal.actor);
  }

  @Post('onboarding/groups/:id/enable')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({ summary: 'Enables every disabled member of a device group' })
  @ApiOkResponse({ description: '{ groupId, changed, unchanged }' })
  enableGroup(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<GroupLifecycleResult> {
    return this.lifecycle.group(tenantIdOf(principal), id, 'enable', principal.actor);
  }

  @Post('sztp/devices/:id/disable')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Disables an SZTP device (reversible): both SZTP servers answer it with RESTCONF access-denied',
    description: 'The same state machine as FDO devices; 409 when not allowed from its state.',
  })
  @ApiOkResponse({ description: '{ id, serialNumber, lifecycle, disabledFrom }' })
  sztpDisable(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.lifecycle.sztp(tenantIdOf(principal), id, 'disable', principal.actor);
  }

  @Post('sztp/devices/:id/enable')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Enables a disabled SZTP device: back to the state it left',
    description: 'The same state machine as FDO devices; 409 when not allowed from its state.',
  })
  @ApiOkResponse({ description: '{ id, serialNumber, lifecycle, disabledFrom }' })
  sztpEnable(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.lifecycle.sztp(tenantIdOf(principal), id, 'enable', principal.actor);
  }

  @Post('sztp/devices/:id/decommission')
  @HttpCode(200)
  @RequireRoles('vouchers:write')
  @Idempotent()
  @ApiOperation({
    summary: 'Decommissions an SZTP device for good: both SZTP servers answer it with RESTCONF access-denied',
    description: 'The same state machine as FDO devices; 409 when not allowed from its state.',
  })
  @ApiOkResponse({ description: '{ id, serialNumber, lifecycle, disabledFrom }' })
  sztpDecommission(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.lifecycle.sztp(tenantIdOf(principal), id, 'decommission', principal.actor);
  }

  @Post('manufacturers/:tenantId/devices/refurbish')
  @HttpCode(200)
  @RequireRolesOrOperator('manufacturing:admin')
  @Idempotent()
  @ApiOperation({
    summary: 'Refurbishes a decommissioned device: its serial may go through DI again (new device, new GUID)',
    description:
      'Audited (device.refurbished). 404 for an unknown serial, 409 unless its device is decommissioned.',
  })
  @ApiBody({ schema: openApiSchema(refurbishSchema) })
  @ApiOkResponse({ description: '{ deviceId, guid, serialNumber, refurbishedAt }' })
  refurbish(
    @Param('tenantId') tenantId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ) {
    assertTenantVisible(principal, tenantId);
    const { serialNumber } = parseRequest(refurbishSchema, body);
    return this.lifecycle.refurbish(tenantId, serialNumber, principal.actor);
  }
}
