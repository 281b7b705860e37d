import { type JsonWebKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { preparedQuery, RvRegistrationEntity, type RegisteredTo2Address } from '@ztp/persistence';
import { DataSource } from 'typeorm';

/** A registration to store (TO0.OwnerSign accepted). */
export interface NewRegistration {
  guid: string;
  voucher: Uint8Array;
  to1d: Uint8Array;
  numEntries: number;
  /** SHA-256 of the voucher header's bytes. */
  headerSha256: Uint8Array;
  /** SHA-256 of each voucher entry's bytes, in order. */
  entrySha256: Uint8Array[];
  ownerKeySha256: string;
  manufacturerKeySha256: string;
  deviceKeySpki: Uint8Array;
  deviceKeyJwk: JsonWebKey;
  to2Addresses: RegisteredTo2Address[];
  requestedWaitSeconds: number;
  grantedWaitSeconds: number;
  registeredAt: Date;
  expiresAt: Date;
  sourceAddress: string;
}

export interface RegistrationFilter {
  ownerKeySha256?: string;
  manufacturerKeySha256?: string;
  /** active: not expired at `now`; expired: expired but not yet swept. */
  state?: 'active' | 'expired';
  /** Only GUIDs after this one (keyset paging). */
  after?: string;
  limit: number;
}

/** What TO1 reads of a registration. */
export interface To1Row {
  deviceKeySpki: Buffer;
  /** Null for rows registered before the column existed. */
  deviceKeyJwk: JsonWebKey | null;
  to1d: Buffer;
  expiresAt: Date;
}

const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Rendezvous registrations in PostgreSQL (rv_registration, one row per GUID). */
@Injectable()
export class RegistrationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores a registration, replacing the GUID's earlier one only with a voucher that extends it:
   * the same header and the registered entries first (the same voucher renews; a later owner's,
   * extended from it, takes over). Anything else is refused while the row exists, expired or not
   * (the sweep deletes expired rows; the rendezvous operator deletes a registration through the
   * admin API): a previous owner, whose shorter voucher still verifies, must not take a device back
   * from the owner it was sold to, and a voucher with another header (another manufacturer key, a
   * forged one) must not redirect a registered device. The check is the `ON CONFLICT ... WHERE` of
   * the one statement, evaluated on the locked row, so concurrent TO0s for a GUID cannot race past
   * it. Rows registered before the hashes were stored keep the earlier rule (no fewer entries).
   * Returns false when refused.
   */
  async upsert(registration: NewRegistration): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO rv_registration (guid, voucher, to1d, num_entries, owner_key_sha256,
         manufacturer_key_sha256, device_key_spki, device_key_jwk, to2_addresses,
         requested_wait_seconds, granted_wait_seconds, registered_at, expires_at, source_address,
         header_sha256, entry_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (guid) DO UPDATE SET
         voucher = EXCLUDED.voucher, to1d = EXCLUDED.to1d, num_entries = EXCLUDED.num_entries,
         owner_key_sha256 = EXCLUDED.owner_key_sha256,
         manufacturer_key_sha256 = EXCLUDED.manufacturer_key_sha256,
         device_key_spki = EXCLUDED.device_key_spki, device_key_jwk = EXCLUDED.device_key_jwk,
         to2_addresses = EXCLUDED.to2_addresses,
         requested_wait_seconds = EXCLUDED.requested_wait_seconds,
         granted_wait_seconds = EXCLUDED.granted_wait_seconds,
         registered_at = EXCLUDED.registered_at, expires_at = EXCLUDED.expires_at,
         source_address = EXCLUDED.source_address,
         header_sha256 = EXCLUDED.header_sha256, entry_sha256 = EXCLUDED.entry_sha256
       WHERE rv_registration.num_entries <= EXCLUDED.num_entries
         AND (rv_registration.header_sha256 IS NULL
              OR (rv_registration.header_sha256 = EXCLUDED.header_sha256
                  AND rv_registration.entry_sha256
                      = EXCLUDED.entry_sha256[1:rv_registration.num_entries]))
       RETURNING guid`,
      [
        registration.guid,
        bytes(registration.voucher),
        bytes(registration.to1d),
        registration.numEntries,
        registration.ownerKeySha256,
        registration.manufacturerKeySha256,
        bytes(registration.deviceKeySpki),
        JSON.stringify(registration.deviceKeyJwk),
        JSON.stringify(registration.to2Addresses),
        registration.requestedWaitSeconds,
        registration.grantedWaitSeconds,
        registration.registeredAt,
        registration.expiresAt,
        registration.sourceAddress,
        bytes(registration.headerSha256),
        registration.entrySha256.map(bytes),
      ],
    );
    return rows.length === 1;
  }

  /** The TO1 view of a registration in force at `now`, or undefined. */
  async findForTo1(guid: string, now: Date): Promise<To1Row | undefined> {
    const rows: {
      device_key_spki: Buffer;
      device_key_jwk: JsonWebKey | null;
      to1d: Buffer;
      expires_at: Date;
    }[] = await preparedQuery(this.dataSource, 'rv-to1-lookup', TO1_LOOKUP, [guid, now]);
    const row = rows[0];
    return (
      row && {
        deviceKeySpki: row.device_key_spki,
        deviceKeyJwk: row.device_key_jwk,
        to1d: row.to1d,
        expiresAt: row.expires_at,
      }
    );
  }

  async get(guid: string): Promise<RvRegistrationEntity | null> {
    return this.dataSource.getRepository(RvRegistrationEntity).findOneBy({ guid });
  }

  async list(filter: RegistrationFilter, now: Date): Promise<RvRegistrationEntity[]> {
    const query = this.dataSource
      .getRepository(RvRegistrationEntity)
      .createQueryBuilder('r')
      .orderBy('r.guid', 'ASC')
      .limit(filter.limit);
    if (filter.ownerKeySha256 !== undefined)
      query.andWhere('r.owner_key_sha256 = :owner', { owner: filter.ownerKeySha256 });
    if (filter.manufacturerKeySha256 !== undefined)
      query.andWhere('r.manufacturer_key_sha256 = :manufacturer', {
        manufacturer: filter.manufacturerKeySha256,
      });
    if (filter.state === 'active') query.andWhere('r.expires_at > :now', { now });
    if (filter.state === 'expired') query.andWhere('r.expires_at <= :now', { now });
    if (filter.after !== undefined) query.andWhere('r.guid > :after', { after: filter.after });
    return query.getMany();
  }

  async delete(guid: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(RvRegistrationEntity).delete({ guid });
    return (result.affected ?? 0) > 0;
  }
}

/** TO1's lookup, once per device: the rendezvous' hottest query, so a prepared statement. */
const TO1_LOOKUP = `SELECT device_key_spki, device_key_jwk, to1d, expires_at FROM rv_registration
                     WHERE guid = $1 AND expires_at > $2`;
