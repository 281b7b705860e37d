import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encode, RawCbor } from '../../cbor';
import { createSoftwareSigner } from '../../cose/software-signer';
import { computeFdoHash, computeFdoHmac } from '../../crypto/fdo-hash';
import { HashAlg, RvVariable } from '../constants';
import { newGuid } from '../guid';
import { encodePublicKey, samePublicKey } from '../public-key';
import { fixtureText } from './fixtures.testing';
import {
  buildReplacementVoucher,
  createVoucher,
  decodeOvHeader,
  encodeOvHeader,
  extendVoucher,
  verifyVoucher,
  voucherFromPem,
  voucherOwnerKey,
  VoucherError,
} from './index';

const goFdo = () => voucherFromPem(fixtureText('fdo/go-fdo/ov.pem'));
const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;

describe('OVHeader codec', () => {
  it("re-encodes go-fdo's header to the same bytes", () => {
    const { header } = goFdo();
    const again = encodeOvHeader({ ...header, rendezvousInfo: header.rendezvousInfo });
    expect(again.bytes).toEqual(header.bytes);
    expect(decodeOvHeader(header.bytes).manufacturerKey.bytes).toEqual(header.manufacturerKey.bytes);
  });

  it('refuses a header with a bad GUID or a missing field', () => {
    const { header } = goFdo();
    expect(() => encodeOvHeader({ ...header, guid: new Uint8Array(8) })).toThrow(/16 bytes/);
    expect(() => decodeOvHeader(encode([101, header.guid]))).toThrow(/expected 6 items/);
  });
});

describe('createVoucher (DI)', () => {
  it('assembles a 0-entry voucher the manufacturer key can extend', async () => {
    const manufacturer = ec('P-384');
    const secret = randomBytes(32);
    const chain = goFdo().deviceCertChain!;
    const rendezvousInfo = [[[RvVariable.Dns, encode('rv.example.com')]]];
    const header = encodeOvHeader({
      guid: newGuid(),
      rendezvousInfo,
      deviceInfo: 'factory line 3',
      manufacturerKey: encodePublicKey(manufacturer),
      certChainHash: computeFdoHash(HashAlg.SHA384, chain),
    });
    const voucher = createVoucher({
      header,
      headerHmac: computeFdoHmac(HashAlg.HMAC_SHA384, secret, header.bytes),
      deviceCertChain: chain,
    });
    expect(voucher.entries).toHaveLength(0);
    expect(voucher.header.rendezvousInfo.bytes).toEqual(encode(rendezvousInfo));
    verifyVoucher(voucher, { hmacSecret: secret });
    verifyVoucher(await extendVoucher(voucher, createSoftwareSigner(manufacturer), ec('P-384')));
  });

  it('refuses a device chain that does not match the header hash', () => {
    const source = goFdo();
    const header = encodeOvHeader({
      ...source.header,
      certChainHash: computeFdoHash(HashAlg.SHA256, randomBytes(4)),
    });
    expect(() =>
      createVoucher({ header, headerHmac: source.headerHmac, deviceCertChain: source.deviceCertChain }),
    ).toThrow(expect.objectContaining({ code: 'bad-cert-chain-hash' }));
    expect(() => createVoucher({ header, headerHmac: source.headerHmac, deviceCertChain: null })).toThrow(
      VoucherError,
    );
  });
});

describe('buildReplacementVoucher (after TO2)', () => {
  it('carries the new GUID, RendezvousInfo, Owner2Key and HMAC with the same device info and chain', async () => {
    const original = goFdo();
    const owner2 = ec('P-384');
    const secret = randomBytes(48);
    const guid = newGuid();
    const rendezvousInfo = new RawCbor(encode([[[RvVariable.Dns, encode('rv2.example.com')]]]));
    const draft = buildReplacementVoucher(original, {
      guid,
      rendezvousInfo,
      owner2Key: encodePublicKey(owner2),
      headerHmac: original.headerHmac,
    });
    // The device computes the replacement HMAC over exactly these header bytes.
    const replacement = buildReplacementVoucher(original, {
      guid,
      rendezvousInfo,
      owner2Key: encodePublicKey(owner2),
      headerHmac: computeFdoHmac(HashAlg.HMAC_SHA384, secret, draft.header.bytes),
    });
    verifyVoucher(replacement, { hmacSecret: secret });
    expect(replacement.header.guid).toEqual(guid);
    expect(replacement.header.rendezvousInfo.bytes).toEqual(rendezvousInfo.bytes);
    expect(replacement.header.deviceInfo).toBe(original.header.deviceInfo);
    expect(replacement.header.certChainHash).toEqual(original.header.certChainHash);
    expect(replacement.deviceCertChain).toEqual(original.deviceCertChain);
    expect(replacement.entries).toHaveLength(0);
    expect(samePublicKey(voucherOwnerKey(replacement), owner2)).toBe(true);
    // The new owner can resell.
    verifyVoucher(await extendVoucher(replacement, createSoftwareSigner(owner2), ec('P-384')));
  });
});
