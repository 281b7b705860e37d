import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner, SigAlg } from '@ztp/protocol';
import { PkiError } from '../errors';
import { derToPem } from '../x509/pem';
import { createCsr } from './create-csr';
import { parseCsr } from './parse-csr';

function opensslCsr(keyArgs: string[], subject = '/CN=test', extra: string[] = []): string {
  return execFileSync(
    'openssl',
    ['req', '-new', '-nodes', '-keyout', '/dev/null', '-subj', subject, ...keyArgs, ...extra],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

async function rejectsWith(promise: Promise<unknown>, code: string) {
  await expect(promise).rejects.toBeInstanceOf(PkiError);
  await expect(promise).rejects.toMatchObject({ code });
}

describe('parseCsr', () => {
  let rsa2048: KeyObject;
  let p256: KeyObject;

  beforeAll(() => {
    rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  });

  it('reads our own CSRs in DER and PEM, with subject, SANs and key', async () => {
    const der = await createCsr({
      signer: createSoftwareSigner(p256),
      subject: { organization: 'Acme', commonName: 'dev-1' },
      subjectAltNames: { dns: ['dev-1.example'], ip: ['192.0.2.1'], uri: ['urn:dev:1'] },
    });
    const fromDer = await parseCsr(der);
    expect(fromDer.keySpec).toBe('P-256');
    expect(fromDer.subject).toBe('O=Acme, CN=dev-1');
    expect(fromDer.requestedSubject).toEqual({ organization: 'Acme', commonName: 'dev-1' });
    expect(fromDer.requestedSubjectAltNames).toEqual({
      dns: ['dev-1.example'],
      ip: ['192.0.2.1'],
      uri: ['urn:dev:1'],
      email: [],
    });
    expect(fromDer.publicKey.equals(createSoftwareSigner(p256).publicKey)).toBe(true);

    const fromPem = await parseCsr(derToPem(der, 'CERTIFICATE REQUEST'));
    expect(fromPem.der).toEqual(der);
    await expect(parseCsr(derToPem(der, 'NEW CERTIFICATE REQUEST'))).resolves.toMatchObject({
      keySpec: 'P-256',
    });
  });

  it('reads RSA CSRs signed with PKCS#1 v1.5 and with PSS', async () => {
    for (const alg of [SigAlg.RS256, SigAlg.PS256]) {
      const der = await createCsr({
        signer: createSoftwareSigner(rsa2048, { alg }),
        subject: { commonName: 'rsa' },
      });
      await expect(parseCsr(der)).resolves.toMatchObject({ keySpec: 'RSA-2048' });
    }
  });

  it('reads CSRs made by openssl', async () => {
    const pem = opensslCsr(
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
      '/C=US/O=Acme Corp/CN=dev-42',
      ['-addext', 'subjectAltName=DNS:dev42.example,IP:2001:db8::1,email:ops@example.com'],
    );
    const csr = await parseCsr(pem);
    expect(csr.keySpec).toBe('P-384');
    expect(csr.requestedSubject).toEqual({ country: 'US', organization: 'Acme Corp', commonName: 'dev-42' });
    expect(csr.requestedSubjectAltNames.dns).toEqual(['dev42.example']);
    expect(csr.requestedSubjectAltNames.email).toEqual(['ops@example.com']);
    expect(csr.requestedSubjectAltNames.ip).toHaveLength(1);
  });

  it('refuses a CSR whose signature does not match: bad-csr-signature', async () => {
    const der = await createCsr({ signer: createSoftwareSigner(p256), subject: { commonName: 'dev-1' } });
    const badSignature = Uint8Array.from(der);
    badSignature[badSignature.length - 3]! ^= 0x01;
    await rejectsWith(parseCsr(badSignature), 'bad-csr-signature');

    const editedSubject = Buffer.from(der);
    const at = editedSubject.indexOf('dev-1');
    editedSubject[at + 4] = '2'.charCodeAt(0);
    await rejectsWith(parseCsr(editedSubject), 'bad-csr-signature');

    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const lying = createSoftwareSigner(p256);
    const signedByOther = await createCsr({
      signer: { ...lying, sign: (data) => createSoftwareSigner(other).sign(data) },
      subject: { commonName: 'dev-1' },
    });
    await rejectsWith(parseCsr(signedByOther), 'bad-csr-signature');
  });

  it('refuses keys other than P-256, P-384, RSA-2048 and RSA-3072: unsupported-key-type', async () => {
    await rejectsWith(
      parseCsr(opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'])),
      'unsupported-key-type',
    );
    await rejectsWith(parseCsr(opensslCsr(['-newkey', 'ed25519'])), 'unsupported-key-type');
    await rejectsWith(parseCsr(opensslCsr(['-newkey', 'rsa:1024'])), 'unsupported-key-type');
  });

  it('refuses what is not a CSR: malformed-csr', async () => {
    const der = await createCsr({ signer: createSoftwareSigner(p256), subject: { commonName: 'dev-1' } });
    await rejectsWith(parseCsr(new Uint8Array([1, 2, 3])), 'malformed-csr');
    await rejectsWith(parseCsr(new Uint8Array()), 'malformed-csr');
    await rejectsWith(parseCsr(Buffer.concat([der, Buffer.of(0)])), 'malformed-csr');
    await rejectsWith(parseCsr(der.subarray(0, der.length - 1)), 'malformed-csr');
    await rejectsWith(parseCsr('hello'), 'malformed-csr');
    await rejectsWith(parseCsr(derToPem(der, 'CERTIFICATE')), 'malformed-csr');
    await rejectsWith(
      parseCsr('-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n'),
      'malformed-csr',
    );
  });
});
