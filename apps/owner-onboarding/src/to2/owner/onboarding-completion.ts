import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog, OwnerKeyEntity, VoucherEntity } from '@ztp/persistence';
import { CLOCK, type Clock, FdoProtocolError } from '@ztp/platform';
import {
  buildReplacementVoucher,
  decodeFdoHmac,
  decodePublicKey,
  decode,
  ErrorCode,
  guidToHex,
  type OwnershipVoucher,
  RawCbor,
} from '@ztp/protocol';
import { WebhookEvents } from '@ztp/queue';
import { DataSource, type EntityManager } from 'typeorm';
import { BundleDelivery } from '../../service-info/bundle-delivery';
import { sqlRows } from '../../support/sql-rows';
import { type To2Session, To2SessionStore } from '../session/session-store';
import { type To2SessionState } from '../session/session-state';

const spkiSha256 = (spki: Uint8Array) => createHash('sha256').update(spki).digest('hex');

/**
 * The end of a successful TO2, in ONE transaction: the session is closed (exactly once: guarded by
 * its version), the replacement voucher enters the ledger (new GUID, RendezvousInfo, Owner2Key as
 * its owner key, the device's replacement HMAC, no entries; held by the owner, with an owner_key
 * row for Owner2Key) and the old one is retired, the device is marked onboarded under its new GUID,
 * its devmod stored and its bundle marked delivered, with audit events and a `device.onboarded`
 * webhook. Under credential reuse nothing is replaced: the device is onboarded, the voucher stays.
 */
@Injectable()
export class OnboardingCompletion {
  private readonly audit: AuditLog;

  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: To2SessionStore,
    private readonly bundles: BundleDelivery,
    private readonly webhooks: WebhookEvents,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.audit = new AuditLog(() => clock.now());
  }

  async complete(session: To2Session, voucher: OwnershipVoucher): Promise<void> {
    const { state } = session;
    const setup = state.setup!;
    const progress = state.serviceInfo!;
    const oldGuid = guidToHex(state.guid);
    const newGuid = guidToHex(setup.guid);
    const replaced = state.replacementHmac != null;
    await this.dataSource.transaction(async (manager) => {
      await this.sessions.save(session, 'done', closedState(state), manager);
      let replacementVoucherId: string | null = null;
      if (replaced) replacementVoucherId = await this.replaceVoucher(manager, session, voucher);
      const result: unknown = await manager.query(
        `UPDATE device SET guid = $2, lifecycle = 'onboarded', updated_at = $3 WHERE id = $1 RETURNING id`,
        [session.deviceId, newGuid, this.clock.now()],
      );
      if (sqlRows(result).length !== 1)
        throw new FdoProtocolError(ErrorCode.InternalServerError, 'internal error');
      if (progress.devmod)
        await manager.query(
          `INSERT INTO device_devmod (device_id, owner_tenant_id, guid, devmod, received_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (device_id) DO UPDATE SET owner_tenant_id = EXCLUDED.owner_tenant_id, guid = EXCLUDED.guid,
             devmod = EXCLUDED.devmod, received_at = EXCLUDED.received_at`,
          [
            session.deviceId,
            session.ownerTenantId,
            oldGuid,
            JSON.stringify(progress.devmod),
            this.clock.now(),
          ],
        );
      await this.bundles.recordDelivered(manager, session.deviceId, session.ownerTenantId, progress.results);
      const data = {
        deviceId: session.deviceId,
        guid: newGuid,
        previousGuid: oldGuid,
        credentialReuse: !replaced,
        voucherId: session.voucherId,
        replacementVoucherId,
        kexSuite: state.kexSuite,
        cipherSuite: state.cipher,
        configurationSteps: progress.results.length,
      };
      if (replaced)
        await this.audit.append(manager, {
          tenantId: session.ownerTenantId,
          eventType: 'voucher.replaced',
          subject: `voucher:${session.voucherId}`,
          actor: `device:${oldGuid}`,
          data: { replacementVoucherId, guid: newGuid, previousGuid: oldGuid },
        });
      await this.audit.append(manager, {
        tenantId: session.ownerTenantId,
        eventType: 'device.onboarded',
        subject: `device:${newGuid}`,
        actor: `device:${oldGuid}`,
        data,
      });
      await this.webhooks.emit(manager, {
        tenantId: session.ownerTenantId,
        type: 'device.onboarded',
        subject: `device:${newGuid}`,
        data,
      });
    });
  }

  private async replaceVoucher(
    manager: EntityManager,
    session: To2Session,
    voucher: OwnershipVoucher,
  ): Promise<string> {
    const { setup, replacementHmac } = session.state;
    const owner2Key = decodePublicKey(setup!.owner2Key);
    const replacement = buildReplacementVoucher(voucher, {
      guid: setup!.guid,
      rendezvousInfo: new RawCbor(setup!.rvInfo),
      owner2Key,
      headerHmac: decodeFdoHmac(decode(replacementHmac!), 'ReplacementHMac'),
    });
    const spki = new Uint8Array(owner2Key.key.export({ type: 'spki', format: 'der' }));
    const ownerKeySha256 = spkiSha256(spki);
    if (!setup!.reuse)
      await manager.getRepository(OwnerKeyEntity).insert({
        tenantId: session.ownerTenantId,
        name: `owner2-${guidToHex(setup!.guid)}`,
        spec: setup!.owner2Spec,
        custodyKeyId: setup!.owner2CustodyKeyId,
        publicKeySpki: Buffer.from(spki),
        publicKeySha256: ownerKeySha256,
        retiredAt: null,
      });
    const retired: unknown = await manager.query(
      `UPDATE voucher SET status = 'retired', updated_at = $2 WHERE id = $1 AND status = 'active' RETURNING id`,
      [session.voucherId, this.clock.now()],
    );
    if (sqlRows(retired).length !== 1)
      throw new FdoProtocolError(ErrorCode.InternalServerError, 'the voucher changed during onboarding');
    const inserted = await manager.getRepository(VoucherEntity).insert({
      deviceId: session.deviceId,
      guid: guidToHex(setup!.guid),
      cbor: Buffer.from(replacement.bytes),
      numEntries: 0,
      ownerKeySha256,
      holderTenantId: session.ownerTenantId,
      status: 'active',
      replacesVoucherId: session.voucherId,
      deletedAt: null,
    });
    return (inserted.identifiers[0] as { id: string }).id;
  }
}

/** What stays of a finished session until it expires: no key material. */
function closedState(state: To2SessionState): To2SessionState {
  const { kexState: _kex, tunnelKeys: _tunnel, ...rest } = state;
  return rest;
}
