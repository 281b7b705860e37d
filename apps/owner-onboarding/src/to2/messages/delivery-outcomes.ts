import { Injectable, Logger } from '@nestjs/common';
import { FdoProtocolError } from '@ztp/platform';
import { ErrorCode } from '@ztp/protocol';
import { DataSource } from 'typeorm';
import { BundleDelivery } from '../../service-info/bundle-delivery';
import { type StepOutcome } from '../../service-info/service-info-progress';
import { ReplacementCredentials } from '../owner/replacement-credentials';
import { type To2Session, To2SessionStore } from '../session/session-store';

/**
 * Ends a TO2 whose configuration could not be delivered: the bundle is marked failed (with what
 * each step did) and the session closed, in one transaction; the Owner2Key generated for it is
 * destroyed. The device keeps its credentials and will run TO2 again.
 */
@Injectable()
export class DeliveryOutcomes {
  private readonly logger = new Logger('TO2');

  constructor(
    private readonly dataSource: DataSource,
    private readonly sessions: To2SessionStore,
    private readonly bundles: BundleDelivery,
    private readonly credentials: ReplacementCredentials,
  ) {}

  /** Records the failure; returns the error the device receives. */
  async failed(session: To2Session, detail: string, results: StepOutcome[]): Promise<FdoProtocolError> {
    await this.dataSource.transaction(async (manager) => {
      await this.bundles.recordFailure(manager, session.deviceId, session.ownerTenantId, detail, results);
      await this.sessions.save(session, 'failed', session.state, manager);
    });
    if (session.state.setup)
      await this.credentials
        .discard(session.state.setup)
        .catch((err: unknown) =>
          this.logger.warn(`Could not destroy an unused Owner2Key: ${(err as Error).message}`),
        );
    return new FdoProtocolError(ErrorCode.InternalServerError, `configuration delivery failed: ${detail}`);
  }
}
