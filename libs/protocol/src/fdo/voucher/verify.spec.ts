import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '../../cose/software-signer';
import { type Signer } from '../../cose/signer';
import { computeFdoHash } from '../../crypto/fdo-hash';
import { HashAlg, SigAlg } from '../constants';
import { encodePublicKey } from '../public-key';
import { appendRawEntry, manufacture } from './builders.testing';
import { fixtureText } from './fixtures.testing';
import { verifyVoucher, voucherFromPem, VoucherError, type OwnershipVoucher } from './index';

const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;

function failure(voucher: OwnershipVoucher): VoucherError {
  try {
    verifyVoucher(voucher);
  } catch (err) {
    expect(err).toBeInstanceOf(VoucherError);
    return err as VoucherError;
  }
  throw new Error('the voucher verified');
}

let mfg: KeyObject;
let owner1: KeyObject;
let base: OwnershipVoucher;
let oneEntry: OwnershipVoucher;

beforeAll(async () => {
  mfg = ec('P-256');
  owner1 = ec('P-256');
  base = manufacture(mfg, voucherFromPem(fixtureText('fdo/go-fdo/ov.pem')));
  oneEntry = await appendRawEntry(base, createSoftwareSigner(mfg), { nextOwner: owner1 });
});

describe('verifyVoucher names the failing check and entry', () => {
  it('accepts a well-formed chain', () => {
    expect(() => verifyVoucher(oneEntry)).not.toThrow();
  });

  it('bad-entry-signature: entry 1 signed by someone other than entry 0 key', async () => {
    const voucher = await appendRawEntry(oneEntry, createSoftwareSigner(ec('P-256')), {});
    expect(failure(voucher)).toMatchObject({ code: 'bad-entry-signature', entry: 1 });
  });

  it('bad-entry-signature: a valid signature in an algorithm the pkType does not allow', async () => {
    // RSAPKCS means PKCS#1 v1.5: a correct PS256 signature is still refused.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const voucher = manufacture(rsa, voucherFromPem(fixtureText('fdo/go-fdo/ov.pem')));
    const pss = await appendRawEntry(voucher, createSoftwareSigner(rsa, { pss: true }), {});
    const error = failure(pss);
    expect(error).toMatchObject({ code: 'bad-entry-signature', entry: 0 });
    expect(error.message).toMatch(/PS256 is not allowed/);
    expect(() => verifyVoucher(pss)).toThrow(/RSAPKCS/);
  });

  it('bad-entry-signature: a signer claiming another algorithm than it signs with', async () => {
    const real = createSoftwareSigner(owner1);
    const lying: Signer = { alg: SigAlg.ES384, publicKey: real.publicKey, sign: (data) => real.sign(data) };
    const voucher = await appendRawEntry(oneEntry, lying, {});
    expect(failure(voucher)).toMatchObject({ code: 'bad-entry-signature', entry: 1 });
  });

  it('bad-prev-hash: entry 0 over the wrong data, entry 1 over the payload only', async () => {
    const wrong0 = await appendRawEntry(base, createSoftwareSigner(mfg), {
      prevHash: computeFdoHash(HashAlg.SHA256, base.header.bytes),
    });
    expect(failure(wrong0)).toMatchObject({ code: 'bad-prev-hash', entry: 0 });
    const payloadOnly = await appendRawEntry(oneEntry, createSoftwareSigner(owner1), {
      prevHash: computeFdoHash(HashAlg.SHA256, oneEntry.entries[0]!.sign1.payload!),
    });
    expect(failure(payloadOnly)).toMatchObject({ code: 'bad-prev-hash', entry: 1 });
  });

  it('bad-hdr-info-hash: a hash of something else than GUID || DeviceInfo', async () => {
    const voucher = await appendRawEntry(oneEntry, createSoftwareSigner(owner1), {
      hdrInfoHash: computeFdoHash(HashAlg.SHA256, randomBytes(16)),
    });
    expect(failure(voucher)).toMatchObject({ code: 'bad-hdr-info-hash', entry: 1 });
  });

  it("hash-alg-mismatch: an entry hashing with another algorithm than entry 0's", async () => {
    const voucher = await appendRawEntry(oneEntry, createSoftwareSigner(owner1), { hashAlg: HashAlg.SHA384 });
    expect(failure(voucher)).toMatchObject({ code: 'hash-alg-mismatch', entry: 1 });
  });

  it('key-type-mismatch: a next owner key of another curve', async () => {
    const voucher = await appendRawEntry(oneEntry, createSoftwareSigner(owner1), {
      publicKey: encodePublicKey(ec('P-384')),
    });
    expect(failure(voucher)).toMatchObject({ code: 'key-type-mismatch', entry: 1 });
  });
});
