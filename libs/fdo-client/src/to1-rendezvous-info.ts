import { resolveRendezvousInfo, rvTo2AddrUrl, type RendezvousInfo, type RvTo2Addr } from '@ztp/protocol';
import { FdoHttpSession, type FdoHttpSessionOptions } from './http-transport';
import { runTo1, type To1Device } from './to1';

/** One rendezvous URL tried and why it did not lead to the owner. */
export interface To1Attempt {
  directive: number;
  url: string;
  error: Error;
}

export interface To1Route {
  /** The directive that answered. */
  directive: number;
  /** The rendezvous server that answered, or the owner's own URL for a bypass directive. */
  url: string;
  /** RVBypass: the device skips TO1 and goes to `url` for TO2 directly. */
  bypass: boolean;
  /** From the owner's to1d (empty for bypass). */
  to2Addresses: RvTo2Addr[];
  /** Where to run TO2, in order: the to1d addresses as URLs, or the bypass URL. */
  to2Urls: string[];
  /** The owner-signed to1d as received (null for bypass). */
  to1d: Uint8Array | null;
  /** Directives tried before this one, and why they failed. */
  attempts: To1Attempt[];
}

/** No directive of the device's RendezvousInfo led to an owner. */
export class To1NoRouteError extends Error {
  override readonly name = 'To1NoRouteError';
  constructor(readonly attempts: To1Attempt[]) {
    super(
      attempts.length === 0
        ? 'RendezvousInfo has no directive for the device'
        : `no rendezvous server led to an owner: ${attempts.map((a) => `${a.url}: ${a.error.message}`).join('; ')}`,
    );
  }
}

/**
 * What a device does on first boot before TO2: walks its RendezvousInfo (device view: OwnerOnly
 * directives skipped, DevPort used) in order, runs TO1 against each http/https URL until one
 * answers with the owner's to1d, or returns a bypass directive's URL as is. Directive delays are
 * not slept (a simulator wants answers, not waits). Other transports are recorded as attempts.
 */
export async function findOwnerViaRendezvous(
  info: RendezvousInfo,
  device: To1Device,
  session: Omit<FdoHttpSessionOptions, 'baseUrl'> = {},
): Promise<To1Route> {
  const attempts: To1Attempt[] = [];
  for (const target of resolveRendezvousInfo(info, 'device')) {
    for (const url of target.urls) {
      if (target.protocol !== 'http' && target.protocol !== 'https') {
        attempts.push({
          directive: target.directive,
          url,
          error: new Error(`${target.protocol} is not supported`),
        });
        continue;
      }
      if (target.bypass)
        return {
          directive: target.directive,
          url,
          bypass: true,
          to2Addresses: [],
          to2Urls: [url],
          to1d: null,
          attempts,
        };
      try {
        const outcome = await runTo1(new FdoHttpSession({ ...session, baseUrl: url }), device);
        return {
          directive: target.directive,
          url,
          bypass: false,
          to2Addresses: outcome.to2Addresses,
          to2Urls: outcome.to2Addresses.map(rvTo2AddrUrl),
          to1d: outcome.to1d,
          attempts,
        };
      } catch (err) {
        attempts.push({
          directive: target.directive,
          url,
          error: err instanceof Error ? err : new Error(String(err)),
        });
      }
    }
  }
  throw new To1NoRouteError(attempts);
}
