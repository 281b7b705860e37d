import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '@ztp/persistence';
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
import { sqlRows } from '../../support/sql-rows';
import { type To2Session, To2SessionStore } from '../session/session-store';
import { COMPLETION_STATEMENT, type CompletionCounts } from './completion-statement';
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
    const now = this.clock.now();
    const owner2Key = decodePublicKey(setup.owner2Key);
    const spki = new Uint8Array(owner2Key.key.export({ type: 'spki', format: 'der' }));
    const replacement = replaced
      ? buildReplacementVoucher(voucher, {
          guid: setup.guid,
          rendezvousInfo: new RawCbor(setup.rvInfo),
          owner2Key,
          headerHmac: decodeFdoHmac(decode(state.replacementHmac!), 'ReplacementHMac'),
        })
      : null;
    // Replaced under credential reuse, the replacement keeps the GUID: the old voucher must be
    // retired before the new one may be active (one active voucher per GUID).
    const retireFirst = replaced && setup.reuse;
    await this.dataSource.transaction(async (manager) => {
      if (retireFirst) await this.retire(manager, session.voucherId, now);
      const [counts] = (await manager.query(COMPLETION_STATEMENT, [
        session.tokenHash,
        session.version,
        this.sessions.seal(session, closedState(state)),
        now,
        session.ownerTenantId,
        session.deviceId,
        session.voucherId,
        newGuid,
        replaced,
        replacement ? Buffer.from(replacement.bytes) : null,
        spkiSha256(spki),
        replaced && !setup.reuse,
        `owner2-${newGuid}`,
        setup.owner2Spec,
        setup.owner2CustodyKeyId,
        Buffer.from(spki),
        progress.devmod ? JSON.stringify(progress.devmod) : null,
        oldGuid,
        JSON.stringify(progress.results),
        replaced && !retireFirst,
      ])) as CompletionCounts[];
      if (counts!.sessions !== 1)
        throw FdoProtocolError.malformed(
          'this TO2 message was already processed (duplicate or concurrent request)',
        );
      if (counts!.devices !== 1 || (replaced && !retireFirst && counts!.retired !== 1))
        throw new FdoProtocolError(
          ErrorCode.InternalServerError,
          'the voucher or device changed during onboarding',
        );
      const replacementVoucherId = counts!.replacement_id;
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

  private async retire(manager: EntityManager, voucherId: string, now: Date): Promise<void> {
    const retired: unknown = await manager.query(
      `UPDATE voucher SET status = 'retired', updated_at = $2 WHERE id = $1 AND status = 'active' RETURNING id`,
      [voucherId, now],
    );
    if (sqlRows(retired).length !== 1)
      throw new FdoProtocolError(ErrorCode.InternalServerError, 'the voucher changed during onboarding');
  }
}

/** What stays of a finished session until it expires: no key material. */
function closedState(state: To2SessionState): To2SessionState {
  const { kexState: _kex, tunnelKeys: _tunnel, ...rest } = state;
  return rest;
}
