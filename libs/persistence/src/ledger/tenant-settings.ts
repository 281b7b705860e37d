/**
 * The typed shape of `tenant.settings` (jsonb). One place, so every feature reads the same names.
 * Addresses are kept in a friendly form and turned into FDO structures (RendezvousInfo, RVTO2Addr)
 * where they are used.
 */
export interface NetworkAddress {
  dns?: string;
  ip?: string;
  port: number;
  protocol: 'http' | 'https';
}

export interface TenantSettings {
  /** Manufacturer (or owner, for replacement credentials): rendezvous directives put in vouchers. */
  rendezvous?: (NetworkAddress & { delaySec?: number; bypass?: boolean })[];
  /** Owner: where devices reach owner-onboarding for TO2 (registered at rendezvous by TO0). */
  ownerOnboarding?: NetworkAddress[];
  /** Owner: allow FDO credential reuse in TO2 (off by default: the device gets new credentials). */
  credentialReuse?: boolean;
  /**
   * Owner: may an onboarded device onboard again? `never` (default): its voucher is not registered
   * at rendezvous after TO2; `same-owner`: the active voucher (the replacement) is registered again
   * by TO0, so a factory-reset device comes back to this owner; `on-request`: only once the owner
   * armed it (for the next TO2). Device groups and devices override it (reonboardingPolicySql).
   */
  reonboarding?: 'never' | 'same-owner' | 'on-request';
  /**
   * Owner: the AES-CBC/CTR key sizes for a device whose convention TO2 has not learned yet: `spec`
   * (default; SVK 32/64 bytes) or `go-fdo` (16/32). A device that cannot open SetupDevice gets the
   * other on its next attempt, and the one that works is kept per device.
   */
  etmKeySizes?: 'spec' | 'go-fdo';
  /** Owner: how long past notAfter an operational certificate may still re-enrol over EST. */
  certificateReenrollGraceSeconds?: number;
  /** Owner: requested TO0 registration lifetime, seconds. */
  to0WaitSeconds?: number;
  /** Any tenant: ids of tenants whose transfers to it are accepted at once (else they wait as incoming). */
  autoAcceptTransfersFrom?: string[];
}

export function tenantSettings(settings: Record<string, unknown> | null | undefined): TenantSettings {
  return (settings ?? {}) as TenantSettings;
}
