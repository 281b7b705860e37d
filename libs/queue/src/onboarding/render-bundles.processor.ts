import { Injectable, Logger } from '@nestjs/common';
import { type Job } from 'bullmq';
import { BundleRenderer } from '@ztp/persistence';
import { DataSource } from 'typeorm';
import { type JobProcessor } from '../nest/job-processor';
import { RENDER_BUNDLES, type RenderBundlesJob, type RenderBundlesResult } from './render-bundles-queue';

/** Consumes onboarding.render-bundles: one owner tenant's bundles, or the sweep of pending ones. */
@Injectable()
export class RenderBundlesProcessor implements JobProcessor<RenderBundlesJob, RenderBundlesResult> {
  readonly queue = RENDER_BUNDLES;
  private readonly logger = new Logger('RenderBundles');
  private readonly renderer: BundleRenderer;

  constructor(dataSource: DataSource) {
    this.renderer = new BundleRenderer(dataSource);
  }

  async process(job: Job<RenderBundlesJob, RenderBundlesResult>): Promise<RenderBundlesResult> {
    const report = job.data.ownerTenantId
      ? await this.renderer.renderTenant(job.data.ownerTenantId)
      : await this.renderer.renderPending();
    if (report.rendered > 0 || report.deferred > 0)
      this.logger.log(
        `Rendered ${report.rendered} bundle(s)${job.data.ownerTenantId ? ` for owner ${job.data.ownerTenantId}` : ''}` +
          (report.deferred > 0 ? `, ${report.deferred} deferred (delivery in progress)` : ''),
      );
    return report;
  }
}
