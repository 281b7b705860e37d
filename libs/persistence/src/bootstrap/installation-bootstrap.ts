import { type DataSource } from 'typeorm';
import { ApiKeyEntity } from '../ledger-api/api-key.entity';
import { RvPolicyEntryEntity } from '../rendezvous/rv-policy.entity';

/** An operator API key to store, already hashed: the key itself never reaches this layer. */
export interface BootstrapOperatorKey {
  /** The 12 hex digits of the key's lookup prefix. */
  readonly prefix: string;
  /** SHA-256 of the whole key. */
  readonly sha256: Buffer;
}

/** A manufacturer key to trust for TO0, named by the SHA-256 (hex) of its SubjectPublicKeyInfo. */
export interface BootstrapTrustedKey {
  readonly sha256: string;
  readonly label: string;
}

export interface InstallationBootstrapInput {
  readonly operatorKey?: BootstrapOperatorKey;
  readonly trustedManufacturerKeys?: readonly BootstrapTrustedKey[];
}

export type OperatorKeyOutcome =
  | { readonly status: 'none' }
  | { readonly status: 'created' | 'present' | 'revoked'; readonly prefix: string };

export interface InstallationBootstrapResult {
  readonly operatorKey: OperatorKeyOutcome;
  readonly trustedManufacturerKeys: { readonly created: number; readonly present: number };
}

/** The stored key with this prefix is a different key: refusing beats silently keeping either. */
export class BootstrapKeyConflictError extends Error {
  constructor(prefix: string) {
    super(
      `An API key with the prefix ztp_${prefix}_ exists and is a different key; ` +
        'choose another BOOTSTRAP_OPERATOR_API_KEY',
    );
    this.name = 'BootstrapKeyConflictError';
  }
}

export const BOOTSTRAP_OPERATOR_KEY_NAME = 'bootstrap';
const ACTOR = 'system:bootstrap';

/**
 * The data part of `npm run bootstrap`: creates the first operator API key and the rendezvous
 * policy's trusted manufacturer keys unless they exist. Idempotent, and safe when two runs race
 * (inserts that lose on a unique key are ignored and then read back). A revoked bootstrap key stays
 * revoked: re-running the bootstrap must not undo an operator's revocation.
 */
export async function bootstrapInstallation(
  dataSource: DataSource,
  input: InstallationBootstrapInput,
): Promise<InstallationBootstrapResult> {
  return dataSource.transaction(async (manager) => {
    let operatorKey: OperatorKeyOutcome = { status: 'none' };
    if (input.operatorKey) {
      const { prefix, sha256 } = input.operatorKey;
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(ApiKeyEntity)
        .values({
          tenantId: null,
          name: BOOTSTRAP_OPERATOR_KEY_NAME,
          prefix,
          keySha256: sha256,
          roles: [],
          expiresAt: null,
          revokedAt: null,
          createdBy: ACTOR,
        })
        .orIgnore()
        .returning(['id'])
        .execute();
      if (inserted.raw.length > 0) {
        operatorKey = { status: 'created', prefix };
      } else {
        const row = await manager.getRepository(ApiKeyEntity).findOneByOrFail({ prefix });
        if (!row.keySha256.equals(sha256) || row.tenantId !== null)
          throw new BootstrapKeyConflictError(prefix);
        operatorKey = { status: row.revokedAt ? 'revoked' : 'present', prefix };
      }
    }
    let created = 0;
    let present = 0;
    for (const key of input.trustedManufacturerKeys ?? []) {
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(RvPolicyEntryEntity)
        .values({ kind: 'manufacturer-key', sha256: key.sha256, certificate: null, label: key.label })
        .orIgnore()
        .returning(['id'])
        .execute();
      if (inserted.raw.length > 0) created += 1;
      else present += 1;
    }
    return { operatorKey, trustedManufacturerKeys: { created, present } };
  });
}
