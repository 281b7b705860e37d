import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { type BenchCase } from './types';

/** Raw node:crypto P-256 ECDSA: the ceiling the COSE and voucher figures are read against. */
const message = Buffer.alloc(256, 7);

export const benchmarks: BenchCase<{
  privateKey: import('node:crypto').KeyObject;
  publicKey: import('node:crypto').KeyObject;
  signature: Buffer;
}>[] = [
  {
    name: 'baseline.p256.sign',
    setup: () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return { privateKey, publicKey, signature: Buffer.alloc(0) };
    },
    op: (ctx) => {
      sign('sha256', message, { key: ctx.privateKey, dsaEncoding: 'ieee-p1363' });
    },
  },
  {
    name: 'baseline.p256.verify',
    setup: () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const signature = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return { privateKey, publicKey, signature };
    },
    op: (ctx) => {
      if (!verify('sha256', message, { key: ctx.publicKey, dsaEncoding: 'ieee-p1363' }, ctx.signature))
        throw new Error('baseline verify failed');
    },
  },
];
