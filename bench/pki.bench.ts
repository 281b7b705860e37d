import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  CertificateIssuer,
  createCsr,
  InMemorySealedKeyStore,
  type IssuingCa,
  type ParsedCsr,
  parseCsr,
  SoftwareKeyCustody,
  validateChain,
} from '@ztp/pki';
import { createSoftwareSigner, type Signer } from '@ztp/protocol';
import { type BenchCase } from './types';

/** libs/pki: CSR checks, issuance through custody, chain validation, custody signing (warm cache). */
interface PkiContext {
  issuer: CertificateIssuer;
  root: IssuingCa;
  inter: IssuingCa;
  csrDer: Uint8Array;
  csr: ParsedCsr;
  leaf: Uint8Array;
  custodySigner: Signer;
}

const message = Buffer.alloc(256, 7);

async function setup(): Promise<PkiContext> {
  const now = () => new Date();
  const custody = new SoftwareKeyCustody({
    store: new InMemorySealedKeyStore(),
    masterKey: { version: 1, key: randomBytes(32) },
    now,
  });
  await custody.generateKey({ keyId: 'root', spec: 'P-384', purpose: 'root-ca' });
  await custody.generateKey({ keyId: 'inter', spec: 'P-256', purpose: 'issuing-ca' });
  const issuer = new CertificateIssuer({ custody, now, randomBytes });
  const root = await issuer.createRootCa({
    keyId: 'root',
    subject: { commonName: 'Bench Root' },
    validityDays: 3650,
  });
  const inter = await issuer.createIntermediateCa(root, {
    keyId: 'inter',
    subject: { commonName: 'Bench Issuing' },
    validityDays: 365,
  });
  const device = createSoftwareSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const csrDer = await createCsr({ signer: device, subject: { commonName: 'device' } });
  const csr = await parseCsr(csrDer);
  const leaf = await issuer.issueFromCsr(inter, csr, {
    kind: 'device-identity',
    deviceSerial: 'SN-1',
    validityDays: 30,
  });
  return { issuer, root, inter, csrDer, csr, leaf, custodySigner: await custody.signer('inter') };
}

export const benchmarks: BenchCase<PkiContext>[] = [
  { name: 'pki.csr.parse.p256', setup, op: (ctx) => parseCsr(ctx.csrDer) },
  {
    name: 'pki.issue.p256',
    setup,
    op: (ctx) =>
      ctx.issuer.issueFromCsr(ctx.inter, ctx.csr, {
        kind: 'device-identity',
        deviceSerial: 'SN-1',
        validityDays: 30,
      }),
  },
  {
    name: 'pki.chain.validate.p256',
    setup,
    op: (ctx) => validateChain([ctx.leaf, ctx.inter.certificate], [ctx.root.certificate], { at: new Date() }),
  },
  { name: 'pki.custody.sign.p256', setup, op: (ctx) => ctx.custodySigner.sign(message) },
];
