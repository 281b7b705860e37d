import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CurrentPrincipal,
  CurrentTenantId,
  Idempotent,
  type Principal,
  RequireRoles,
  tenantIdOf,
} from '@ztp/auth';
import { ConfigPlansService, configPlanView, type ConfigPlanView } from './config-plans.service';
import { DeviceGroupsService, deviceGroupView, type DeviceGroupView } from './device-groups.service';
import { createPlanSchema, groupSchema, updateGroupSchema, updatePlanSchema } from './plan-schema';
import { openApiSchema, parseRequest } from '@ztp/platform';

@ApiTags('onboarding')
@Controller('v1/onboarding/plans')
export class ConfigPlansController {
  constructor(private readonly plans: ConfigPlansService) {}

  @Post()
  @RequireRoles('onboarding:admin')
  @Idempotent()
  @ApiOperation({
    summary: 'Creates a configuration plan: what matching devices receive in TO2 ServiceInfo',
    description:
      'A device gets one plan: a device plan (GUID, then serial) before a group plan before a device-info ' +
      'plan; among plans of one kind the lowest priority, then the oldest. Content is delivered in this ' +
      'order: certificate (fdo.csr), files (fdo.download), wget, commands, uploads.',
  })
  @ApiBody({ schema: openApiSchema(createPlanSchema) })
  @ApiCreatedResponse({ description: 'The plan' })
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<ConfigPlanView> {
    const input = parseRequest(createPlanSchema, body);
    return configPlanView(await this.plans.create(tenantIdOf(principal), input, principal.actor));
  }

  @Get()
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "The owner's plans, oldest first" })
  @ApiOkResponse({ description: 'Plans' })
  async list(@CurrentTenantId() tenantId: string): Promise<ConfigPlanView[]> {
    return (await this.plans.list(tenantId)).map(configPlanView);
  }

  @Get(':id')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'One plan' })
  @ApiOkResponse({ description: 'The plan' })
  async get(@CurrentTenantId() tenantId: string, @Param('id') id: string): Promise<ConfigPlanView> {
    return configPlanView(await this.plans.get(tenantId, id));
  }

  @Put(':id')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Changes a plan (its revision increases and its devices get new bundles)' })
  @ApiBody({ schema: openApiSchema(updatePlanSchema) })
  @ApiOkResponse({ description: 'The plan' })
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ConfigPlanView> {
    const input = parseRequest(updatePlanSchema, body);
    return configPlanView(await this.plans.update(tenantIdOf(principal), id, input, principal.actor));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Removes a plan (its devices fall back to other plans)' })
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.plans.delete(tenantIdOf(principal), id, principal.actor);
  }
}

@ApiTags('onboarding')
@Controller('v1/onboarding/groups')
export class DeviceGroupsController {
  constructor(private readonly groups: DeviceGroupsService) {}

  @Post()
  @RequireRoles('onboarding:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Creates a device group (members guid:<32 hex> or serial:<serial>)' })
  @ApiBody({ schema: openApiSchema(groupSchema) })
  @ApiCreatedResponse({ description: 'The group' })
  async create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<DeviceGroupView> {
    const input = parseRequest(groupSchema, body);
    return deviceGroupView(await this.groups.create(tenantIdOf(principal), input, principal.actor));
  }

  @Get()
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "The owner's device groups" })
  @ApiOkResponse({ description: 'Groups' })
  async list(@CurrentTenantId() tenantId: string): Promise<DeviceGroupView[]> {
    return (await this.groups.list(tenantId)).map(deviceGroupView);
  }

  @Get(':id')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'One device group' })
  @ApiOkResponse({ description: 'The group' })
  async get(@CurrentTenantId() tenantId: string, @Param('id') id: string): Promise<DeviceGroupView> {
    return deviceGroupView(await this.groups.get(tenantId, id));
  }

  @Put(':id')
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: "Renames a group or replaces its members (its devices' bundles are re-rendered)" })
  @ApiBody({ schema: openApiSchema(updateGroupSchema) })
  @ApiOkResponse({ description: 'The group' })
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeviceGroupView> {
    const input = parseRequest(updateGroupSchema, body);
    return deviceGroupView(await this.groups.update(tenantIdOf(principal), id, input, principal.actor));
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles('onboarding:admin')
  @ApiOperation({ summary: 'Removes a group and the plans that target it' })
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.groups.delete(tenantIdOf(principal), id, principal.actor);
  }
}
