import { describe, expect, it } from 'vitest';
import {
  checkCsrRequestAgainstSupport,
  csrRequestError,
  decodeCertsOnly,
  encodeAlgorithmIdentifier,
  encodeKeystore,
  keystoreCertificate,
  Oid,
  parseAlgorithmIdentifier,
  parseRestconfErrors,
  parseXml,
  restconfErrorFromPayloadError,
  restconfStatusForErrorTag,
  serializeRestconfErrors,
  SztpPayloadError,
  type CsrRequest,
} from './index';
import { createTestPki } from './pki.testing';

const p256 = encodeAlgorithmIdentifier(Oid.ecPublicKey, Oid.secp256r1);
const request: CsrRequest = {
  keyGeneration: { selectedAlgorithm: p256 },
  selectedFormat: 'p10-csr',
  certReqInfo: Uint8Array.of(0x30, 0x00),
};

describe('RFC 9646 csr-request error', () => {
  it('has the RFC example shape: 400, missing-attribute, error-info/ietf-sztp-csr:csr-request', () => {
    const error = csrRequestError(request);
    expect(restconfStatusForErrorTag(error.errorTag)).toBe(400);
    expect(JSON.parse(serializeRestconfErrors([error], 'json'))).toEqual({
      'ietf-restconf:errors': {
        error: [
          {
            'error-type': 'application',
            'error-tag': 'missing-attribute',
            'error-message': 'Missing input parameter',
            'error-info': {
              'ietf-sztp-csr:csr-request': {
                'key-generation': {
                  'selected-algorithm': { 'algorithm-identifier': Buffer.from(p256).toString('base64') },
                },
                'csr-generation': { 'selected-format': { 'format-identifier': 'ietf-ztp-types:p10-csr' } },
                'cert-req-info': 'MAA=',
              },
            },
          },
        ],
      },
    });
  });

  it('round-trips through JSON and XML for the device side', () => {
    for (const encoding of ['json', 'xml'] as const) {
      const [parsed] = parseRestconfErrors(
        serializeRestconfErrors([csrRequestError(request)], encoding),
        encoding,
      );
      expect(parsed).toEqual({ ...csrRequestError(request), csrRequest: request });
    }
    const xml = parseXml(serializeRestconfErrors([csrRequestError(request)], 'xml'));
    expect(xml.namespace).toBe('urn:ietf:params:xml:ns:yang:ietf-restconf');
    const info = xml.children[0]!.children.find((c) => c.name === 'error-info')!.children[0]!;
    expect(info).toMatchObject({
      name: 'csr-request',
      namespace: 'urn:ietf:params:xml:ns:yang:ietf-sztp-csr',
    });
  });

  it('checks the server choice against what the device offered', () => {
    const support = {
      keyGeneration: { supportedAlgorithms: [p256] },
      supportedFormats: ['p10-csr' as const],
    };
    expect(() => checkCsrRequestAgainstSupport(request, support)).not.toThrow();
    expect(() => checkCsrRequestAgainstSupport({ ...request, selectedFormat: 'cmp-csr' }, support)).toThrow(
      SztpPayloadError,
    );
    const p384 = encodeAlgorithmIdentifier(Oid.ecPublicKey, Oid.secp384r1);
    expect(() =>
      checkCsrRequestAgainstSupport({ ...request, keyGeneration: { selectedAlgorithm: p384 } }, support),
    ).toThrow(/not offered/);
  });

  it('reads and writes DER AlgorithmIdentifiers', () => {
    expect(parseAlgorithmIdentifier(p256)).toEqual({
      algorithm: Oid.ecPublicKey,
      parameterOid: Oid.secp256r1,
      hasOtherParameters: false,
    });
    expect(parseAlgorithmIdentifier(encodeAlgorithmIdentifier(Oid.rsaEncryption, null))).toEqual({
      algorithm: Oid.rsaEncryption,
      parameterOid: undefined,
      hasOtherParameters: false,
    });
    expect(() => parseAlgorithmIdentifier(Uint8Array.of(0x30, 0x00))).toThrow(SztpPayloadError);
    expect(() => parseAlgorithmIdentifier(Uint8Array.of(0xff))).toThrow(SztpPayloadError);
  });
});

describe('RESTCONF errors from payload errors', () => {
  it('keep error-path out unless asked (OPI/fl-sztp refuse unknown error members)', () => {
    const error = new SztpPayloadError(
      'invalid-value',
      '/ietf-sztp-bootstrap-server:input/nonce',
      'too short',
    );
    expect(
      Object.keys(
        JSON.parse(serializeRestconfErrors([restconfErrorFromPayloadError(error)], 'json'))[
          'ietf-restconf:errors'
        ].error[0],
      ),
    ).toEqual(['error-type', 'error-tag', 'error-message']);
    expect(restconfErrorFromPayloadError(error, { includePath: true }).errorPath).toBe(
      '/ietf-sztp-bootstrap-server:input/nonce',
    );
    expect(restconfErrorFromPayloadError(new SztpPayloadError('malformed-message', '', 'x')).errorType).toBe(
      'rpc',
    );
    expect(restconfStatusForErrorTag('operation-failed')).toBe(500);
    expect(restconfStatusForErrorTag('data-exists')).toBe(409);
  });
});

describe('ietf-keystore LDevID configuration', () => {
  it('writes the RFC 9646 example shape with a certs-only cert-data', async () => {
    const pki = await createTestPki();
    const publicKey = new Uint8Array(pki.owner.cert.publicKey.rawData);
    const ldevid = keystoreCertificate('Newly-Generated LDevID Cert', pki.owner.certificate, [
      pki.ownerIssuing.certificate,
    ]);
    const json = JSON.parse(
      encodeKeystore([{ name: 'Newly-Generated Hidden Key', publicKey, certificates: [ldevid] }], 'json'),
    );
    const key = json['ietf-keystore:keystore']['asymmetric-keys']['asymmetric-key'][0];
    expect(key).toEqual({
      name: 'Newly-Generated Hidden Key',
      'public-key-format': 'ietf-crypto-types:subject-public-key-info-format',
      'public-key': Buffer.from(publicKey).toString('base64'),
      'hidden-private-key': [null],
      certificates: {
        certificate: [{ name: 'Newly-Generated LDevID Cert', 'cert-data': expect.any(String) }],
      },
    });
    const bag = decodeCertsOnly(
      new Uint8Array(Buffer.from(key.certificates.certificate[0]['cert-data'], 'base64')),
    );
    expect(bag).toHaveLength(2);
    const xml = parseXml(encodeKeystore([{ name: 'k', publicKey, certificates: [ldevid] }], 'xml'));
    expect(xml).toMatchObject({ name: 'keystore', namespace: 'urn:ietf:params:xml:ns:yang:ietf-keystore' });
  });
});
