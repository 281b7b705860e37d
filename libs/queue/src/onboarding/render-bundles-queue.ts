import { defineQueue } from '../queue-definition';

/**
 * Render owner-onboarding configuration bundles (the ServiceInfo each device gets in TO2) before
 * the devices arrive: for one owner tenant after its plans, groups or files changed, or, without a
 * tenant, for every device held by an owner that has no bundle yet or a stale one (the sweep).
 */
export interface RenderBundlesJob {
  ownerTenantId?: string;
}

export interface RenderBundlesResult {
  rendered: number;
  unchanged: number;
  deferred: number;
}

export const RENDER_BUNDLES = defineQueue<RenderBundlesJob, RenderBundlesResult>(
  'onboarding.render-bundles',
  {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
  },
);

/** How often the sweep runs (scheduled by owner-onboarding at start). */
export const RENDER_BUNDLES_SWEEP_EVERY_MS = 30_000;
