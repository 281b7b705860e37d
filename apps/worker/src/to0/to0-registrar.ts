import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { FdoErrorReply, FdoHttpSession, runTo0, type Fetch } from '@ztp/fdo-client';
import { tenantSettings, type To0StateEntity } from '@ztp/persistence';
import { type KeyCustody } from '@ztp/pki';
import { APP_CONFIG, CLOCK, KEY_CUSTODY, type Clock } from '@ztp/platform';
import {
  buildRvTo2Addr,
  CborError,
  decodeRendezvousInfo,
  parseVoucher,
  PkType,
  resolveRendezvousInfo,
  SigAlg,
  VoucherError,
  voucherOwnerKey,
  type OwnershipVoucher,
  type RvTo2Addr,
  type Signer,
} from '@ztp/protocol';
import { DeviceFailureReporter, type To0RegisterResult, WebhookEvents } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { renewalDelaySeconds, retryDelaySeconds } from './to0-backoff';
import { To0TargetsRepository, type To0VoucherContext } from './to0-targets.repository';

/** The fetch TO0 uses (tests point it at an in-process server). */
export const TO0_FETCH = Symbol('TO0_FETCH');

/** Placeholder URL of the state recorded when a voucher offers no rendezvous URL to register at. */
export const NO_RENDEZVOUS_URL = 'none:';

const REQUEST_TIMEOUT_MS = 15_000;
const MAX_ERROR_LENGTH = 500;

interface RvUrl {
  url: string;
  directive: number;
  supported: boolean;
  protocol: string;
}

type StateFields = Omit<To0StateEntity, 'id' | 'updatedAt'>;

/** Something that keeps every attempt of this run from being made (no key, bad address...). */
class To0Precondition extends Error {}

/**
 * Automatic TO0 for one voucher (the owner side of FDO 1.1 section 5.3): for every rendezvous URL
 * of the voucher's RendezvousInfo (owner view) that is due, runs TO0 signed by the holder's owner
 * key in custody, announcing the holder's owner-onboarding addresses, and records the outcome in
 * to0_state: registered until when and when to renew (80 % of the granted time), or the error and
 * when to retry (exponential backoff). Each URL keeps its own schedule.
 */
@Injectable()
export class To0Registrar {
  private readonly logger = new Logger('TO0');

