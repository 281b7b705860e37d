import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { ApiKeyEntity } from '@ztp/persistence';
import { APP_CONFIG, CLOCK, type Clock, ProblemException } from '@ztp/platform';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { type Principal } from '../principal';
import { isTenantRole, type TenantRole } from '../roles';
import { apiKeyMatches, apiKeyPrefix, generateApiKey } from './api-key-format';

export interface CreateApiKeyInput {
  /** The tenant the key acts for; null for an operator key. */
  tenantId: string | null;
  name: string;
  /** Tenant roles (ignored, and must be empty, for operator keys). */
  roles: readonly string[];
  expiresAt?: Date | null;
  /** Audit actor of the creator. */
  createdBy: string;
}

/** An API key as listed: never the key or its hash. */
export interface ApiKeyView {
  id: string;
  tenantId: string | null;
  name: string;
  prefix: string;
  roles: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  createdBy: string;
  createdAt: string;
}

export interface CreatedApiKey {
  /** Shown once; only its hash is kept. */
  key: string;
  apiKey: ApiKeyView;
}

export function apiKeyView(row: ApiKeyEntity): ApiKeyView {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    prefix: row.prefix,
    roles: row.roles,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}

const BAD_ROLES = 'https://ztp.dev/problems/invalid-roles';

/**
 * API keys: created (the key returned once), listed, revoked, and resolved to a principal. Also
 * recognises the bootstrap operator key whose SHA-256 is in AUTH_OPERATOR_API_KEY_SHA256.
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates a key; pass `manager` to create it inside a caller's transaction. */
  async create(
    input: CreateApiKeyInput,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CreatedApiKey> {
    const roles = checkRoles(input.tenantId, input.roles);
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now().getTime())
      throw new ProblemException(422, {
        type: 'https://ztp.dev/problems/invalid-expiry',
        title: 'Expiry in the past',
        detail: 'expiresAt must be in the future',
      });
    const generated = generateApiKey();
    const row = await manager.getRepository(ApiKeyEntity).save(
      manager.getRepository(ApiKeyEntity).create({
        tenantId: input.tenantId,
        name: input.name,
        prefix: generated.prefix,
        keySha256: generated.sha256,
        roles,
        expiresAt: input.expiresAt ?? null,
        revokedAt: null,
        createdBy: input.createdBy,
      }),
    );
    return { key: generated.key, apiKey: apiKeyView(row) };
  }

  /** The keys of a tenant (or, with null, the operator keys), newest first. */
  async list(tenantId: string | null): Promise<ApiKeyView[]> {
    const rows = await this.dataSource.getRepository(ApiKeyEntity).find({
      where: { tenantId: tenantId ?? IsNull() },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    return rows.map(apiKeyView);
  }

  /** Revokes a key of this tenant (null: an operator key). Undefined when there is no such key. */
  async revoke(tenantId: string | null, id: string): Promise<ApiKeyView | undefined> {
    const repository = this.dataSource.getRepository(ApiKeyEntity);
    const row = await repository.findOneBy({ id, tenantId: tenantId ?? IsNull() });
    if (!row) return undefined;
    if (!row.revokedAt) {
      row.revokedAt = this.clock.now();
      await repository.update({ id }, { revokedAt: row.revokedAt });
    }
    return apiKeyView(row);
  }

  /**
   * The principal a presented key stands for, or undefined when it is malformed, unknown, wrong,
   * expired or revoked (the caller answers 401 without saying which).
   */
  async authenticate(key: string): Promise<Principal | undefined> {
    const bootstrap = this.config.auth.operatorApiKeySha256;
    if (bootstrap && apiKeyMatches(key, Buffer.from(bootstrap, 'hex')))
      return { kind: 'operator', actor: 'operator:bootstrap', credential: 'bootstrap-key' };
    const prefix = apiKeyPrefix(key);
    if (!prefix) return undefined;
    const row = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ prefix });
    if (!row || !apiKeyMatches(key, row.keySha256)) return undefined;
    const now = this.clock.now().getTime();
    if (row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= now)) return undefined;
    const actor = `api-key:${row.id}`;
    if (row.tenantId === null) return { kind: 'operator', actor, credential: 'api-key' };
    return {
      kind: 'tenant',
      tenantId: row.tenantId,
      roles: row.roles.filter(isTenantRole),
      actor,
      credential: 'api-key',
    };
  }
}

function checkRoles(tenantId: string | null, roles: readonly string[]): TenantRole[] {
  if (tenantId === null) {
    if (roles.length > 0)
      throw new ProblemException(422, {
        type: BAD_ROLES,
        title: 'Operator keys take no roles',
        detail: 'an operator key manages tenants; tenant roles are given to tenant keys',
      });
    return [];
  }
  const unknown = roles.filter((role) => !isTenantRole(role));
  if (unknown.length > 0 || roles.length === 0)
    throw new ProblemException(422, {
      type: BAD_ROLES,
      title: 'Invalid roles',
      detail:
        roles.length === 0 ? 'give the key at least one role' : `unknown role(s): ${unknown.join(', ')}`,
    });
  return [...new Set(roles)] as TenantRole[];
}
