/**
 * When automatic TO0 acts next. A failed attempt waits base * 2^(failures - 1) seconds, capped,
 * with +-20 % jitter so that vouchers failing together (a rendezvous outage) do not retry in step.
 * A success registers again at 80 % of the time granted, so a registration never lapses while the
 * rendezvous server answers.
 */
export function retryDelaySeconds(
  failures: number,
  baseSeconds: number,
  maxSeconds: number,
  random: () => number = Math.random,
): number {
  const exponential = baseSeconds * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  const capped = Math.min(exponential, maxSeconds);
  return Math.max(1, Math.round(capped * (0.8 + 0.4 * random())));
}

/** Seconds until re-registering a registration granted for `grantedSeconds`; never sooner than `minSeconds`. */
export function renewalDelaySeconds(grantedSeconds: number, minSeconds: number): number {
  return Math.max(minSeconds, Math.floor(grantedSeconds * 0.8));
}
