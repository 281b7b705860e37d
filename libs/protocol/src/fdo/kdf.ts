import { createHmac } from 'node:crypto';

/**
 * NIST SP 800-108 KDF in counter mode with HMAC as the PRF, in the form FDO 1.1 section 3.6.4
 * fixes it (and go-fdo internal/nistkdf implements it):
 *
 *   K(i) = HMAC(ShSe, [i]_1 || "FIDO-KDF" || 0x00 || "AutomaticOnboardTunnel" || ContextRand || [L]_2)
 *
 * The counter is one byte (r = 8) placed before the fixed input, L is the output length in bits
 * as a 16-bit big-endian number, and the output is the leftmost L bits of K(1) || K(2) || ...
 * Node's crypto has no SP 800-108, hence this file.
 */

export type KdfHash = 'sha256' | 'sha384';

const HASH_BYTES: Record<KdfHash, number> = { sha256: 32, sha384: 48 };

/** r = 8: at most 255 PRF blocks. */
const MAX_BLOCKS = 0xff;
/** [L]_2 holds the length in bits in 16 bits. */
const MAX_OUTPUT_BYTES = 0xffff >> 3;

const FDO_LABEL = new TextEncoder().encode('FIDO-KDF');
const FDO_CONTEXT_PREFIX = new TextEncoder().encode('AutomaticOnboardTunnel');

/**
 * SP 800-108 counter mode, HMAC PRF, 8-bit counter before the fixed input data. `fixedInput` is
 * everything after the counter (for FDO: Label || 0x00 || Context || [L]_2).
 */
export function kdfCounterHmac(
  hash: KdfHash,
  key: Uint8Array,
  fixedInput: Uint8Array,
  outputBytes: number,
): Uint8Array {
  const blockBytes = HASH_BYTES[hash];
  if (!Number.isInteger(outputBytes) || outputBytes < 1)
    throw new RangeError(`KDF output length must be a positive number of bytes, got ${outputBytes}`);
  const blocks = Math.ceil(outputBytes / blockBytes);
  if (blocks > MAX_BLOCKS)
    throw new RangeError(`KDF output of ${outputBytes} bytes needs more than 255 blocks`);
  const out = new Uint8Array(blocks * blockBytes);
  for (let i = 1; i <= blocks; i++) {
    const block = createHmac(hash, key).update(Uint8Array.of(i)).update(fixedInput).digest();
    out.set(block, (i - 1) * blockBytes);
  }
  return out.subarray(0, outputBytes);
}

/** The FDO fixed input: "FIDO-KDF" || 0x00 || "AutomaticOnboardTunnel" || contextRand || [L]_2. */
export function fdoKdfFixedInput(contextRand: Uint8Array, outputBytes: number): Uint8Array {
  if (!Number.isInteger(outputBytes) || outputBytes < 1 || outputBytes > MAX_OUTPUT_BYTES)
    throw new RangeError(`FDO KDF output must be 1..${MAX_OUTPUT_BYTES} bytes, got ${outputBytes}`);
  const bits = outputBytes * 8;
  const out = new Uint8Array(FDO_LABEL.length + 1 + FDO_CONTEXT_PREFIX.length + contextRand.length + 2);
  let offset = 0;
  out.set(FDO_LABEL, offset);
  offset += FDO_LABEL.length + 1; // the 0x00 separator is already zero
  out.set(FDO_CONTEXT_PREFIX, offset);
  offset += FDO_CONTEXT_PREFIX.length;
  out.set(contextRand, offset);
  offset += contextRand.length;
  out[offset] = bits >> 8;
  out[offset + 1] = bits & 0xff;
  return out;
}

/**
 * FDO key derivation: `outputBytes` of keying material from the shared secret ShSe. contextRand
 * is empty for ECDH and DHKEX and OwnerRandom for ASYMKEX.
 */
export function fdoKdf(
  hash: KdfHash,
  shSe: Uint8Array,
  contextRand: Uint8Array,
  outputBytes: number,
): Uint8Array {
  return kdfCounterHmac(hash, shSe, fdoKdfFixedInput(contextRand, outputBytes), outputBytes);
}
