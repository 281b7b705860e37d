import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  computeFdoHash,
  computeFdoHmac,
  createSoftwareSigner,
  createVoucher,
  encode,
  encodeOvHeader,
  encodePublicKey,
  extendVoucher,
  HashAlg,
  newGuid,
  parseVoucher,
  readVoucher,
  RvVariable,
  verifyVoucher,
  type OwnershipVoucher,
} from '@ztp/protocol';
import { fixtureText } from '@ztp/protocol/fdo/voucher/fixtures.testing';
import { type BenchCase } from './types';

/**
 * Voucher verification and extension with ES256 keys over go-fdo's device certificate chain.
 * `voucher.verify` parses the wire bytes and verifies a 2-entry voucher (what a rendezvous or owner
 * service does per TO0 or upload); its keys stay in the decoded-key cache, as a service's recurring
 * manufacturer and owner keys do. `voucher.verify.cold-keys` cycles through 2,000 vouchers with
 * distinct keys, so every key is imported again.
 */
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const deviceVoucher = readVoucher(fixtureText('fdo/go-fdo/ov.pem'));

function manufacture(manufacturer: KeyObject): OwnershipVoucher {
  const chain = deviceVoucher.deviceCertChain!;
  const header = encodeOvHeader({
    guid: newGuid(),
    rendezvousInfo: [[[RvVariable.Dns, encode('rv.example.com')]]],
    deviceInfo: 'bench device',
    manufacturerKey: encodePublicKey(manufacturer),
    certChainHash: computeFdoHash(HashAlg.SHA256, chain),
  });
  const headerHmac = computeFdoHmac(HashAlg.HMAC_SHA256, randomBytes(32), header.bytes);
  return createVoucher({ header, headerHmac, deviceCertChain: chain });
}

/** A voucher extended twice (manufacturer -> owner 1 -> owner 2); returns it with owner 2's key. */
async function twoEntryVoucher(): Promise<{ voucher: OwnershipVoucher; owner: KeyObject }> {
  const [manufacturer, owner1, owner2] = [p256(), p256(), p256()];
  const once = await extendVoucher(manufacture(manufacturer), createSoftwareSigner(manufacturer), owner1);
  const voucher = await extendVoucher(once, createSoftwareSigner(owner1), owner2);
  return { voucher, owner: owner2 };
}

interface VerifyCtx {
  vouchers: Uint8Array[];
  next: number;
}

interface ExtendCtx {
  voucher: OwnershipVoucher;
  signer: ReturnType<typeof createSoftwareSigner>;
  nextOwner: KeyObject;
}

function verifyNext(ctx: VerifyCtx): void {
  const bytes = ctx.vouchers[ctx.next++ % ctx.vouchers.length]!;
  verifyVoucher(parseVoucher(bytes));
}

export const benchmarks: BenchCase<VerifyCtx | ExtendCtx>[] = [
  {
    name: 'voucher.verify',
    setup: async () => ({ vouchers: [(await twoEntryVoucher()).voucher.bytes], next: 0 }),
    op: (ctx) => verifyNext(ctx as VerifyCtx),
  },
  {
    name: 'voucher.verify.cold-keys',
    setup: async () => {
      const vouchers: Uint8Array[] = [];
      for (let i = 0; i < 2000; i++) vouchers.push((await twoEntryVoucher()).voucher.bytes);
      return { vouchers, next: 0 };
    },
    op: (ctx) => verifyNext(ctx as VerifyCtx),
  },
  {
    name: 'voucher.extend',
    setup: async () => {
      const { voucher, owner } = await twoEntryVoucher();
      return { voucher, signer: createSoftwareSigner(owner), nextOwner: p256() };
    },
    op: (ctx) => {
      const { voucher, signer, nextOwner } = ctx as ExtendCtx;
      return extendVoucher(voucher, signer, nextOwner);
    },
  },
];
