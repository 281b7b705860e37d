import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSoftwareSigner } from '@ztp/protocol';
import { CertificateIssuer } from '../ca/certificate-issuer';
import { type SoftwareKeyCustody } from '../custody/software-key-custody';
import { createCsr } from '../csr/create-csr';
import { parseCsr } from '../csr/parse-csr';
import { type KeySpec } from '../key-spec';
import { DAY_MS, testClock, testCustody } from '../support.testing';
import { derToPem } from '../x509/pem';
import { x509 } from '../x509/runtime';
import { createCrl } from './crl';
import { createOcspResponse, OcspIssuer, ocspErrorResponse, parseOcspRequest } from './ocsp';

// openssl checks at the real time, so the CA lives around now.
const clock = testClock(new Date().toISOString());

describe('CRL and OCSP, checked by openssl', () => {
  let custody: SoftwareKeyCustody;
  let issuer: CertificateIssuer;
  let workDir: string;
  const file = (name: string) => join(workDir, name);
  const openssl = (args: string[]) => spawnSync('openssl', args, { cwd: workDir, encoding: 'utf8' });

  beforeAll(() => {
    custody = testCustody(clock.now).custody;
    issuer = new CertificateIssuer({ custody, now: clock.now, randomBytes });
    workDir = mkdtempSync(join(tmpdir(), 'pki-revocation-'));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  async function caWithTwoLeaves(spec: KeySpec) {
    const keyId = `ca-${spec}-${randomBytes(4).toString('hex')}`;
    if (spec.startsWith('RSA'))
      await custody.importKey({
        keyId,
        privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
        purpose: 'ca',
      });
    else await custody.generateKey({ keyId, spec, purpose: 'ca' });
    const ca = await issuer.createRootCa({ keyId, subject: { commonName: `CA ${spec}` }, validityDays: 30 });
    const leaf = async (name: string) => {
      const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const csr = await parseCsr(
        await createCsr({ signer: createSoftwareSigner(key), subject: { commonName: name } }),
      );
      return issuer.issueFromCsr(
        ca,
        csr,
        { kind: 'operational-client', subject: { commonName: name }, validityDays: 10 },
        { crlUrl: 'http://ca.example/crl', ocspUrl: 'http://ca.example/ocsp' },
      );
    };
    return { ca, good: await leaf('good'), revoked: await leaf('revoked') };
  }

  const serialOf = (der: Uint8Array) => new x509.X509Certificate(der).serialNumber.toLowerCase();

  it.each(['P-256', 'P-384', 'RSA-2048'] as KeySpec[])(
    'a %s CA: openssl verify -crl_check refuses the revoked leaf and accepts the good one',
    async (spec) => {
      const { ca, good, revoked } = await caWithTwoLeaves(spec);
      const crl = await createCrl(await custody.signer(ca.keyId), ca.certificate, {
        crlNumber: 7n,
        thisUpdate: clock.now(),
        nextUpdate: new Date(clock.now().getTime() + DAY_MS),
        entries: [{ serialNumber: serialOf(revoked), revokedAt: clock.now(), reason: 'keyCompromise' }],
      });
      writeFileSync(file('ca.pem'), derToPem(ca.certificate));
      writeFileSync(file('crl.pem'), derToPem(crl, 'X509 CRL'));
      writeFileSync(file('good.pem'), derToPem(good));
      writeFileSync(file('revoked.pem'), derToPem(revoked));

      const text = execFileSync('openssl', ['crl', '-in', 'crl.pem', '-noout', '-text'], {
        cwd: workDir,
        encoding: 'utf8',
      });
      expect(text).toMatch(/X509v3 CRL Number:\s+7/);
      expect(text).toContain('Key Compromise');
      expect(text).toContain(serialOf(revoked).toUpperCase());

      const verifyGood = openssl([
        'verify',
        '-crl_check',
        '-CAfile',
        'ca.pem',
        '-CRLfile',
        'crl.pem',
        'good.pem',
      ]);
      expect(verifyGood.stdout.trim()).toBe('good.pem: OK');
      expect(verifyGood.status).toBe(0);
      const verifyRevoked = openssl([
        'verify',
        '-crl_check',
        '-CAfile',
        'ca.pem',
        '-CRLfile',
        'crl.pem',
        'revoked.pem',
      ]);
      expect(verifyRevoked.status).not.toBe(0);
      expect(verifyRevoked.stdout + verifyRevoked.stderr).toContain('certificate revoked');

      const leafText = execFileSync('openssl', ['x509', '-in', 'good.pem', '-noout', '-text'], {
        cwd: workDir,
        encoding: 'utf8',
      });
      expect(leafText).toContain('URI:http://ca.example/crl');
      expect(leafText).toContain('OCSP - URI:http://ca.example/ocsp');
    },
  );

  it.each(['P-256', 'RSA-2048'] as KeySpec[])(
    'a %s CA: openssl accepts the signed OCSP answers (good, revoked with reason, nonce echoed)',
    async (spec) => {
      const { ca, good, revoked } = await caWithTwoLeaves(spec);
      writeFileSync(file('ca.pem'), derToPem(ca.certificate));
      writeFileSync(file('good.pem'), derToPem(good));
      writeFileSync(file('revoked.pem'), derToPem(revoked));
      const ocspIssuer = new OcspIssuer(ca.certificate);
      const signer = await custody.signer(ca.keyId);
      const revokedAt = new Date(Math.floor(clock.now().getTime() / 1000) * 1000 - 60_000);

      const answer = async (leaf: string) => {
        expect(openssl(['ocsp', '-issuer', 'ca.pem', '-cert', leaf, '-reqout', 'req.der']).status).toBe(0);
        const request = parseOcspRequest(readFileSync(file('req.der')));
        expect(request.nonce).toBeDefined();
        expect(request.certIds).toHaveLength(1);
        expect(ocspIssuer.issued(request.certIds[0]!)).toBe(true);
        const isRevoked = request.certIds[0]!.serialNumber === serialOf(revoked);
        const response = await createOcspResponse(signer, {
          issuer: ocspIssuer,
          answers: [
            {
              certId: request.certIds[0]!,
              status: isRevoked ? { status: 'revoked', revokedAt, reason: 'superseded' } : { status: 'good' },
            },
          ],
          producedAt: clock.now(),
          thisUpdate: clock.now(),
          nextUpdate: new Date(clock.now().getTime() + 3_600_000),
          nonce: request.nonce,
        });
        writeFileSync(file('resp.der'), response);
        // With -reqin (and no -cert, which would make a new request) openssl checks the nonce too.
        const checked = openssl([
          'ocsp',
          '-reqin',
          'req.der',
          '-respin',
          'resp.der',
          '-CAfile',
          'ca.pem',
          '-resp_text',
        ]);
        return { ...checked, stdout: checked.stdout.replace(/\s+/g, ' ') };
      };

      const goodAnswer = await answer('good.pem');
      expect(goodAnswer.stderr).toContain('Response verify OK');
      expect(goodAnswer.stdout).toContain(`Serial Number: ${serialOf(good).toUpperCase()} Cert Status: good`);
      expect(goodAnswer.stderr).not.toMatch(/nonce/i);

      const revokedAnswer = await answer('revoked.pem');
      expect(revokedAnswer.stderr).toContain('Response verify OK');
      expect(revokedAnswer.stdout).toContain(
        `Serial Number: ${serialOf(revoked).toUpperCase()} Cert Status: revoked`,
      );
      expect(revokedAnswer.stdout).toContain('Revocation Reason: superseded (0x4)');
    },
  );

  it('an answer for another request does not pass openssl nonce check', async () => {
    const { ca, good } = await caWithTwoLeaves('P-256');
    writeFileSync(file('ca.pem'), derToPem(ca.certificate));
    writeFileSync(file('good.pem'), derToPem(good));
    expect(openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'good.pem', '-reqout', 'req1.der']).status).toBe(0);
    expect(openssl(['ocsp', '-issuer', 'ca.pem', '-cert', 'good.pem', '-reqout', 'req2.der']).status).toBe(0);
    const first = parseOcspRequest(readFileSync(file('req1.der')));
    const response = await createOcspResponse(await custody.signer(ca.keyId), {
      issuer: new OcspIssuer(ca.certificate),
      answers: [{ certId: first.certIds[0]!, status: { status: 'good' } }],
      producedAt: clock.now(),
      thisUpdate: clock.now(),
      nonce: first.nonce,
    });
    writeFileSync(file('resp.der'), response);
    const check = openssl(['ocsp', '-reqin', 'req2.der', '-respin', 'resp.der', '-CAfile', 'ca.pem']);
    expect(check.stdout + check.stderr).toMatch(/nonce verify error/i);
  });

  it('an OCSP request naming another issuer is not ours; garbage is a malformed request', async () => {
    const mine = await caWithTwoLeaves('P-256');
    const other = await caWithTwoLeaves('P-256');
    writeFileSync(file('other-ca.pem'), derToPem(other.ca.certificate));
    writeFileSync(file('other.pem'), derToPem(other.good));
    expect(
      openssl(['ocsp', '-issuer', 'other-ca.pem', '-cert', 'other.pem', '-reqout', 'req.der']).status,
    ).toBe(0);
    const request = parseOcspRequest(readFileSync(file('req.der')));
    expect(new OcspIssuer(mine.ca.certificate).issued(request.certIds[0]!)).toBe(false);
    expect(() => parseOcspRequest(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01))).toThrow(
      /not an OCSP request/,
    );
    expect(() => parseOcspRequest(new Uint8Array(0))).toThrow(/not an OCSP request/);
    writeFileSync(file('err.der'), ocspErrorResponse('malformedRequest'));
    const text = openssl(['ocsp', '-respin', 'err.der', '-resp_text', '-noverify']);
    expect(text.stdout + text.stderr).toContain('malformedrequest');
  });
});
