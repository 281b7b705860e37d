import { Inject, Injectable } from '@nestjs/common';
import { KEY_CUSTODY } from '@ztp/platform';
import { defaultSigAlgForSpec, type KeyCustody, type KeySpec } from '@ztp/pki';
import { SigAlg, sigAlgsForPkType } from '@ztp/protocol';
import { type Signer } from '@ztp/protocol/cose/signer';
import { ExpiringCache } from '@ztp/persistence';

/**
 * Custody signers for owner keys, kept for a minute: asking custody for a signer reads the key's
 * record, and TO2 signs with the same few owner keys all the time. Signing itself still goes to
 * custody, whose own cache bounds how long a destroyed key keeps working.
 */
@Injectable()
export class OwnerSigners {
  private readonly signers = new ExpiringCache<string, Signer>(1024, 60_000);

  constructor(@Inject(KEY_CUSTODY) private readonly custody: KeyCustody) {}

  /** A signer whose algorithm the device accepts for this pkType (PSS for RSAPSS keys). */
  async forPkType(keyId: string, spec: KeySpec, pkType: number): Promise<Signer> {
    const alg = signatureAlgorithm(spec, pkType);
    const cacheKey = `${keyId}\u0000${alg}`;
    return this.signers.getOrLoad(cacheKey, () => this.custody.signer(keyId, alg));
  }
}

/** The custody default for the key size when the pkType allows it, else the pkType's own choice. */
export function signatureAlgorithm(spec: KeySpec, pkType: number): SigAlg {
  const allowed = sigAlgsForPkType(pkType);
  const natural = defaultSigAlgForSpec(spec);
  if (allowed.includes(natural)) return natural;
  const preferred: readonly SigAlg[] =
    spec === 'RSA-3072' ? [SigAlg.PS384, SigAlg.RS384] : [SigAlg.PS256, SigAlg.RS256];
  return allowed.find((alg) => preferred.includes(alg)) ?? allowed[0]!;
}
