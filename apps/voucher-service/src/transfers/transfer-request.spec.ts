import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ProblemException } from '@ztp/platform';
import { createTransferSchema, extraOf, recipientOf } from './transfer-request';

describe('transfer requests', () => {
  it('names a tenant recipient, optionally one of its keys', () => {
    expect(recipientOf(createTransferSchema.parse({ to: { tenant: 'acme' } }))).toEqual({
      kind: 'tenant',
      tenant: 'acme',
      ownerKeyId: undefined,
    });
  });

  it('parses an external public key; refuses PEM that is not one', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'pem',
      type: 'spki',
    }) as string;
    expect(recipientOf(createTransferSchema.parse({ to: { publicKeyPem: pem } }))).toMatchObject({
      kind: 'external',
    });
    expect(() => recipientOf(createTransferSchema.parse({ to: { publicKeyPem: 'nope' } }))).toThrow(
      ProblemException,
    );
    expect(() => recipientOf(createTransferSchema.parse({ to: { certificateChainPem: 'nope' } }))).toThrow(
      ProblemException,
    );
  });

  it('turns extra into OVEExtra (integer keys, hex values) and refuses anything else', () => {
    expect(
      extraOf(createTransferSchema.parse({ to: { tenant: 'a' }, extra: { '1': 'cafe', '20': '' } })),
    ).toEqual(
      new Map([
        [1, new Uint8Array([0xca, 0xfe])],
        [20, new Uint8Array()],
      ]),
    );
    expect(extraOf(createTransferSchema.parse({ to: { tenant: 'a' } }))).toBeNull();
    expect(createTransferSchema.safeParse({ to: { tenant: 'a' }, extra: { x: '00' } }).success).toBe(false);
    expect(createTransferSchema.safeParse({ to: { tenant: 'a' }, extra: { '1': 'abc' } }).success).toBe(
      false,
    );
    expect(createTransferSchema.safeParse({ to: { tenant: 'a', publicKeyPem: 'x' } }).success).toBe(false);
  });
});
