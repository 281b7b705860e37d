import { randomBytes } from 'node:crypto';
import {
  createSoftHsmToken,
  InMemorySealedKeyStore,
  type KeyCustody,
  Pkcs11KeyCustody,
  SoftwareKeyCustody,
  type TestToken,
} from '@ztp/pki';
import { SigAlg, type Signer, verifyWithAlg } from '@ztp/protocol';
import { type BenchCase } from './types';

/**
 * Key custody signing, the two adapters side by side: ES256 over a 256-byte message (the size of a
 * TO2 ProveOVHdr payload) with a P-256 key, in software (sealed, warm cache) and in a SoftHSM2 token
 * (hash here, CKM_ECDSA in the token, through the session pool). SoftHSM2 is a software token, so the
 * PKCS#11 figure is the adapter's and the module's overhead; a network HSM adds its round trip.
 */
interface CustodyContext {
  signer: Signer;
  close: () => void;
}

const message = Buffer.alloc(256, 7);

async function signerOf(custody: KeyCustody): Promise<Signer> {
  await custody.generateKey({ keyId: 'bench-es256', spec: 'P-256', purpose: 'bench' });
  const signer = await custody.signer('bench-es256');
  // A figure for a signer whose signatures do not verify would mean nothing.
  if (!verifyWithAlg(SigAlg.ES256, signer.publicKey, message, await signer.sign(message))) {
    throw new Error('custody bench: the ES256 signature does not verify');
  }
  return signer;
}

async function software(): Promise<CustodyContext> {
  const custody = new SoftwareKeyCustody({
    store: new InMemorySealedKeyStore(),
    masterKey: { version: 1, key: randomBytes(32) },
    now: () => new Date(),
  });
  return { signer: await signerOf(custody), close: () => undefined };
}

async function pkcs11(): Promise<CustodyContext> {
  // Needs SoftHSM2 (apt-get install softhsm2); the token lives in a temporary folder.
  const token: TestToken = createSoftHsmToken('bench');
  const custody = new Pkcs11KeyCustody({
    modulePath: token.modulePath,
    tokenLabel: token.label,
    pin: token.pin,
    now: () => new Date(),
  });
  return {
    signer: await signerOf(custody),
    close: () => {
      custody.close();
      token.remove();
    },
  };
}

const sign = (ctx: CustodyContext) => ctx.signer.sign(message);
const teardown = (ctx: CustodyContext) => ctx.close();

export const benchmarks: BenchCase<CustodyContext>[] = [
  { name: 'custody.software.sign.es256', setup: software, op: sign, teardown },
  { name: 'custody.pkcs11.sign.es256', setup: pkcs11, op: sign, teardown },
  // Four in flight: the pool's sessions sign on libuv's threads at once.
  { name: 'custody.software.sign.es256.c4', setup: software, op: sign, teardown, concurrency: 4 },
  { name: 'custody.pkcs11.sign.es256.c4', setup: pkcs11, op: sign, teardown, concurrency: 4 },
];
