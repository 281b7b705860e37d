import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '../../cose/software-signer';
import { hash } from '../../crypto';
import { HashAlg, PkEnc, PkType, SigAlg } from '../constants';
import { samePublicKey } from '../public-key';
import { appendRawEntry, manufacture } from './builders.testing';
import { captureVoucherBytes, fixtureText } from './fixtures.testing';
import {
  extendVoucher,
  parseVoucher,
  prevEntryData,
  verifyVoucher,
  voucherDeviceCertificates,
  voucherFromPem,
  voucherOwnerKey,
  VoucherError,
} from './index';

const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).privateKey;
const goFdoVoucher = () => voucherFromPem(fixtureText('fdo/go-fdo/ov.pem'));
const manufacturerKey = () => createPrivateKey(fixtureText('fdo/go-fdo/mfg_key.pem'));

async function rejection(promise: Promise<unknown>): Promise<VoucherError> {
  const error = await promise.then(
    () => new Error('expected a VoucherError'),
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(VoucherError);
  return error as VoucherError;
}

let rsa2048: KeyObject;

beforeAll(() => {
  rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
});

describe('extendVoucher', () => {
  it("extends go-fdo's ov.pem with its manufacturer key to a new P-384 owner, then again", async () => {
    const original = goFdoVoucher();
    const originalBytes = Uint8Array.from(original.bytes);
    const first = ec('P-384');
    const second = ec('P-384');

    const once = await extendVoucher(original, createSoftwareSigner(manufacturerKey()), first);
    verifyVoucher(once);
    expect(once.entries).toHaveLength(1);
    expect(samePublicKey(voucherOwnerKey(once), first)).toBe(true);
    expect(voucherOwnerKey(once).encoding).toBe(PkEnc.X509);
    expect(once.entries[0]!.sign1.protectedHeader.get(1)).toBe(SigAlg.ES384);
    // The device key is P-256, so the entry hashes are SHA-256 (FDO 1.1 3.3.2).
    expect(once.entries[0]!.prevHash.alg).toBe(HashAlg.SHA256);
    // The old bytes are reused untouched: only the entry array changes.
    expect(original.bytes).toEqual(originalBytes);
    for (const i of [0, 1, 2, 3]) expect(once.elementBytes[i]).toEqual(original.elementBytes[i]);
    expect(once.header.bytes).toEqual(original.header.bytes);

    const twice = await extendVoucher(once, createSoftwareSigner(first), second);
    verifyVoucher(twice);
    expect(twice.entries).toHaveLength(2);
    expect(twice.entries[0]!.bytes).toEqual(once.entries[0]!.bytes);
    expect(samePublicKey(voucherOwnerKey(twice), second)).toBe(true);
    expect(twice.entries[1]!.prevHash.value).toEqual(hash(HashAlg.SHA256, once.entries[0]!.bytes));
  });

  it('builds a 6-entry chain where each entry hashes the entire previous tagged COSE_Sign1', async () => {
    let voucher = goFdoVoucher();
    let owner = manufacturerKey();
    for (let i = 0; i < 6; i++) {
      const next = ec('P-384');
      voucher = await extendVoucher(voucher, createSoftwareSigner(owner), next, {
        extra: new Map([[i, Uint8Array.of(i)]]),
      });
      owner = next;
    }
    verifyVoucher(voucher);
    expect(voucher.entries).toHaveLength(6);
    voucher.entries.forEach((entry, i) => {
      expect(entry.bytes[0]).toBe(0xd2);
      expect(entry.prevHash.value).toEqual(hash(HashAlg.SHA256, prevEntryData(voucher, i)));
      expect(entry.extra).toEqual(new Map([[i, Uint8Array.of(i)]]));
    });
    expect(parseVoucher(voucher.bytes).bytes).toEqual(voucher.bytes);
  });

  it('refuses a signer that is not the current owner', async () => {
    const once = await extendVoucher(goFdoVoucher(), createSoftwareSigner(manufacturerKey()), ec('P-384'));
    // After the first extension the manufacturer is no longer the owner.
    const error = await rejection(extendVoucher(once, createSoftwareSigner(manufacturerKey()), ec('P-384')));
    expect(error.code).toBe('not-owner');
    expect(
      (await rejection(extendVoucher(goFdoVoucher(), createSoftwareSigner(ec('P-384')), ec('P-384')))).code,
    ).toBe('not-owner');
  });

  it('refuses a next owner key of another type, curve or size', async () => {
    const signer = createSoftwareSigner(manufacturerKey());
    for (const next of [ec('P-256'), rsa2048]) {
      const error = await rejection(extendVoucher(goFdoVoucher(), signer, next));
      expect(error.code).toBe('key-type-mismatch');
    }
  });

  it('refuses a signature algorithm the manufacturer pkType does not allow (RSAPSS means PSS)', async () => {
    const voucher = manufacture(rsa2048, goFdoVoucher(), { rsa: 'RSAPSS' });
    expect(voucher.header.manufacturerKey.type).toBe(PkType.RSAPSS);
    const next = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const pkcs1 = await rejection(extendVoucher(voucher, createSoftwareSigner(rsa2048), next));
    expect(pkcs1.code).toBe('key-type-mismatch');
    const extended = await extendVoucher(voucher, createSoftwareSigner(rsa2048, { pss: true }), next);
    verifyVoucher(extended);
    expect(extended.entries[0]!.sign1.protectedHeader.get(1)).toBe(SigAlg.PS256);
    expect(voucherOwnerKey(extended).type).toBe(PkType.RSAPSS);
  });

  it('writes a certificate chain as X5CHAIN', async () => {
    const chain = voucherDeviceCertificates(parseVoucher(captureVoucherBytes()))!; // a P-384 leaf
    const extended = await extendVoucher(goFdoVoucher(), createSoftwareSigner(manufacturerKey()), chain);
    verifyVoucher(extended);
    const owner = voucherOwnerKey(extended);
    expect(owner.encoding).toBe(PkEnc.X5CHAIN);
    expect(owner.chain!.map((c) => c.subject)).toEqual(['CN=device.go-fdo', 'CN=Test CA']);
    expect(samePublicKey(owner, chain[0]!.publicKey)).toBe(true);
  });

  it('keeps COSEKEY encoding along a COSEKEY voucher', async () => {
    const mfg = ec('P-256');
    const voucher = manufacture(mfg, goFdoVoucher(), { encoding: PkEnc.COSEKEY });
    const next = ec('P-256');
    const extended = await extendVoucher(voucher, createSoftwareSigner(mfg), next);
    verifyVoucher(extended);
    expect(voucherOwnerKey(extended).encoding).toBe(PkEnc.COSEKEY);
    expect(extended.entries[0]!.sign1.protectedHeader.get(1)).toBe(SigAlg.ES256);
  });

  it('uses SHA-384 when the device and the owner keys are both 384-bit class', async () => {
    const mfg = ec('P-384');
    const voucher = manufacture(mfg, parseVoucher(captureVoucherBytes())); // P-384 device key
    const extended = await extendVoucher(voucher, createSoftwareSigner(mfg), ec('P-384'));
    verifyVoucher(extended);
    expect(extended.entries[0]!.prevHash.alg).toBe(HashAlg.SHA384);
    expect(extended.entries[0]!.hdrInfoHash.alg).toBe(HashAlg.SHA384);
  });

  it("follows entry 0's hash algorithm, even SHA-384 with P-256 keys as fdo-rs writes", async () => {
    const mfg = ec('P-256');
    const owner = ec('P-256');
    const voucher = manufacture(mfg, goFdoVoucher());
    // Entry 0 written the way fdo-rs v101-voucher1 is: P-256 keys, SHA-384 hashes.
    const withEntry = await appendRawEntry(voucher, createSoftwareSigner(mfg), {
      hashAlg: HashAlg.SHA384,
      nextOwner: owner,
    });
    verifyVoucher(withEntry);
    const extended = await extendVoucher(withEntry, createSoftwareSigner(owner), ec('P-256'));
    verifyVoucher(extended);
    expect(extended.entries[1]!.prevHash.alg).toBe(HashAlg.SHA384);
  });

  it('refuses to extend a voucher that does not verify', async () => {
    const voucher = goFdoVoucher();
    const tampered = Uint8Array.from(voucher.bytes);
    tampered[tampered.length - 10]! ^= 0x01; // inside the CA certificate
    const error = await rejection(
      extendVoucher(parseVoucher(tampered), createSoftwareSigner(manufacturerKey()), ec('P-384')),
    );
    expect(error.code).toBe('bad-cert-chain-hash');
  });
});
