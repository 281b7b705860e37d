import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  assertTenantVisible,
  CurrentPrincipal,
  Idempotent,
  type Principal,
  RequireOperator,
  RequireRolesOrOperator,
} from '@ztp/auth';
import { TENANT_KINDS } from '@ztp/persistence';
import { z } from 'zod';
import { type Page, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '../vouchers/http/cursor';
import { TenantService } from './tenant.service';
import { tenantSettingsPatchSchema } from './tenant-settings.schema';
import { type TenantView } from './tenant-view';
import { openApiSchema, parseRequest } from '@ztp/platform';

const createTenantSchema = z.strictObject({
  kind: z.enum(TENANT_KINDS),
  name: z.string().min(1).max(200),
  slug: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{1,62}$/,
      'lower-case letters, digits and "-", starting with a letter, 2-63 characters',
    ),
  settings: tenantSettingsPatchSchema.optional(),
});

const listTenantsSchema = z.strictObject({
  kind: z.enum(TENANT_KINDS).optional(),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
});

@ApiTags('tenants')
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  @RequireOperator()
  @Idempotent()
  @ApiOperation({ summary: 'Creates a tenant (manufacturer, reseller or owner); operators only' })
  @ApiBody({ schema: openApiSchema(createTenantSchema) })
  @ApiCreatedResponse({ description: 'The tenant' })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<TenantView> {
    return this.tenants.create(parseRequest(createTenantSchema, body), principal.actor);
  }

  @Get()
  @RequireOperator()
  @ApiOperation({ summary: 'Lists tenants, newest first; operators only' })
  @ApiQuery({ name: 'kind', required: false, enum: TENANT_KINDS })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX },
  })
  @ApiOkResponse({ description: '{ items, nextCursor }' })
  list(@Query() query: Record<string, string>): Promise<Page<TenantView>> {
    return this.tenants.list(parseRequest(listTenantsSchema, query, 'query'));
  }

  @Get(':tenantId')
  @RequireRolesOrOperator()
  @ApiOperation({ summary: 'A tenant: operators see any, a tenant only itself (others are 404)' })
  @ApiOkResponse({ description: 'The tenant' })
  get(@Param('tenantId') tenantId: string, @CurrentPrincipal() principal: Principal): Promise<TenantView> {
    assertTenantVisible(principal, tenantId);
    return this.tenants.get(tenantId);
  }

  @Patch(':tenantId/settings')
  @HttpCode(200)
  @RequireRolesOrOperator('tenant:admin')
  @Idempotent()
  @ApiOperation({
    summary: "Updates a tenant's settings",
    description: 'Each field given replaces the stored one; null removes it; absent fields stay.',
  })
  @ApiBody({ schema: openApiSchema(tenantSettingsPatchSchema) })
  @ApiOkResponse({ description: 'The tenant with its new settings' })
  updateSettings(
    @Param('tenantId') tenantId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TenantView> {
    assertTenantVisible(principal, tenantId);
    return this.tenants.updateSettings(
      tenantId,
      parseRequest(tenantSettingsPatchSchema, body),
      principal.actor,
    );
  }
}
