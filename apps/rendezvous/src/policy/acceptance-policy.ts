import { PkiError, validateChain } from '@ztp/pki';

/** The rendezvous server's rules for which vouchers TO0 may register, and for how long. */
export interface AcceptancePolicy {
  /** With no trusted manufacturer, device CA or allowed owner listed: accept every voucher (true) or none. */
  readonly openMode: boolean;
  readonly minWaitSeconds: number;
  readonly maxWaitSeconds: number;
  /** SHA-256 (hex) of trusted manufacturers' SubjectPublicKeyInfo. */
  readonly trustedManufacturerKeys: ReadonlySet<string>;
  /**
   * Trusted device CAs: a voucher's device chain must lead to one, and its manufacturer key must be
   * one the CA is bound to (SHA-256 hex of the SPKI) or a trusted manufacturer key.
   */
  readonly trustedDeviceCas: readonly TrustedDeviceCa[];
  /** SHA-256 (hex) of owner keys allowed to register; when non-empty, only these may. */
  readonly allowedOwnerKeys: ReadonlySet<string>;
  /** SHA-256 (hex) of owner keys refused whatever else is listed. */
  readonly deniedOwnerKeys: ReadonlySet<string>;
}

export interface TrustedDeviceCa {
  /** The CA certificate, DER. */
  readonly certificate: Uint8Array;
  readonly manufacturerKeys: ReadonlySet<string>;
}

/** What the policy looks at in a verified voucher. */
export interface VoucherFacts {
  readonly manufacturerKeySha256: string;
  readonly ownerKeySha256: string;
  /** Device certificate chain, DER, leaf first. */
  readonly deviceChain: readonly Uint8Array[];
}

export type PolicyDecision =
  { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

/**
 * Decides whether a verified voucher may be registered. Every non-empty list applies: a denied
 * owner key is refused; with an allow list, only listed owner keys pass; with trusted manufacturers
 * or device CAs, the voucher's manufacturer key must be listed, or its device chain must validate
 * against a listed CA (at `now`) AND its manufacturer key be one that CA is bound to. The device
 * chain is public (in every copy of the voucher): a voucher built around a victim's real chain with
 * the attacker's own manufacturer and owner keys validates the chain but is refused on the key. Open mode only decides the case where no positive list (trusted
 * manufacturers, device CAs, allowed owners) has an entry: open accepts, closed refuses.
 */
export function evaluatePolicy(policy: AcceptancePolicy, facts: VoucherFacts, now: Date): PolicyDecision {
  if (policy.deniedOwnerKeys.has(facts.ownerKeySha256))
    return refuse('the owner key is on the rendezvous deny list');
  if (policy.allowedOwnerKeys.size > 0 && !policy.allowedOwnerKeys.has(facts.ownerKeySha256))
    return refuse('the owner key is not on the rendezvous allow list');
  const trustListed = policy.trustedManufacturerKeys.size > 0 || policy.trustedDeviceCas.length > 0;
  if (trustListed && !manufacturerTrusted(policy, facts, now))
    return refuse('neither the manufacturer key nor the device certificate chain is trusted here');
  if (!trustListed && policy.allowedOwnerKeys.size === 0 && !policy.openMode)
    return refuse('this rendezvous server trusts no manufacturer, device CA or owner yet (closed policy)');
  return { accepted: true };
}

function manufacturerTrusted(policy: AcceptancePolicy, facts: VoucherFacts, now: Date): boolean {
  if (policy.trustedManufacturerKeys.has(facts.manufacturerKeySha256)) return true;
  const bound = policy.trustedDeviceCas.filter((ca) => ca.manufacturerKeys.has(facts.manufacturerKeySha256));
  if (bound.length === 0) return false;
  try {
    validateChain(
      facts.deviceChain,
      bound.map((ca) => ca.certificate),
      { at: now },
    );
    return true;
  } catch (err) {
    if (err instanceof PkiError) return false;
    throw err;
  }
}

function refuse(reason: string): PolicyDecision {
  return { accepted: false, reason };
}

/**
 * The registration lifetime granted for a requested one: cut to the maximum, and raised to the
 * minimum (rather than refused): an owner asking for too short a registration still gets one,
 * and re-registers no more often than the operator wants.
 */
export function grantWaitSeconds(policy: AcceptancePolicy, requestedSeconds: number): number {
  return Math.max(policy.minWaitSeconds, Math.min(requestedSeconds, policy.maxWaitSeconds));
}
