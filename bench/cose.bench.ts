import { generateKeyPairSync } from 'node:crypto';
import {
  createSoftwareSigner,
  decodeSign1,
  signSign1,
  verifySign1,
  type SoftwareSigner,
} from '@ztp/protocol';
import { type BenchCase } from './types';

/** COSE_Sign1 with ES256 over a 256-byte payload: read against baseline.p256.sign/verify. */
const payload = new Uint8Array(256).fill(7);

interface Ctx {
  signer: SoftwareSigner;
  message: Uint8Array;
}

async function setup(): Promise<Ctx> {
  const signer = createSoftwareSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  return { signer, message: (await signSign1(signer, payload)).bytes };
}

export const benchmarks: BenchCase<Ctx>[] = [
  {
    name: 'cose.sign1.es256.sign',
    setup,
    op: (ctx) => signSign1(ctx.signer, payload),
  },
  {
    name: 'cose.sign1.es256.verify',
    setup,
    op: (ctx) => {
      if (!verifySign1(decodeSign1(ctx.message), ctx.signer.publicKey))
        throw new Error('COSE_Sign1 did not verify');
    },
  },
];
