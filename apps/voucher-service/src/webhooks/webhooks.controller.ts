import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CurrentPrincipal,
  CurrentTenantId,
  Idempotent,
  type Principal,
  RequireRoles,
  tenantIdOf,
} from '@ztp/auth';
import { WEBHOOK_EVENT_TYPES } from '@ztp/queue';
import { z } from 'zod';
import {
  type WebhookDeliveryView,
  WebhookEndpointService,
  type WebhookEndpointView,
} from './webhook-endpoint.service';
import { openApiSchema, parseRequest } from '@ztp/platform';
import { ApiPageQuery, type Page, pageQuerySchema } from '../vouchers/http/cursor';

const url = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .describe(
    'http(s) URL that receives POSTs, without credentials. Its host must be, or resolve to, public ' +
      'addresses only (no loopback, private, link-local or other special-purpose ones) unless the ' +
      'operator allows them; a delivery to a name that resolves to such an address fails.',
  );

const createSchema = z.strictObject({
  url,
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1),
  description: z.string().max(500).optional(),
});

const updateSchema = z.strictObject({
  url: url.optional(),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).optional(),
  description: z.string().max(500).nullable().optional(),
  enabled: z.boolean().optional(),
});

const SIGNATURE_SCHEME =
  'Each delivery is a POST of the JSON event {id, type, tenantId, occurredAt, subject, data} with headers ' +
  'ZTP-Webhook-Id (event id, the same on retries), ZTP-Webhook-Timestamp (unix seconds) and ' +
  'ZTP-Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>. Verify in constant time and refuse ' +
  'timestamps more than 5 minutes off. Non-2xx answers are retried with exponential backoff (10 attempts).';

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly endpoints: WebhookEndpointService) {}

  @Post()
  @RequireRoles('webhooks:admin')
  @Idempotent()
  @ApiOperation({
    summary: 'Adds a webhook endpoint; its signing secret is in this response only',
    description: SIGNATURE_SCHEME,
  })
  @ApiBody({ schema: openApiSchema(createSchema) })
  @ApiCreatedResponse({ description: '{ endpoint, secret }' })
  create(@Body() body: unknown, @CurrentPrincipal() principal: Principal) {
    return this.endpoints.create(tenantIdOf(principal), parseRequest(createSchema, body), principal.actor);
  }

  @Get()
  @RequireRoles('webhooks:admin')
  @ApiOperation({ summary: "The tenant's webhook endpoints, newest first" })
  @ApiPageQuery()
  @ApiOkResponse({ description: '{ items, nextCursor }: endpoints (never their secrets)' })
  list(
    @CurrentTenantId() tenantId: string,
    @Query() query: Record<string, string>,
  ): Promise<Page<WebhookEndpointView>> {
    return this.endpoints.list(tenantId, parseRequest(pageQuerySchema, query, 'query'));
  }

  @Get(':id')
  @RequireRoles('webhooks:admin')
  @ApiOperation({ summary: 'One webhook endpoint' })
  @ApiOkResponse({ description: 'The endpoint' })
  get(@CurrentTenantId() tenantId: string, @Param('id') id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(tenantId, id);
  }

  @Patch(':id')
  @HttpCode(200)
  @RequireRoles('webhooks:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Changes the URL, event types, description or enabled flag' })
  @ApiBody({ schema: openApiSchema(updateSchema) })
  @ApiOkResponse({ description: 'The endpoint' })
  update(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookEndpointView> {
    return this.endpoints.update(
      tenantIdOf(principal),
      id,
      parseRequest(updateSchema, body),
      principal.actor,
    );
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequireRoles('webhooks:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Replaces the signing secret; the new one is in this response only' })
  @ApiOkResponse({ description: '{ endpoint, secret }' })
  rotate(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return this.endpoints.rotateSecret(tenantIdOf(principal), id, principal.actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireRoles('webhooks:admin')
  @Idempotent()
  @ApiOperation({ summary: 'Removes the endpoint and its delivery history' })
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.endpoints.delete(tenantIdOf(principal), id, principal.actor);
  }

  @Get(':id/deliveries')
  @RequireRoles('webhooks:admin')
  @ApiOperation({ summary: 'The deliveries to the endpoint, newest first' })
  @ApiPageQuery()
  @ApiOkResponse({ description: '{ items, nextCursor }: deliveries with their attempts and last error' })
  deliveries(
    @CurrentTenantId() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, string>,
  ): Promise<Page<WebhookDeliveryView>> {
    return this.endpoints.deliveries(tenantId, id, parseRequest(pageQuerySchema, query, 'query'));
  }
}
