import { Inject, Injectable } from '@nestjs/common';
import {
  SztpDeviceEntity,
  SztpDeviceTypeEntity,
  SztpMasaEntity,
  SztpMasaVoucherIssuer,
  SztpOwnerEntity,
  SztpVoucherEntity,
  type SztpVoucherSource,
  TenantEntity,
} from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { CLOCK, type Clock, KEY_CUSTODY } from '@ztp/platform';
import { sztp } from '@ztp/protocol';
import { WebhookEvents } from '@ztp/queue';
import { DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { fromB64, notFound, sztpProblem } from './sztp-http';
import { SztpAudit } from './sztp-audit';
import { sha256Hex } from './sztp-views';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNIQUE_VIOLATION = '23505';

export interface ImportedVoucher {
  voucher: SztpVoucherEntity;
  /** The voucher carries a nonce: it only verifies for a device that sends exactly that nonce. */
  nonceBound: boolean;
  /** Members skipped in lenient parsing. */
  ignored: readonly string[];
}

/**
 * The RFC 8366 voucher ledger: vouchers issued by our MASAs (pinned-domain-cert = the owner's CA),
 * vouchers imported after verification against the MASA they claim (CMS id-data or
 * id-ct-animaJSONVoucher), and transfers, which re-issue the voucher to the recipient's owner CA
 * (SZTP vouchers cannot be extended as FDO's are). Every change writes audit events for the
 * tenants involved and a `voucher.received` webhook for the new holder, in its transaction.
 */
@Injectable()
export class SztpVoucherLedger {
  private readonly issuer: SztpMasaVoucherIssuer;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(KEY_CUSTODY) custody: KeyCustody,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: SztpAudit,
    private readonly webhooks: WebhookEvents,
  ) {
    this.issuer = new SztpMasaVoucherIssuer({ dataSource, custody, now: () => clock.now() });
  }

  async issue(
    tenantId: string,
    input: {
      masaId: string;
      deviceTypeId: string;
      serialNumber: string;
      ownerTenant: string;
      expiresOn?: Date | undefined;
    },
    actor: string,
  ): Promise<SztpVoucherEntity> {
    const masa = await this.masa(tenantId, input.masaId);
    if (masa.custodyKeyId === null) {
      throw sztpProblem(
        409,
        'masa-external',
        'External MASA',
        `MASA "${masa.name}" verifies vouchers but cannot sign them`,
      );
    }
    await this.deviceType(tenantId, input.deviceTypeId);
    const owner = await this.ownerOf(input.ownerTenant);
    if (input.expiresOn && input.expiresOn.getTime() <= this.clock.now().getTime()) {
      throw sztpProblem(400, 'invalid-expiry', 'Invalid expiry', 'expiresOn is in the past');
    }
    const pinnedNotAfter = sztp.parseCertificate(owner.caCertificate).notAfter;
    if (input.expiresOn && input.expiresOn.getTime() > pinnedNotAfter.getTime()) {
      // RFC 8366: a voucher must not outlive the certificate it pins.
      throw sztpProblem(
        400,
        'invalid-expiry',
        'Invalid expiry',
        `expiresOn is after the pinned owner CA certificate's notAfter (${pinnedNotAfter.toISOString()})`,
      );
    }
    const cms = await this.issuer.issue(masa.id, {
      serialNumber: input.serialNumber,
      pinnedDomainCert: owner.caCertificate,
      ...(input.expiresOn ? { expiresOn: input.expiresOn } : {}),
    });
    return this.store(async (manager) => {
      const device = await this.deviceFor(manager, input.deviceTypeId, input.serialNumber);
      await this.noActiveVoucher(manager, device.id);
      const voucher = await this.insert(manager, {
        device,
        masaId: masa.id,
        holderTenantId: owner.tenantId,
        cms,
        contentType: sztp.Oid.animaJsonVoucher,
        pinnedDomainCert: owner.caCertificate,
        pinsHolder: true,
        assertion: 'verified',
        expiresOn: input.expiresOn ?? null,
        source: 'issued',
        replacesVoucherId: null,
      });
      await this.audit.record(
        manager,
        ...this.events(
          tenantId,
          owner.tenantId,
          voucher,
          actor,
          'sztp.voucher.issued',
          'sztp.voucher.received',
        ),
      );
      await this.received(manager, voucher, 'issued');
      return voucher;
    });
  }

  async import(
    tenantId: string,
    input: {
      masaId: string;
      deviceTypeId: string;
      voucher: Uint8Array;
      holderTenant?: string | undefined;
      lenient: boolean;
    },
    actor: string,
  ): Promise<ImportedVoucher> {
    const masa = await this.masa(tenantId, input.masaId);
    await this.deviceType(tenantId, input.deviceTypeId);
    const verified = this.verify(masa, input.voucher, input.lenient);
    const { voucher } = verified;
    if (voucher.pinnedDomainCert === undefined) {
      throw sztpProblem(
        422,
        'invalid-voucher',
        'Invalid voucher',
        'the voucher has no pinned-domain-cert, which SZTP devices need',
      );
    }
    const pinned = voucher.pinnedDomainCert;
    const holder = input.holderTenant
      ? await this.ownerOf(input.holderTenant)
      : ((await this.ownerPinnedBy(pinned)) ??
        (await this.dataSource.getRepository(SztpOwnerEntity).findOneBy({ tenantId })));
    const holderTenantId = holder?.tenantId ?? tenantId;
    const stored = await this.store(async (manager) => {
      const device = await this.deviceFor(manager, input.deviceTypeId, voucher.serialNumber);
      const previous = await this.activeVoucher(manager, device.id);
      if (previous && previous.holderTenantId !== holderTenantId) {
        throw sztpProblem(
          409,
          'voucher-held',
          'Voucher held elsewhere',
          'another tenant holds the active voucher of this device',
        );
      }
      if (previous)
        await manager.getRepository(SztpVoucherEntity).update({ id: previous.id }, { status: 'superseded' });
      const row = await this.insert(manager, {
        device,
        masaId: masa.id,
        holderTenantId,
        cms: input.voucher,
        contentType: verified.contentType,
        pinnedDomainCert: pinned,
        pinsHolder: holder !== null && pinsOwner(holder, pinned),
        assertion: voucher.assertion ?? null,
        expiresOn: voucher.expiresOn ? new Date(voucher.expiresOn) : null,
        source: 'imported',
        replacesVoucherId: previous?.id ?? null,
      });
      await this.audit.record(
        manager,
        ...this.events(
          tenantId,
          holderTenantId,
          row,
          actor,
          'sztp.voucher.imported',
          'sztp.voucher.received',
        ),
      );
      await this.received(manager, row, 'imported');
      return row;
    });
    return { voucher: stored, nonceBound: voucher.nonce !== undefined, ignored: verified.ignored };
  }

  async transfer(
    tenantId: string,
    voucherId: string,
    input: { toTenant: string },
    actor: string,
  ): Promise<SztpVoucherEntity> {
    const current = await this.held(tenantId, voucherId);
    if (current.status !== 'active') {
      throw sztpProblem(
        409,
        'voucher-superseded',
        'Voucher superseded',
        'only the active voucher of a device can be transferred',
      );
    }
    const recipient = await this.ownerOf(input.toTenant);
    if (recipient.tenantId === tenantId) {
      throw sztpProblem(
        400,
        'invalid-transfer',
        'Invalid transfer',
        'the voucher is already held by this tenant',
      );
    }
    if (!(await this.issuer.canIssue(current.masaId))) {
      throw sztpProblem(
        409,
        'masa-external',
        'External MASA',
        "the voucher's MASA is external: it cannot be re-issued here",
      );
    }
    const now = this.clock.now().getTime();
    const expiresOn = current.expiresOn && current.expiresOn.getTime() > now ? current.expiresOn : undefined;
    const cms = await this.issuer.issue(current.masaId, {
      serialNumber: current.serialNumber,
      pinnedDomainCert: recipient.caCertificate,
      ...(expiresOn ? { expiresOn } : {}),
    });
    return this.store(async (manager) => {
      const locked = await manager
        .getRepository(SztpVoucherEntity)
        .findOne({ where: { id: current.id }, lock: { mode: 'pessimistic_write' } });
      if (locked?.status !== 'active' || locked.holderTenantId !== tenantId) {
        throw sztpProblem(
          409,
          'voucher-superseded',
          'Voucher superseded',
          'the voucher changed hands meanwhile',
        );
      }
      await manager.getRepository(SztpVoucherEntity).update({ id: locked.id }, { status: 'superseded' });
      const device = await manager.getRepository(SztpDeviceEntity).findOneByOrFail({ id: locked.deviceId });
      const voucher = await this.insert(manager, {
        device,
        masaId: locked.masaId,
        holderTenantId: recipient.tenantId,
        cms,
        contentType: sztp.Oid.animaJsonVoucher,
        pinnedDomainCert: recipient.caCertificate,
        pinsHolder: true,
        assertion: 'verified',
        expiresOn: expiresOn ?? null,
        source: 'reissued',
        replacesVoucherId: locked.id,
      });
      // A new owner starts from scratch: its own profile, a fresh bootstrapping state.
      await manager.getRepository(SztpDeviceEntity).update(
        { id: device.id },
        {
          onboardingProfileId: null,
          bootstrapState: 'pending',
          lastProgressType: null,
          lastProgressAt: null,
          sshHostKeys: null,
          trustAnchorCerts: null,
          onboardedAt: null,
        },
      );
      await this.audit.record(
        manager,
        ...this.events(
          tenantId,
          recipient.tenantId,
          voucher,
          actor,
          'sztp.voucher.transferred-out',
          'sztp.voucher.transferred-in',
          locked.id,
        ),
      );
      await this.received(manager, voucher, 'transferred');
      return voucher;
    });
  }

  list(tenantId: string, status?: 'active' | 'superseded'): Promise<SztpVoucherEntity[]> {
    return this.dataSource.getRepository(SztpVoucherEntity).find({
      where: { holderTenantId: tenantId, ...(status ? { status } : {}) },
      order: { createdAt: 'ASC' },
      take: 1000,
    });
  }

  /** A voucher the tenant holds (or held, when superseded). */
  async held(tenantId: string, id: string): Promise<SztpVoucherEntity> {
    const row = UUID.test(id)
      ? await this.dataSource.getRepository(SztpVoucherEntity).findOneBy({ id })
      : null;
    if (row === null || row.holderTenantId !== tenantId) throw notFound('SZTP voucher', id);
    return row;
  }

  private verify(masa: SztpMasaEntity, cms: Uint8Array, lenient: boolean): sztp.VerifiedVoucher {
    // Lenient: what google/open-sztp emits (Go XMLName member, empty assertion) reads as RFC 8366bis.
    const parse: sztp.VoucherParseOptions = lenient ? { profile: 'rfc8366bis', lenient: true } : {};
    const trust: sztp.VoucherTrust =
      masa.trustAnchors.length > 0
        ? { trustAnchors: masa.trustAnchors.map(fromB64), intermediates: masa.chain.map(fromB64) }
        : { masaCertificate: new Uint8Array(masa.certificate) };
    try {
      return sztp.verifyVoucher(cms, {
        trust,
        now: this.clock.now(),
        parse,
        ...nonceOf(cms, parse),
      });
    } catch (err) {
      if (err instanceof sztp.SztpVerificationError || err instanceof sztp.SztpPayloadError) {
        const code = err instanceof sztp.SztpVerificationError ? err.code : 'malformed-voucher';
        throw sztpProblem(422, 'invalid-voucher', 'Invalid voucher', `${code}: ${err.message}`);
      }
      throw err;
    }
  }

  private async masa(tenantId: string, id: string): Promise<SztpMasaEntity> {
    const row = UUID.test(id)
      ? await this.dataSource.getRepository(SztpMasaEntity).findOneBy({ id, tenantId })
      : null;
    if (row === null) throw notFound('MASA', id);
    return row;
  }

  private async deviceType(tenantId: string, id: string): Promise<SztpDeviceTypeEntity> {
    const row = UUID.test(id)
      ? await this.dataSource.getRepository(SztpDeviceTypeEntity).findOneBy({ id, tenantId })
      : null;
    if (row === null) throw notFound('device type', id);
    return row;
  }

  /** A tenant (id or slug) with an SZTP owner identity. */
  private async ownerOf(reference: string): Promise<SztpOwnerEntity> {
    const tenants = this.dataSource.getRepository(TenantEntity);
    const tenant = UUID.test(reference)
      ? await tenants.findOneBy({ id: reference })
      : await tenants.findOneBy({ slug: reference });
    if (tenant === null) throw notFound('tenant', reference);
    const owner = await this.dataSource.getRepository(SztpOwnerEntity).findOneBy({ tenantId: tenant.id });
    if (owner === null) {
      throw sztpProblem(
        409,
        'owner-not-set-up',
        'No SZTP owner identity',
        `tenant ${tenant.slug} has no SZTP owner certificate to pin`,
      );
    }
    return owner;
  }

  private async ownerPinnedBy(pinned: Uint8Array): Promise<SztpOwnerEntity | null> {
    const rows = await this.dataSource
      .getRepository(SztpOwnerEntity)
      .createQueryBuilder('o')
      .where('o.ca_certificate = :der OR o.signing_certificate = :der', { der: Buffer.from(pinned) })
      .getMany();
    return rows[0] ?? null;
  }

  private async deviceFor(
    manager: EntityManager,
    deviceTypeId: string,
    serialNumber: string,
  ): Promise<SztpDeviceEntity> {
    const devices = manager.getRepository(SztpDeviceEntity);
    const existing = await devices.findOneBy({ deviceTypeId, serialNumber });
    return existing ?? devices.save({ deviceTypeId, serialNumber, bootstrapState: 'pending' });
  }

  private activeVoucher(manager: EntityManager, deviceId: string): Promise<SztpVoucherEntity | null> {
    return manager
      .getRepository(SztpVoucherEntity)
      .findOne({ where: { deviceId, status: 'active' }, lock: { mode: 'pessimistic_write' } });
  }

  private async noActiveVoucher(manager: EntityManager, deviceId: string): Promise<void> {
    if (await this.activeVoucher(manager, deviceId)) {
      throw sztpProblem(
        409,
        'voucher-exists',
        'Voucher exists',
        'the device has an active voucher; transfer it instead',
      );
    }
  }

  private insert(
    manager: EntityManager,
    fields: {
      device: SztpDeviceEntity;
      masaId: string;
      holderTenantId: string;
      cms: Uint8Array;
      contentType: string;
      pinnedDomainCert: Uint8Array;
      pinsHolder: boolean;
      assertion: string | null;
      expiresOn: Date | null;
      source: SztpVoucherSource;
      replacesVoucherId: string | null;
    },
  ): Promise<SztpVoucherEntity> {
    return manager.getRepository(SztpVoucherEntity).save({
      deviceId: fields.device.id,
      serialNumber: fields.device.serialNumber,
      masaId: fields.masaId,
      holderTenantId: fields.holderTenantId,
      cms: Buffer.from(fields.cms),
      contentType: fields.contentType,
      pinnedDomainCertSha256: sha256Hex(fields.pinnedDomainCert),
      pinsHolder: fields.pinsHolder,
      assertion: fields.assertion,
      expiresOn: fields.expiresOn,
      source: fields.source,
      status: 'active',
      replacesVoucherId: fields.replacesVoucherId,
    });
  }

  private events(
    actingTenantId: string,
    holderTenantId: string,
    voucher: SztpVoucherEntity,
    actor: string,
    actingEvent: string,
    holderEvent: string,
    replaced?: string,
  ) {
    const data = {
      voucherId: voucher.id,
      serialNumber: voucher.serialNumber,
      holderTenantId,
      pinnedDomainCertSha256: voucher.pinnedDomainCertSha256,
      ...(replaced ? { replacesVoucherId: replaced } : {}),
    };
    const subject = `sztp-voucher:${voucher.id}`;
    const acting = { tenantId: actingTenantId, eventType: actingEvent, subject, actor, data };
    return holderTenantId === actingTenantId
      ? [acting]
      : [acting, { tenantId: holderTenantId, eventType: holderEvent, subject, actor, data }];
  }

  private async received(manager: EntityManager, voucher: SztpVoucherEntity, how: string): Promise<void> {
    await this.webhooks.emit(manager, {
      tenantId: voucher.holderTenantId,
      type: 'voucher.received',
      subject: `sztp-voucher:${voucher.id}`,
      data: { protocol: 'sztp', how, voucherId: voucher.id, serialNumber: voucher.serialNumber },
    });
  }

  private async store<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (err) {
      if (
        err instanceof QueryFailedError &&
        (err.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw sztpProblem(
          409,
          'voucher-exists',
          'Voucher exists',
          'the device got an active voucher meanwhile',
        );
      }
      throw err;
    }
  }
}

/** Whether the owner's certificate chains to the voucher's pinned-domain-cert. */
function pinsOwner(owner: SztpOwnerEntity, pinned: Uint8Array): boolean {
  try {
    sztp.verifyOwnerCertificate(
      sztp.encodeOwnerCertificate(owner.signingCertificate, [owner.caCertificate]),
      pinned,
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * A nonce-bound voucher verifies only with its own nonce, which the ledger (not being the device)
 * takes from the content itself; the signature and trust checks are still made with it.
 */
function nonceOf(cms: Uint8Array, parse: sztp.VoucherParseOptions): { nonce?: Uint8Array } {
  try {
    const content = sztp.decodeSignedData(cms).eContent;
    const nonce = content && sztp.parseVoucherJson(content, parse).voucher.nonce;
    return nonce ? { nonce } : {};
  } catch {
    // Unreadable here: verifyVoucher reports the precise problem.
    return {};
  }
}
