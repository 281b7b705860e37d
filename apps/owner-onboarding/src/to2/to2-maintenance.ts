import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CLOCK, type Clock } from '@ztp/platform';
import { JobQueues, RENDER_BUNDLES, RENDER_BUNDLES_SWEEP_EVERY_MS } from '@ztp/queue';
import { DataSource } from 'typeorm';
import { sqlRows } from '../support/sql-rows';
import { ReplacementCredentials } from './owner/replacement-credentials';
import { SESSION_SEALER } from './to2.tokens';
import { type SessionSealer } from './session/session-sealer';
import { decodeSessionState } from './session/session-state';

const SWEEP_EVERY_MS = 60_000;

/**
 * Housekeeping while owner-onboarding runs: removes expired TO2 sessions (destroying the Owner2Keys
 * of runs that never completed), and keeps the configuration-bundle sweep job scheduled so bundles
 * are rendered for devices whose vouchers just arrived. Every replica may run it: both are idempotent.
 */
@Injectable()
export class To2Maintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TO2');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: JobQueues,
    private readonly credentials: ReplacementCredentials,
    @Inject(SESSION_SEALER) private readonly sealer: SessionSealer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queues
      .get(RENDER_BUNDLES)
      .upsertJobScheduler(
        'render-bundles-sweep',
        { every: RENDER_BUNDLES_SWEEP_EVERY_MS },
        { name: 'sweep', data: {} },
      )
      .catch((err: unknown) =>
        this.logger.warn(`Could not schedule the bundle sweep: ${(err as Error).message}`),
      );
    this.timer = setInterval(() => {
      this.sweepSessions().catch((err: unknown) =>
        this.logger.warn(`TO2 session sweep failed: ${(err as Error).message}`),
      );
    }, SWEEP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes expired sessions; returns how many. */
  async sweepSessions(): Promise<number> {
    const rows = sqlRows<{ token_hash: Buffer; stage: string; state: Buffer }>(
      await this.dataSource.query(
        `DELETE FROM to2_session WHERE token_hash IN (
           SELECT token_hash FROM to2_session WHERE expires_at < $1 LIMIT 1000)
         RETURNING token_hash, stage, state`,
        [this.clock.now()],
      ),
    );
    for (const row of rows) {
      if (row.stage === 'done' || row.stage === 'failed') continue;
      try {
        const state = decodeSessionState(this.sealer.open(row.state, row.token_hash));
        if (state.setup) await this.credentials.discard(state.setup);
      } catch (err) {
        this.logger.warn(`Could not clean up an expired TO2 session: ${(err as Error).message}`);
      }
    }
    return rows.length;
  }
}
