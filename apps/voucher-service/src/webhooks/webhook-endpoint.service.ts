import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@ztp/auth';
import { type AppConfig } from '@ztp/config';
import { WebhookDeliveryEntity, WebhookEndpointEntity } from '@ztp/persistence';
import { APP_CONFIG, isUuid, ProblemException } from '@ztp/platform';
import { generateWebhookSecret, sealWebhookSecret, webhookSecretKey, WebhookTargetPolicy } from '@ztp/queue';
import { DataSource, type EntityManager } from 'typeorm';
import { LedgerAudit } from '../audit/ledger-audit';
import { keysetPage, type Page } from '../vouchers/http/cursor';

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
}

export interface WebhookDeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface EndpointInput {
  url: string;
  eventTypes: string[];
  description?: string | null;
}

function endpointView(row: WebhookEndpointEntity): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

/** 400, shaped like the request validation's problems: the URL is well-formed but not allowed. */
function refusedUrl(reason: string): ProblemException {
  return new ProblemException(400, {
    type: 'https://ztp.dev/problems/invalid-request',
    title: 'Invalid request',
    detail: `The request body is invalid: url: ${reason}`,
    extensions: { errors: [{ path: 'url', message: reason }] },
  });
}

/**
 * A tenant's webhook endpoints. The signing secret is generated here, returned once (at creation
 * and on rotation) and stored sealed under a key derived from the key-custody master key. URLs go
 * through the SSRF guard's registration check (no credentials, no IP literal of a non-public
 * address unless allowed); host names are checked again at each delivery, on what they resolve to.
 */
@Injectable()
export class WebhookEndpointService {
  private readonly secretKey: Buffer;
  private readonly targets: WebhookTargetPolicy;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: LedgerAudit,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.secretKey = webhookSecretKey(config.keyCustody.masterKey);
    this.targets = new WebhookTargetPolicy(config.ledger.webhookTargets);
  }

  private checkUrl(url: string): void {
    const refusal = this.targets.urlRefusal(url);
    if (refusal) throw refusedUrl(refusal);
  }

  async create(
    tenantId: string,
    input: EndpointInput,
    actor: string,
  ): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
    this.checkUrl(input.url);
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(WebhookEndpointEntity);
      const row = await repository.save({
        tenantId,
        url: input.url,
        description: input.description ?? null,
        eventTypes: [...new Set(input.eventTypes)],
        secretSealed: Buffer.alloc(0),
        enabled: true,
        createdBy: actor,
      });
      const secret = await this.reseal(manager, row, actor, 'webhook.created');
      return { endpoint: endpointView(row), secret };
    });
  }

  /** The tenant's endpoints, newest first, one page. */
  list(tenantId: string, page: { cursor?: string; limit: number }): Promise<Page<WebhookEndpointView>> {
    const builder = this.dataSource
      .getRepository(WebhookEndpointEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId });
    return keysetPage(builder, 'e', page, endpointView);
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpointView> {
    return endpointView(await this.load(this.dataSource.manager, tenantId, id));
  }

  async update(
    tenantId: string,
    id: string,
    patch: Partial<EndpointInput> & { enabled?: boolean },
    actor: string,
  ): Promise<WebhookEndpointView> {
    if (patch.url !== undefined) this.checkUrl(patch.url);
    return this.dataSource.transaction(async (manager) => {
      const row = await this.load(manager, tenantId, id);
      if (patch.url !== undefined) row.url = patch.url;
      if (patch.eventTypes !== undefined) row.eventTypes = [...new Set(patch.eventTypes)];
      if (patch.description !== undefined) row.description = patch.description;
      if (patch.enabled !== undefined) row.enabled = patch.enabled;
      await manager.getRepository(WebhookEndpointEntity).save(row);
      await this.audit.record(manager, {
        tenantId,
        eventType: 'webhook.updated',
        subject: `webhook:${row.id}`,
        actor,
        data: { url: row.url, eventTypes: row.eventTypes, enabled: row.enabled },
      });
      return endpointView(row);
    });
  }

  async rotateSecret(
    tenantId: string,
    id: string,
    actor: string,
  ): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.load(manager, tenantId, id);
      return {
        endpoint: endpointView(row),
        secret: await this.reseal(manager, row, actor, 'webhook.secret-rotated'),
      };
    });
  }

  async delete(tenantId: string, id: string, actor: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const row = await this.load(manager, tenantId, id);
      await manager.getRepository(WebhookEndpointEntity).delete({ id: row.id });
      await this.audit.record(manager, {
        tenantId,
        eventType: 'webhook.deleted',
        subject: `webhook:${row.id}`,
        actor,
        data: { url: row.url },
      });
    });
  }

  /** The endpoint's deliveries, newest first, one page. */
  async deliveries(
    tenantId: string,
    id: string,
    page: { cursor?: string; limit: number },
  ): Promise<Page<WebhookDeliveryView>> {
    const endpoint = await this.load(this.dataSource.manager, tenantId, id);
    const builder = this.dataSource
      .getRepository(WebhookDeliveryEntity)
      .createQueryBuilder('d')
      .where('d.endpoint_id = :endpointId AND d.tenant_id = :tenantId', {
        endpointId: endpoint.id,
        tenantId,
      });
    return keysetPage(builder, 'd', page, (row) => ({
      id: row.id,
      eventId: row.eventId,
      eventType: row.eventType,
      status: row.status,
      attempts: row.attempts,
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      lastStatusCode: row.lastStatusCode,
      lastError: row.lastError,
      createdAt: row.createdAt.toISOString(),
      deliveredAt: row.deliveredAt?.toISOString() ?? null,
    }));
  }

  private async reseal(
    manager: EntityManager,
    row: WebhookEndpointEntity,
    actor: string,
    eventType: string,
  ): Promise<string> {
    const secret = generateWebhookSecret();
    await manager
      .getRepository(WebhookEndpointEntity)
      .update({ id: row.id }, { secretSealed: sealWebhookSecret(this.secretKey, row.id, secret) });
    await this.audit.record(manager, {
      tenantId: row.tenantId,
      eventType,
      subject: `webhook:${row.id}`,
      actor,
      data: { url: row.url, eventTypes: row.eventTypes },
    });
    return secret;
  }

  private async load(manager: EntityManager, tenantId: string, id: string): Promise<WebhookEndpointEntity> {
    const row = isUuid(id)
      ? await manager.getRepository(WebhookEndpointEntity).findOneBy({ id, tenantId })
      : null;
    if (!row) throw notFound('webhook endpoint', id);
    return row;
  }
}