  constructor(
    private readonly targets: To0TargetsRepository,
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhookEvents,
    private readonly deviceEvents: DeviceFailureReporter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KEY_CUSTODY) private readonly custody: KeyCustody,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TO0_FETCH) private readonly fetch: Fetch,
  ) {}

  async register(voucherId: string, force = false): Promise<To0RegisterResult> {
    const context = await this.targets.loadEligible(voucherId);
    if (!context) {
      await this.targets.stop(voucherId);
      return { outcome: 'stopped', attempted: 0, registered: 0 };
    }
    const previous = new Map((await this.targets.states(voucherId)).map((state) => [state.rvUrl, state]));
    const now = this.clock.now();
    let voucher: OwnershipVoucher;
    let urls: RvUrl[];
    try {
      voucher = parseVoucher(context.cbor);
      urls = rendezvousUrls(voucher);
      if (urls.length === 0)
        throw new To0Precondition("the voucher's RendezvousInfo has no directive an owner can register at");
    } catch (err) {
      if (!(err instanceof VoucherError || err instanceof CborError || err instanceof To0Precondition))
        throw err;
      await this.save(context, previous.get(NO_RENDEZVOUS_URL), {
        rvUrl: NO_RENDEZVOUS_URL,
        directiveIndex: -1,
        status: 'unsupported',
        lastError: err.message.slice(0, MAX_ERROR_LENGTH),
      });
      return { outcome: 'idle', attempted: 0, registered: 0 };
    }
    for (const target of urls.filter((u) => !u.supported))
      await this.save(context, previous.get(target.url), {
        rvUrl: target.url,
        directiveIndex: target.directive,
        status: 'unsupported',
        lastError: `TO0 over ${target.protocol} is not supported; only http and https`,
      });

    const due = urls.filter((target) => {
      if (!target.supported) return false;
      const state = previous.get(target.url);
      return (
        force ||
        !state ||
        state.status === 'stopped' ||
        state.status === 'pending' ||
        state.targetDigest !== context.targetDigest ||
        (state.nextAttemptAt !== null && state.nextAttemptAt <= now)
      );
    });
    if (due.length === 0) return { outcome: 'idle', attempted: 0, registered: 0 };

    let prepared: { signer: Signer; addresses: RvTo2Addr[]; waitSeconds: number } | undefined;
    let precondition: Error | undefined;
    try {
      prepared = await this.prepare(context, voucher);
    } catch (err) {
      precondition = err instanceof Error ? err : new Error(String(err));
    }
    let registered = 0;
    for (const target of due) {
      const ok = await this.attempt(
        context,
        voucher,
        target,
        previous.get(target.url),
        prepared,
        precondition,
      );
      if (ok) registered++;
    }
    return {
      outcome: registered === due.length ? 'registered' : registered === 0 ? 'failed' : 'partial',
      attempted: due.length,
      registered,
    };
  }

  /** The owner signer and TO2 addresses, shared by every URL of this run. */
  private async prepare(context: To0VoucherContext, voucher: OwnershipVoucher) {
    const key = context.ownerKey;
    if (!key)
      throw new To0Precondition(
        `no owner key in custody matches the voucher's owner key (SHA-256 ${context.ownerKeySha256})`,
      );
    if (key.tenantId !== context.holderTenantId)
      throw new To0Precondition("the voucher's owner key belongs to another tenant than its holder");
    if (key.retired) throw new To0Precondition("the voucher's owner key is retired");
    const settings = tenantSettings(context.tenantSettings);
    const addresses = (settings.ownerOnboarding ?? []).map((address, i) => {
      try {
        return buildRvTo2Addr(address);
      } catch (err) {
        throw new To0Precondition(`owner onboarding address ${i}: ${(err as Error).message}`);
      }
    });
    const ownerKey = voucherOwnerKey(voucher);
    let alg: SigAlg | undefined;
    if (ownerKey.type === PkType.RSAPSS) {
      const { spec } = await this.custody.describeKey(key.custodyKeyId);
      alg = spec === 'RSA-3072' ? SigAlg.PS384 : SigAlg.PS256;
    }
    return {
      signer: await this.custody.signer(key.custodyKeyId, alg),
      addresses,
      waitSeconds: settings.to0WaitSeconds ?? this.config.to0.waitSeconds,
    };
  }

  private async attempt(
    context: To0VoucherContext,
    voucher: OwnershipVoucher,
    target: RvUrl,
    state: To0StateEntity | undefined,
    prepared: { signer: Signer; addresses: RvTo2Addr[]; waitSeconds: number } | undefined,
    precondition: Error | undefined,
  ): Promise<boolean> {
    const started = this.clock.now();
    const { retryBaseSeconds, retryMaxSeconds } = this.config.to0;
    try {
      if (!prepared) throw precondition;
      const outcome = await runTo0(
        new FdoHttpSession({ baseUrl: target.url, fetch: this.fetch, timeoutMs: REQUEST_TIMEOUT_MS }),
        {
          voucher,
          ownerSigner: prepared.signer,
          to2Addresses: prepared.addresses,
          waitSeconds: prepared.waitSeconds,
        },
      );
      const registeredUntil = new Date(started.getTime() + outcome.waitSeconds * 1000);
      const announce = state?.status !== 'registered' || state.targetDigest !== context.targetDigest;
      await this.save(
        context,
        state,
        {
          rvUrl: target.url,
          directiveIndex: target.directive,
          status: 'registered',
          registeredUntil,
          grantedWaitSeconds: outcome.waitSeconds,
          attempts: 0,
          lastAttemptAt: started,
          lastSuccessAt: started,
          lastError: null,
          lastErrorCode: null,
          nextAttemptAt: new Date(
            started.getTime() + renewalDelaySeconds(outcome.waitSeconds, retryBaseSeconds) * 1000,
          ),
        },
        announce ? { registeredUntil, waitSeconds: outcome.waitSeconds } : undefined,
      );
      return true;
    } catch (err) {
      const failures = (state?.status === 'registered' ? 0 : (state?.attempts ?? 0)) + 1;
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn(`TO0 of ${context.guid} at ${target.url} failed (attempt ${failures}): ${message}`);
      const lastErrorCode = err instanceof FdoErrorReply ? err.code : null;
      await this.save(
        context,
        state,
        {
          rvUrl: target.url,
          directiveIndex: target.directive,
          status: 'failed',
          attempts: failures,
          lastAttemptAt: started,
          lastError: message.slice(0, MAX_ERROR_LENGTH),
          lastErrorCode,
          nextAttemptAt: new Date(
            started.getTime() + retryDelaySeconds(failures, retryBaseSeconds, retryMaxSeconds) * 1000,
          ),
        },
        undefined,
        { reason: message.slice(0, MAX_ERROR_LENGTH), errorCode: lastErrorCode, attempts: failures },
      );
      return false;
    }
  }

  /**
   * Writes the state of one URL over the previous one, and, when a registration newly took effect,
   * raises `to0.registered` for the holder in the same transaction (the webhook outbox); a failed
   * attempt is a `to0.failed` device event (and webhook, once per device and coalescing window).
   */
  private async save(
    context: To0VoucherContext,
    previous: To0StateEntity | undefined,
    change: Partial<StateFields> & Pick<StateFields, 'rvUrl' | 'directiveIndex' | 'status'>,
    registeredEvent?: { registeredUntil: Date; waitSeconds: number },
    failure?: { reason: string; errorCode: number | null; attempts: number },
  ): Promise<void> {
    const state: StateFields = {
      voucherId: context.voucherId,
      deviceId: context.deviceId,
      guid: context.guid,
      targetDigest: context.targetDigest,
      registeredUntil: previous?.registeredUntil ?? null,
      grantedWaitSeconds: previous?.grantedWaitSeconds ?? null,
      attempts: previous?.attempts ?? 0,
      lastAttemptAt: previous?.lastAttemptAt ?? null,
      lastSuccessAt: previous?.lastSuccessAt ?? null,
      lastError: null,
      lastErrorCode: null,
      nextAttemptAt: null,
      ...change,
    };
    await this.dataSource.transaction(async (manager) => {
      await this.targets.saveState(manager, state);
      if (failure)
        await this.deviceEvents.report(
          {
            target: { deviceId: context.deviceId },
            tenantId: context.holderTenantId,
            protocol: 'fdo',
            eventType: 'to0.failed',
            result: 'failed',
            messageType: null,
            errorCode: failure.errorCode,
            reason: `TO0 at ${state.rvUrl}: ${failure.reason}`,
            data: { rendezvousUrl: state.rvUrl, voucherId: context.voucherId, attempts: failure.attempts },
            webhook: 'to0.failed',
          },
          manager,
        );
      if (registeredEvent)
        await this.deviceEvents.report(
          {
            target: { deviceId: context.deviceId },
            tenantId: context.holderTenantId,
            protocol: 'fdo',
            eventType: 'to0.registered',
            result: 'succeeded',
            data: { rendezvousUrl: state.rvUrl, voucherId: context.voucherId },
          },
          manager,
        );
      if (registeredEvent)
        await this.webhooks.emit(manager, {
          tenantId: context.holderTenantId,
          type: 'to0.registered',
          subject: `device:${context.guid}`,
          data: {
            guid: context.guid,
            voucherId: context.voucherId,
            rendezvousUrl: state.rvUrl,
            registeredUntil: registeredEvent.registeredUntil.toISOString(),
            waitSeconds: registeredEvent.waitSeconds,
          },
        });
    });
  }
}

/** The rendezvous URLs an owner registers at, from the voucher's RendezvousInfo (owner view). */
function rendezvousUrls(voucher: OwnershipVoucher): RvUrl[] {
  const info = decodeRendezvousInfo(voucher.header.rendezvousInfo.bytes);
  return resolveRendezvousInfo(info, 'owner').flatMap((target) =>
    target.urls.map((url) => ({
      url,
      directive: target.directive,
      protocol: target.protocol,
      supported: target.protocol === 'http' || target.protocol === 'https',
    })),
  );
}
