import { createHash, X509Certificate } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { RvPolicyEntity, RvPolicyEntryEntity, type RvPolicyEntryKind } from '@ztp/persistence';
import { CLOCK, type Clock } from '@ztp/platform';
import { DataSource } from 'typeorm';
import { RENDEZVOUS_SETTINGS, type RendezvousSettings } from '../settings/rendezvous-settings';
import { type AcceptancePolicy } from './acceptance-policy';

/** Defaults of the policy's settings until an operator saves them. */
export const DEFAULT_MIN_WAIT_SECONDS = 60;
export const DEFAULT_MAX_WAIT_SECONDS = 86_400;

/** How long a replica reuses the policy it read; its own changes apply at once. */
const POLICY_CACHE_MS = 5_000;

export interface PolicySettings {
  openMode: boolean;
  minWaitSeconds: number;
  maxWaitSeconds: number;
  /** false while the configured defaults apply (no saved settings). */
  saved: boolean;
  updatedAt: Date | null;
}

export interface NewPolicyEntry {
  kind: RvPolicyEntryKind;
  /** Keys: SHA-256 (hex) of the SPKI. Ignored for device-ca (computed from the certificate). */
  sha256?: string;
  /** device-ca: the certificate, DER. */
  certificate?: Uint8Array;
  /** device-ca: SHA-256 (hex) of the manufacturer keys it is bound to. */
  manufacturerKeys?: readonly string[];
  label?: string | null;
}

/** The acceptance policy in PostgreSQL (rv_policy, rv_policy_entry), read through a short cache. */
@Injectable()
export class PolicyStore implements OnApplicationBootstrap {
  private readonly logger = new Logger('RendezvousPolicy');
  private cached: { policy: AcceptancePolicy; loadedAtMs: number } | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(RENDEZVOUS_SETTINGS) private readonly settings: RendezvousSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** One start-up line saying which policy applies; the open one says what it is. */
  async onApplicationBootstrap(): Promise<void> {
    const policy = await this.current();
    const lists =
      policy.trustedManufacturerKeys.size + policy.trustedDeviceCas.length + policy.allowedOwnerKeys.size;
    if (policy.openMode && lists === 0) {
      this.logger.warn(
        'rendezvous acceptance policy: OPEN (any verified voucher is registered by TO0). A development ' +
          'convenience of the embedded database; never use it on a server devices you do not own can reach',
      );
    } else {
      this.logger.log(
        `rendezvous acceptance policy: ${lists === 0 ? 'closed (nothing trusted yet)' : `${lists} trust list entries`}`,
      );
    }
  }

  async current(): Promise<AcceptancePolicy> {
    const nowMs = this.clock.now().getTime();
    if (this.cached && nowMs - this.cached.loadedAtMs < POLICY_CACHE_MS) return this.cached.policy;
    const [settings, entries] = await Promise.all([this.readSettings(), this.listEntries()]);
    const keys = (kind: RvPolicyEntryKind) =>
      new Set(entries.filter((e) => e.kind === kind).map((e) => e.sha256));
    const policy: AcceptancePolicy = {
      openMode: settings.openMode && this.settings.openModeAllowed,
      minWaitSeconds: settings.minWaitSeconds,
      maxWaitSeconds: settings.maxWaitSeconds,
      trustedManufacturerKeys: keys('manufacturer-key'),
      trustedDeviceCas: entries
        .filter((e) => e.kind === 'device-ca' && e.certificate !== null)
        .map((e) => ({
          certificate: new Uint8Array(e.certificate!),
          manufacturerKeys: new Set(e.manufacturerKeys),
        })),
      allowedOwnerKeys: keys('owner-allow'),
      deniedOwnerKeys: keys('owner-deny'),
    };
    this.cached = { policy, loadedAtMs: nowMs };
    return policy;
  }

  openModeAllowed(): boolean {
    return this.settings.openModeAllowed;
  }

  async readSettings(): Promise<PolicySettings> {
    const row = await this.dataSource.getRepository(RvPolicyEntity).findOneBy({ id: 1 });
    if (!row)
      return {
        openMode: this.settings.defaultPolicy === 'open',
        minWaitSeconds: DEFAULT_MIN_WAIT_SECONDS,
        maxWaitSeconds: DEFAULT_MAX_WAIT_SECONDS,
        saved: false,
        updatedAt: null,
      };
    return { ...row, saved: true };
  }

  async saveSettings(settings: Omit<PolicySettings, 'saved' | 'updatedAt'>): Promise<PolicySettings> {
    const row = await this.dataSource.getRepository(RvPolicyEntity).save({
      id: 1,
      openMode: settings.openMode,
      minWaitSeconds: settings.minWaitSeconds,
      maxWaitSeconds: settings.maxWaitSeconds,
      updatedAt: this.clock.now(),
    });
    this.cached = undefined;
    return { ...row, saved: true };
  }

  async listEntries(kind?: RvPolicyEntryKind): Promise<RvPolicyEntryEntity[]> {
    return this.dataSource
      .getRepository(RvPolicyEntryEntity)
      .find({ where: kind ? { kind } : {}, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Adds an entry; returns the existing one when the same key or CA is already listed that way. */
  async addEntry(entry: NewPolicyEntry): Promise<{ entry: RvPolicyEntryEntity; created: boolean }> {
    const repository = this.dataSource.getRepository(RvPolicyEntryEntity);
    const certificate = entry.certificate ? Buffer.from(entry.certificate) : null;
    const sha256 = certificate ? createHash('sha256').update(certificate).digest('hex') : entry.sha256!;
    const existing = await repository.findOneBy({ kind: entry.kind, sha256 });
    if (existing) return { entry: existing, created: false };
    const saved = await repository.save({
      kind: entry.kind,
      sha256,
      certificate,
      manufacturerKeys: [...(entry.manufacturerKeys ?? [])],
      label: entry.label ?? null,
    });
    this.cached = undefined;
    return { entry: saved, created: true };
  }

  async removeEntry(id: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(RvPolicyEntryEntity).delete({ id });
    this.cached = undefined;
    return (result.affected ?? 0) > 0;
  }
}

/** The SHA-256 (hex) of a certificate's SubjectPublicKeyInfo, for listing a key by its certificate. */
export function certificateKeySha256(certificate: X509Certificate): string {
  return createHash('sha256')
    .update(certificate.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}
