import { describe, expect, it } from 'vitest';
import { asArray, asMap, decode } from '../../cbor';
import { captureVoucherBytes, fixtureBytes, VOUCHER_FIXTURES } from './fixtures.testing';
import { readVoucher, verifyVoucher, VoucherError, type VerifyVoucherOptions } from './index';

/**
 * Flips every byte of real vouchers, one at a time, and requires each copy to be refused with a
 * VoucherError: never accepted, never a crash with another error type. go-fdo's ov.pem has no
 * entries, so its header is covered only by the HMAC: it is checked with the device secret.
 */
function hmacSecretOfGoFdoDevice(): Uint8Array {
  const credential = asArray(decode(fixtureBytes('fdo/go-fdo/dc.bin')), 'credential');
  const secrets = asMap(asMap(credential[6]!, 'secrets').get('Plain')!, 'plain');
  return Uint8Array.from(secrets.get('hmac_secret') as number[]);
}

const cases: [string, () => Uint8Array, VerifyVoucherOptions][] = [
  // testdevice1.ov holds the same bytes as v101-voucher1.pem, so it is not flipped twice.
  ...VOUCHER_FIXTURES.filter((path) => path !== 'fdo/fdo-rs/testdevice1.ov').map(
    (path) =>
      [
        path,
        () => readVoucher(fixtureBytes(path)).bytes,
        path === 'fdo/go-fdo/ov.pem' ? { hmacSecret: hmacSecretOfGoFdoDevice() } : {},
      ] as [string, () => Uint8Array, VerifyVoucherOptions],
  ),
  ['go-fdo TO0 capture', captureVoucherBytes, {}],
];

describe('single-byte tampering', () => {
  it.each(cases)('%s: every flipped byte is refused', (_name, load, options) => {
    const original = load();
    verifyVoucher(readVoucher(original), options);
    const accepted: number[] = [];
    const wrongErrors: string[] = [];
    for (const mask of [0x01, 0xff]) {
      for (let position = 0; position < original.length; position++) {
        const copy = Uint8Array.from(original);
        copy[position]! ^= mask;
        try {
          verifyVoucher(readVoucher(copy), options);
          accepted.push(position);
        } catch (err) {
          if (!(err instanceof VoucherError)) wrongErrors.push(`${position}: ${String(err)}`);
        }
      }
    }
    expect(accepted).toEqual([]);
    expect(wrongErrors).toEqual([]);
  });
});
