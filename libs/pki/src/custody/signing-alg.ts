import { type SigAlg } from '@ztp/protocol';
import { KeyCustodyError } from '../errors';
import { defaultSigAlgForSpec, type KeySpec, sigAlgFitsKeySpec } from '../key-spec';

/** The algorithm a custody signer uses: the one asked for if the key can make it, else the spec's default. */
export function chooseSigningAlg(keyId: string, spec: KeySpec, alg?: SigAlg): SigAlg {
  const chosen = alg ?? defaultSigAlgForSpec(spec);
  if (!sigAlgFitsKeySpec(chosen, spec)) {
    throw new KeyCustodyError(
      'unsupported-algorithm',
      `algorithm ${chosen} does not fit ${spec} key ${keyId}`,
    );
  }
  return chosen;
}
