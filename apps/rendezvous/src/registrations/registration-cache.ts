import { type KeyObject } from 'node:crypto';

/** What TO1 needs of a registration: the device key to check the EAT, and the to1d to hand over. */
export interface To1Lookup {
  readonly deviceKey: KeyObject;
  readonly to1d: Uint8Array;
  /** Registration expiry, ms since the epoch. */
  readonly expiresAtMs: number;
}

/**
 * Registrations recently looked up, by GUID (hex), kept `ttlMs` at most. A TO1 run reads the
 * registration twice (HelloRV, ProveToRV) and importing the device key costs more than verifying
 * the EAT, so the second read is served from here. A registration replaced or deleted through
 * another replica may be served for up to `ttlMs`; this replica's own changes evict at once.
 * Least recently used entries go beyond `capacity`.
 */
export class RegistrationLookupCache {
  private readonly entries = new Map<string, { lookup: To1Lookup; cachedUntilMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly capacity = 20_000,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get(guidHex: string, nowMs: number): To1Lookup | undefined {
    const entry = this.entries.get(guidHex);
    if (!entry) return undefined;
    this.entries.delete(guidHex);
    if (nowMs >= entry.cachedUntilMs || nowMs >= entry.lookup.expiresAtMs) return undefined;
    this.entries.set(guidHex, entry);
    return entry.lookup;
  }

  set(guidHex: string, lookup: To1Lookup, nowMs: number): void {
    if (!this.enabled) return;
    this.entries.delete(guidHex);
    this.entries.set(guidHex, { lookup, cachedUntilMs: nowMs + this.ttlMs });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(guidHex: string): void {
    this.entries.delete(guidHex);
  }

  clear(): void {
    this.entries.clear();
  }
}
