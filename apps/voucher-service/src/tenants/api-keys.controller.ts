import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiKeyService,
  type ApiKeyView,
  assertTenantVisible,
  type CreatedApiKey,
  CurrentPrincipal,
  Idempotent,
  notFound,
  type Principal,
  RequireOperator,
  RequireRolesOrOperator,
  TENANT_ROLES,
} from '@ztp/auth';
import { z } from 'zod';
import { ApiPageQuery, type Page, pageQuerySchema } from '../vouchers/http/cursor';
import { ApiKeyPages } from './api-key-pages';
import { TenantService } from './tenant.service';
import { openApiSchema, parseRequest } from '@ztp/platform';

const createApiKeySchema = z.strictObject({
  name: z.string().min(1).max(200),
  roles: z.array(z.enum(TENANT_ROLES)).min(1).describe('tenant:admin holds every other role'),
  expiresAt: z.iso.datetime({ offset: true }).optional().describe('Default: never'),
});

const createOperatorKeySchema = z.strictObject({
  name: z.string().min(1).max(200),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

@ApiTags('api-keys')
@Controller('v1/tenants/:tenantId/api-keys')
export class TenantApiKeysController {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly tenants: TenantService,
    private readonly pages: ApiKeyPages,
  ) {}

  @Post()
  @RequireRolesOrOperator('tenant:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Creates an API key for the tenant; the key is in this response only' })
  @ApiBody({ schema: openApiSchema(createApiKeySchema) })
  @ApiCreatedResponse({ description: '{ key, apiKey }' })
  async create(
    @Param('tenantId') tenantId: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedApiKey> {
    assertTenantVisible(principal, tenantId);
    const input = parseRequest(createApiKeySchema, body);
    const tenant = await this.tenants.get(tenantId);
    return this.apiKeys.create({
      tenantId: tenant.id,
      name: input.name,
      roles: input.roles,
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      createdBy: principal.actor,
    });
  }

  @Get()
  @RequireRolesOrOperator('tenant:admin')
  @ApiOperation({ summary: "The tenant's API keys (never the keys themselves)" })
  @ApiPageQuery()
  @ApiOkResponse({ description: '{ items, nextCursor }: API keys, newest first' })
  async list(
    @Param('tenantId') tenantId: string,
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, string>,
  ): Promise<Page<ApiKeyView>> {
    assertTenantVisible(principal, tenantId);
    const page = parseRequest(pageQuerySchema, query, 'query');
    await this.tenants.get(tenantId);
    return this.pages.list(tenantId, page);
  }

  @Delete(':keyId')
  @HttpCode(200)
  @RequireRolesOrOperator('tenant:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Revokes an API key at once' })
  @ApiOkResponse({ description: 'The revoked key' })
  async revoke(
    @Param('tenantId') tenantId: string,
    @Param('keyId') keyId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApiKeyView> {
    assertTenantVisible(principal, tenantId);
    const revoked = /^[0-9a-f-]{36}$/.test(keyId) ? await this.apiKeys.revoke(tenantId, keyId) : undefined;
    if (!revoked) throw notFound('API key', keyId);
    return revoked;
  }
}

@ApiTags('api-keys')
@Controller('v1/operator/api-keys')
export class OperatorApiKeysController {
  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly pages: ApiKeyPages,
  ) {}

  @Post()
  @RequireOperator()
  @Idempotent()
  @ApiOperation({ summary: 'Creates a platform operator API key; the key is in this response only' })
  @ApiBody({ schema: openApiSchema(createOperatorKeySchema) })
  @ApiCreatedResponse({ description: '{ key, apiKey }' })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<CreatedApiKey> {
    const input = parseRequest(createOperatorKeySchema, body);
    return this.apiKeys.create({
      tenantId: null,
      name: input.name,
      roles: [],
      expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      createdBy: principal.actor,
    });
  }

  @Get()
  @RequireOperator()
  @ApiOperation({ summary: 'The operator API keys' })
  @ApiPageQuery()
  @ApiOkResponse({ description: '{ items, nextCursor }: API keys, newest first' })
  list(@Query() query: Record<string, string>): Promise<Page<ApiKeyView>> {
    return this.pages.list(null, parseRequest(pageQuerySchema, query, 'query'));
  }

  @Delete(':keyId')
  @HttpCode(200)
  @RequireOperator()
  @Idempotent()
  @ApiOperation({ summary: 'Revokes an operator API key' })
  @ApiOkResponse({ description: 'The revoked key' })
  async revoke(@Param('keyId') keyId: string): Promise<ApiKeyView> {
    const revoked = /^[0-9a-f-]{36}$/.test(keyId) ? await this.apiKeys.revoke(null, keyId) : undefined;
    if (!revoked) throw notFound('API key', keyId);
    return revoked;
  }
}
