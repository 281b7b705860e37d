import { defineQueue } from '../queue-definition';

/** The periodic scan raising certificate.expiring for current certificates near their notAfter. */
export const CERTIFICATE_EXPIRY_SCAN = defineQueue<Record<string, never>, { announced: number }>(
  'certificates.expiry-scan',
  { removeOnComplete: { count: 20 }, removeOnFail: { count: 100 } },
);
