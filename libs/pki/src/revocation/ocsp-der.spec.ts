import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '@ztp/protocol';
import { CertificateIssuer } from '../ca/certificate-issuer';
import { createCsr } from '../csr/create-csr';
import { parseCsr } from '../csr/parse-csr';
import { PkiError } from '../errors';
import { testClock, testCustody } from '../support.testing';
import { derToPem } from '../x509/pem';
import { decodeOid, encodeOid } from '../x509/der-codec';
import { createOcspResponse, OcspIssuer, parseOcspRequest } from './ocsp';

describe('OCSP by hand-written DER', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ocsp-der-'));
  let request: Uint8Array;
  let ca: Uint8Array;
  const clock = testClock(new Date().toISOString());
  const { custody } = testCustody(clock.now);

  beforeAll(async () => {
    await custody.generateKey({ keyId: 'ca', spec: 'P-256', purpose: 'ca' });
    const issuer = new CertificateIssuer({ custody, now: clock.now, randomBytes });
    const root = await issuer.createRootCa({
      keyId: 'ca',
      subject: { commonName: 'OCSP CA' },
      validityDays: 5,
    });
    ca = root.certificate;
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const leaf = await issuer.issueFromCsr(
      root,
      await parseCsr(await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: 'x' } })),
      { kind: 'operational-client', subject: { commonName: 'x' }, validityDays: 2 },
    );
    writeFileSync(join(dir, 'ca.pem'), derToPem(ca));
    writeFileSync(join(dir, 'leaf.pem'), derToPem(leaf));
    execFileSync(
      'openssl',
      ['ocsp', '-issuer', 'ca.pem', '-cert', 'leaf.pem', '-cert', 'ca.pem', '-reqout', 'req.der'],
      {
        cwd: dir,
        stdio: 'ignore',
      },
    );
    request = new Uint8Array(readFileSync(join(dir, 'req.der')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('OIDs round-trip', () => {
    for (const oid of ['1.3.6.1.5.5.7.48.1.2', '2.16.840.1.101.3.4.2.1', '1.2.840.10045.4.3.2', '2.999.3'])
      expect(decodeOid(encodeOid(oid).subarray(2))).toBe(oid);
  });

  it('reads what pkijs reads from an openssl request, and pkijs reads the answer built from it', async () => {
    const parsed = parseOcspRequest(request);
    const reference = pkijs.OCSPRequest.fromBER(request);
    expect(parsed.certIds).toHaveLength(2);
    expect(parsed.certIds.map((id) => Buffer.from(id.der).toString('hex'))).toEqual(
      reference.tbsRequest.requestList.map((r) => Buffer.from(r.reqCert.toSchema().toBER()).toString('hex')),
    );
    const nonce = reference.tbsRequest.requestExtensions![0]!.extnValue.valueBlock.valueHexView;
    expect(Buffer.from(parsed.nonce!)).toEqual(Buffer.from(nonce));

    const answer = await createOcspResponse(await custody.signer('ca'), {
      issuer: new OcspIssuer(ca),
      answers: [
        { certId: parsed.certIds[0]!, status: { status: 'good' } },
        {
          certId: parsed.certIds[1]!,
          status: { status: 'revoked', revokedAt: new Date(), reason: 'keyCompromise' },
        },
      ],
      producedAt: new Date(),
      thisUpdate: new Date(),
      nextUpdate: new Date(Date.now() + 3_600_000),
      nonce: parsed.nonce!,
    });
    const response = pkijs.OCSPResponse.fromBER(answer);
    const basic = pkijs.BasicOCSPResponse.fromBER(response.responseBytes!.response.valueBlock.valueHexView);
    expect(basic.tbsResponseData.responses).toHaveLength(2);
    expect(basic.certs).toHaveLength(1);
    writeFileSync(join(dir, 'resp.der'), answer);
    const text = execFileSync(
      'openssl',
      ['ocsp', '-reqin', 'req.der', '-respin', 'resp.der', '-CAfile', 'ca.pem', '-resp_text'],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(text).toContain('Cert Status: good');
    expect(text).toContain('Revocation Reason: keyCompromise');
  });

  it('10,000 mutated and truncated requests: a request or malformed-ocsp-request, never anything else', () => {
    for (let i = 0; i < 10_000; i++) {
      const mutated = Uint8Array.from(request);
      const flips = 1 + (i % 4);
      for (let f = 0; f < flips; f++)
        mutated[Math.floor(Math.random() * mutated.length)] = Math.floor(Math.random() * 256);
      const input = i % 5 === 0 ? mutated.subarray(0, Math.floor(Math.random() * mutated.length)) : mutated;
      try {
        const parsed = parseOcspRequest(input);
        expect(parsed.certIds.length).toBeGreaterThan(0);
      } catch (err) {
        expect(err).toBeInstanceOf(PkiError);
        expect((err as PkiError).code).toBe('malformed-ocsp-request');
      }
    }
  });
});
