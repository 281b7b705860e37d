import { isIP } from 'node:net';
import { type TenantSettings } from '@ztp/persistence';
import {
  buildRendezvousInfo,
  type RendezvousInfo,
  RendezvousSpecError,
  type RvDirectiveSpec,
} from '@ztp/protocol';
import { ManufacturingError } from '../manufacturing-error';

/** One rendezvous directive as a manufacturer configures it (tenant.settings.rendezvous[i]). */
export type RendezvousDirective = NonNullable<TenantSettings['rendezvous']>[number];

const FIELDS = new Set(['dns', 'ip', 'port', 'protocol', 'delaySec', 'bypass']);

/**
 * Checks directives an admin sent: known fields only, each one buildable into an FDO directive
 * (dns or ip, a TCP port, http or https). Returns clean copies.
 */
export function checkRendezvousDirectives(input: unknown): RendezvousDirective[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > 16)
    throw invalid('directives must be a list of 1..16 rendezvous addresses');
  return input.map((item, index) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw invalid(`directives[${index}] must be an object`);
    const unknown = Object.keys(item).filter((key) => !FIELDS.has(key));
    if (unknown.length > 0) throw invalid(`directives[${index}]: unknown field(s) ${unknown.join(', ')}`);
    const directive = item as RendezvousDirective;
    if (
      directive.dns !== undefined &&
      (typeof directive.dns !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(directive.dns))
    )
      throw invalid(`directives[${index}].dns must be a host name`);
    if (directive.bypass !== undefined && typeof directive.bypass !== 'boolean')
      throw invalid(`directives[${index}].bypass must be a boolean`);
    const clean: RendezvousDirective = {
      ...(directive.dns !== undefined ? { dns: directive.dns } : {}),
      ...(directive.ip !== undefined ? { ip: directive.ip } : {}),
      port: directive.port,
      protocol: directive.protocol,
      ...(directive.delaySec !== undefined ? { delaySec: directive.delaySec } : {}),
      ...(directive.bypass ? { bypass: true } : {}),
    };
    try {
      buildRendezvousInfo([toSpec(clean)]);
    } catch (err) {
      if (err instanceof RendezvousSpecError) throw invalid(`directives[${index}]: ${err.message}`);
      throw err;
    }
    return clean;
  });
}

/**
 * The directives DI writes into a manufacturer's vouchers: the tenant's own, or else one pointing
 * at this deployment's rendezvous server (RENDEZVOUS_PUBLIC_URL).
 */
export function effectiveRendezvousDirectives(
  settings: TenantSettings,
  rendezvousPublicUrl: string,
): { directives: RendezvousDirective[]; source: 'tenant' | 'default' } {
  if (settings.rendezvous && settings.rendezvous.length > 0)
    return { directives: settings.rendezvous, source: 'tenant' };
  const url = new URL(rendezvousPublicUrl);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80;
  return {
    directives: [isIP(host) ? { ip: host, port, protocol } : { dns: host, port, protocol }],
    source: 'default',
  };
}

/**
 * RendezvousInfo for the OVHeader. RVProtocol is always written (a device that finds none assumes
 * TLS), and IPv4 addresses go out as 16-byte IPv4-mapped IPv6, as go-fdo's manufacturer sends them.
 */
export function rendezvousInfoFor(directives: readonly RendezvousDirective[]): RendezvousInfo {
  return buildRendezvousInfo(directives.map(toSpec));
}

function toSpec(directive: RendezvousDirective): RvDirectiveSpec {
  return { ...directive, ipv4Mapped: true };
}

function invalid(message: string): ManufacturingError {
  return new ManufacturingError('invalid-request', message);
}
