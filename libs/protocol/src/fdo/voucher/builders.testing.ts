import { randomBytes, type KeyObject } from 'node:crypto';
import { concatBytes, encodeHead } from '../../cbor';
import { signSign1 } from '../../cose/sign1';
import { type Signer } from '../../cose/signer';
import { computeFdoHash, computeFdoHmac } from '../../crypto/fdo-hash';
import { HashAlg } from '../constants';
import { encodePublicKey, type EncodePublicKeyOptions, type FdoPublicKey } from '../public-key';
import { createVoucher } from './create';
import { encodeOvEntryPayload, type OvEntryPayloadFields } from './entry';
import { encodeOvHeader } from './header';
import { hdrInfoData, prevEntryData } from './verify';
import { parseVoucher, type OwnershipVoucher } from './voucher';

/**
 * Test-only voucher builders. `manufacture` makes a 0-entry voucher for any manufacturer key over a
 * fixture's device chain; `appendRawEntry` appends an entry with whatever fields a test wants,
 * including ones extendVoucher would never write, to exercise verification.
 */
export function manufacture(
  key: KeyObject,
  device: OwnershipVoucher,
  options: EncodePublicKeyOptions & { hmacSecret?: Uint8Array } = {},
): OwnershipVoucher {
  const chain = device.deviceCertChain!;
  const header = encodeOvHeader({
    guid: randomBytes(16),
    rendezvousInfo: device.header.rendezvousInfo,
    deviceInfo: 'test device',
    manufacturerKey: encodePublicKey(key, options),
    certChainHash: computeFdoHash(HashAlg.SHA256, chain),
  });
  return createVoucher({
    header,
    headerHmac: computeFdoHmac(HashAlg.HMAC_SHA256, options.hmacSecret ?? randomBytes(32), header.bytes),
    deviceCertChain: chain,
  });
}

export async function appendRawEntry(
  voucher: OwnershipVoucher,
  signer: Signer,
  fields: Partial<OvEntryPayloadFields> & { hashAlg?: number; nextOwner?: FdoPublicKey | KeyObject },
): Promise<OwnershipVoucher> {
  const hashAlg = fields.hashAlg ?? HashAlg.SHA256;
  const next = fields.nextOwner ?? signer.publicKey;
  const payload = encodeOvEntryPayload({
    prevHash: fields.prevHash ?? computeFdoHash(hashAlg, prevEntryData(voucher, voucher.entries.length)),
    hdrInfoHash: fields.hdrInfoHash ?? computeFdoHash(hashAlg, hdrInfoData(voucher.header)),
    extra: fields.extra ?? null,
    publicKey: fields.publicKey ?? ('bytes' in next ? next : encodePublicKey(next)),
  });
  const entry = await signSign1(signer, payload);
  const [version, header, hmac, chain] = voucher.elementBytes;
  return parseVoucher(
    concatBytes([
      encodeHead(4, 5),
      version,
      header,
      hmac,
      chain,
      encodeHead(4, voucher.entries.length + 1),
      ...voucher.entries.map((e) => e.bytes),
      entry.bytes,
    ]),
  );
}
