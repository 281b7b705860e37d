import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
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
import { WebhookEvents, webhookPayload } from '@ztp/queue';
import { DataSource, type EntityManager } from 'typeorm';
import { hotQuery } from '../../support/hot-sql';
import { sqlRows } from '../../support/sql-rows';
import { type To2Session, To2SessionStore } from '../session/session-store';
import { type CompletionCounts, completionStatement } from './completion-statement';
import { type SetupState, type To2SessionState } from '../session/session-state';

/**
 * The end of a successful TO2, atomically: the session is closed (exactly once: guarded by its
 * version), the replacement voucher enters the ledger (new GUID, RendezvousInfo, Owner2Key as its
 * owner key, the device's replacement HMAC, no entries; held by the owner, with an owner_key row
 * for Owner2Key) and the old one is retired, the device is marked onboarded under its new GUID, its
 * devmod stored and its bundle marked delivered, with audit events and a `device.onboarded`
 * webhook. All of it is one statement (completion-statement.ts): one round trip, no BEGIN/COMMIT.
 * Under credential reuse nothing is replaced: the device is onboarded, the voucher stays.
 */
@Injectable()
export class OnboardingCompletion {
  private readonly logger = new Logger('TO2');

  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: To2SessionStore,
    private readonly webhooks: WebhookEvents,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async complete(session: To2Session, voucher: OwnershipVoucher): Promise<void> {
    const { state } = session;
    const setup = state.setup!;
    const progress = state.serviceInfo!;
    const oldGuid = guidToHex(state.guid);
    const newGuid = guidToHex(setup.guid);
    const replaced = state.replacementHmac != null;
    const now = this.clock.now();
    const replacement = replaced ? replacementVoucher(voucher, state, setup) : null;
    // Replaced under credential reuse, the replacement keeps the GUID: the old voucher must be
    // retired before the new one may be active (one active voucher per GUID), so in a statement
    // of its own, before the completion statement, in one transaction.
    const retireFirst = replaced && setup.reuse;
    const data = {
      deviceId: session.deviceId,
      guid: newGuid,
      previousGuid: oldGuid,
      credentialReuse: !replaced,
      voucherId: session.voucherId,
      replacementVoucherId: replacement?.id ?? null,
      kexSuite: state.kexSuite,
      cipherSuite: state.cipher,
      configurationSteps: progress.results.length,
    };
    const { sql, params } = completionStatement({
      tokenHash: session.tokenHash,
      version: session.version,
      closedState: CLOSED_STATE,
      now,
      ownerTenantId: session.ownerTenantId,
      deviceId: session.deviceId,
      voucherId: session.voucherId,
      oldGuid,
      newGuid,
      retire: replaced && !retireFirst,
      checkVoucher: !retireFirst,
      replacement,
      owner2Key:
        replaced && !setup.reuse
          ? { name: `owner2-${newGuid}`, spec: setup.owner2Spec, custodyKeyId: setup.owner2CustodyKeyId }
          : null,
      devmodJson: progress.devmod ? JSON.stringify(progress.devmod) : null,
      resultsJson: JSON.stringify(progress.results),
      audit: [
        ...(replaced
          ? [
              {
                eventType: 'voucher.replaced',
                subject: `voucher:${session.voucherId}`,
                actor: `device:${oldGuid}`,
                data: { replacementVoucherId: replacement!.id, guid: newGuid, previousGuid: oldGuid },
              },
            ]
          : []),
        { eventType: 'device.onboarded', subject: `device:${newGuid}`, actor: `device:${oldGuid}`, data },
      ],
      webhook: webhookPayload(
        { type: 'device.onboarded', tenantId: session.ownerTenantId, subject: `device:${newGuid}`, data },
        now,
      ),
    });
    const counts = retireFirst
      ? await this.dataSource.transaction(async (manager) => {
          await this.retire(manager, session.voucherId, session.ownerTenantId, now);
          return this.checked(session, firstRow(await manager.query(sql, params)));
        })
      : await this.checked(session, firstRow(await hotQuery(this.dataSource, sql, params)));
    this.sessions.closed(session);
    if (counts.webhook_deliveries.length > 0)
      void this.webhooks
        .dispatch(counts.webhook_deliveries)
        .catch((err: unknown) =>
          this.logger.warn(`Webhook enqueue failed (the sweep retries it): ${(err as Error).message}`),
        );
  }

  /**
   * Nothing was written unless the session closed; says why it did not. A concurrent duplicate
   * may also find the voucher already retired, so the session's version tells them apart.
   */
  private async checked(session: To2Session, counts: CompletionCounts): Promise<CompletionCounts> {
    if (counts.sessions === 1) return counts;
    const duplicate = () =>
      FdoProtocolError.malformed('this TO2 message was already processed (duplicate or concurrent request)');
    if (counts.vouchers_locked === 1 && counts.devices_locked === 1) throw duplicate();
    const rows: { version: number }[] = await this.dataSource.query(
      `SELECT version FROM to2_session WHERE token_hash = $1`,
      [session.tokenHash],
    );
    if (rows[0]?.version !== session.version) throw duplicate();
    throw new FdoProtocolError(
      ErrorCode.InternalServerError,
      'the voucher or device changed during onboarding',
    );
  }

  private async retire(
    manager: EntityManager,
    voucherId: string,
    ownerTenantId: string,
    now: Date,
  ): Promise<void> {
    const retired: unknown = await manager.query(
      `UPDATE voucher SET status = 'retired', updated_at = $2
        WHERE id = $1 AND status = 'active' AND holder_tenant_id = $3 RETURNING id`,
      [voucherId, now, ownerTenantId],
    );
    if (sqlRows(retired).length !== 1)
      throw new FdoProtocolError(ErrorCode.InternalServerError, 'the voucher changed during onboarding');
  }
}

function firstRow(rows: unknown): CompletionCounts {
  return (rows as CompletionCounts[])[0]!;
}

/**
 * The state a finished session keeps until it expires: none. A closed session is never opened
 * again (every message refuses the `done` stage before reading its state) and what the run
 * produced is in the ledger, so there is nothing to seal.
 */
const CLOSED_STATE = Buffer.alloc(0);

/** The replacement voucher (FDO 1.1 5.5.x: TO2 credentials) and its owner key, Owner2Key. */
function replacementVoucher(voucher: OwnershipVoucher, state: To2SessionState, setup: SetupState) {
  const owner2Key = decodePublicKey(setup.owner2Key);
  // The SPKI custody returned at TO2.ProveDevice; older sessions did not keep it.
  const ownerSpki = Buffer.from(setup.owner2Spki ?? owner2Key.key.export({ type: 'spki', format: 'der' }));
  const cbor = buildReplacementVoucher(voucher, {
    guid: setup.guid,
    rendezvousInfo: new RawCbor(setup.rvInfo),
    owner2Key,
    headerHmac: decodeFdoHmac(decode(state.replacementHmac!), 'ReplacementHMac'),
  }).bytes;
  return {
    id: randomUUID(),
    cbor: Buffer.from(cbor),
    ownerSpki,
    ownerSha256: createHash('sha256').update(ownerSpki).digest('hex'),
  };
}
