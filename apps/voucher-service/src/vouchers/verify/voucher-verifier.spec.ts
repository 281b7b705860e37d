import { generateKeyPairSync } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { extendTo, manufacture } from '../voucher-builder.testing';
import { checkVoucher } from './voucher-check';
import { VoucherVerifier } from './voucher-verifier';

describe('VoucherVerifier', () => {
  const verifier = new VoucherVerifier();
  afterAll(() => verifier.onModuleDestroy());

  it('checks a large batch on worker threads with the same verdicts as the calling thread', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const maker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const owner = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const vouchers = await Promise.all(
      Array.from({ length: 80 }, () =>
        extendTo(manufacture(maker.publicKey), maker.privateKey, owner.publicKey),
      ),
    );
    const items = vouchers.map((voucher) => voucher.bytes);
    const tampered = new Uint8Array(items[40]!);
    tampered[tampered.length - 3]! ^= 1;
    items[40] = tampered;
    items[41] = new Uint8Array([0x82, 0x01]);
    const results = await verifier.checkAll(items);
    expect(results).toEqual(items.map(checkVoucher));
    expect(results[40]).toMatchObject({ ok: false, code: 'bad-entry-signature' });
    expect(results[41]).toMatchObject({ ok: false, code: 'malformed' });
    expect(results.filter((result) => result.ok)).toHaveLength(78);
    expect(warn).not.toHaveBeenCalled();
  });
});
