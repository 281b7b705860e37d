import { describe, expect, it } from 'vitest';
import {
  encodingForMediaType,
  parseGetBootstrappingDataInput,
  parseGetBootstrappingDataOutput,
  parseReportProgressInput,
  PROGRESS_TYPES,
  serializeGetBootstrappingDataInput,
  serializeGetBootstrappingDataOutput,
  serializeReportProgressInput,
  SztpPayloadError,
  type Encoding,
} from './index';

function payloadError(fn: () => unknown): SztpPayloadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SztpPayloadError);
    return err as SztpPayloadError;
  }
  throw new Error('expected a rejection');
}

const NS = 'urn:ietf:params:xml:ns:yang:ietf-sztp-bootstrap-server';
const nonce16 = Buffer.alloc(16, 7).toString('base64');

describe('get-bootstrapping-data input', () => {
  it('reads what the OPI sztp-agent sends (empty nonce = no nonce)', () => {
    const body =
      '{"ietf-sztp-bootstrap-server:input":{"hw-model":"model-x","os-name":"vendor-os","os-version":"17.3R2.1","nonce":""}}';
    expect(parseGetBootstrappingDataInput(body, 'json')).toEqual({
      signedDataPreferred: false,
      hwModel: 'model-x',
      osName: 'vendor-os',
      osVersion: '17.3R2.1',
    });
  });

  it('reads signed-data-preferred as RFC 7951 [null], the unqualified wrapper, and bytes', () => {
    const body = `{"input":{"signed-data-preferred":[null],"ietf-sztp-bootstrap-server:nonce":"${nonce16}"}}`;
    const input = parseGetBootstrappingDataInput(new TextEncoder().encode(body), 'json');
    expect(input.signedDataPreferred).toBe(true);
    expect(Buffer.from(input.nonce!).equals(Buffer.alloc(16, 7))).toBe(true);
  });

  it('treats an empty body as an RPC without input', () => {
    expect(parseGetBootstrappingDataInput('', 'json')).toEqual({ signedDataPreferred: false });
    expect(parseGetBootstrappingDataInput(' \n', 'xml')).toEqual({ signedDataPreferred: false });
  });

  it('reads XML, with the namespace as written by Arista (mis-cased) or missing', () => {
    const xml = (ns: string) =>
      `<input${ns}><signed-data-preferred/><hw-model>m</hw-model><nonce>\n${nonce16}\n</nonce></input>`;
    for (const ns of [
      ` xmlns="${NS}"`,
      ' xmlns="urn:ietf:params:xml:ns:yang:ietf-SZTP-bootstrap-server"',
      '',
    ]) {
      const input = parseGetBootstrappingDataInput(xml(ns), 'xml');
      expect(input).toMatchObject({ signedDataPreferred: true, hwModel: 'm' });
      expect(input.nonce).toHaveLength(16);
    }
    const error = payloadError(() => parseGetBootstrappingDataInput(xml(' xmlns="urn:other"'), 'xml'));
    expect(error.errorTag).toBe('unknown-namespace');
  });

  it.each([
    ['8 bytes (RFC 9646 / OPI README placeholder)', 'BASE64VALUE='],
    ['33 bytes', Buffer.alloc(33).toString('base64')],
  ])('refuses a nonce of %s with invalid-value at the nonce path', (_name, nonce) => {
    const error = payloadError(() =>
      parseGetBootstrappingDataInput(`{"ietf-sztp-bootstrap-server:input":{"nonce":"${nonce}"}}`, 'json'),
    );
    expect(error).toMatchObject({
      errorTag: 'invalid-value',
      path: '/ietf-sztp-bootstrap-server:input/nonce',
    });
  });

  it.each<[string, string, Encoding, string, string]>([
    ['malformed JSON', '{"ietf-sztp-bootstrap-server:input":', 'json', 'malformed-message', ''],
    ['two top-level members', '{"a:input":{},"b":{}}', 'json', 'malformed-message', ''],
    ['another module', '{"ietf-restconf:input":{}}', 'json', 'unknown-namespace', '/ietf-restconf:input'],
    [
      'an unknown member',
      '{"input":{"colour":"red"}}',
      'json',
      'unknown-element',
      '/ietf-sztp-bootstrap-server:input/colour',
    ],
    [
      'a number for a string',
      '{"input":{"hw-model":7}}',
      'json',
      'invalid-value',
      '/ietf-sztp-bootstrap-server:input/hw-model',
    ],
    [
      'bad base64',
      '{"input":{"nonce":"***"}}',
      'json',
      'invalid-value',
      '/ietf-sztp-bootstrap-server:input/nonce',
    ],
    [
      'signed-data-preferred with a value',
      '{"input":{"signed-data-preferred":true}}',
      'json',
      'invalid-value',
      '/ietf-sztp-bootstrap-server:input/signed-data-preferred',
    ],
    [
      'a repeated XML leaf',
      `<input xmlns="${NS}"><hw-model>a</hw-model><hw-model>b</hw-model></input>`,
      'xml',
      'bad-element',
      '/ietf-sztp-bootstrap-server:input/hw-model',
    ],
    [
      'an XML entity',
      `<!DOCTYPE input [<!ENTITY x "y">]><input xmlns="${NS}"/>`,
      'xml',
      'malformed-message',
      '',
    ],
    [
      'the wrong document element',
      `<output xmlns="${NS}"/>`,
      'xml',
      'unknown-element',
      '/ietf-sztp-bootstrap-server:output',
    ],
  ])('refuses %s', (_name, body, encoding, errorTag, path) => {
    expect(payloadError(() => parseGetBootstrappingDataInput(body, encoding))).toMatchObject({
      errorTag,
      path,
    });
  });

  it('skips unknown members when asked', () => {
    expect(
      parseGetBootstrappingDataInput('{"input":{"colour":"red","os-name":"x"}}', 'json', {
        ignoreUnknown: true,
      }),
    ).toEqual({
      signedDataPreferred: false,
      osName: 'x',
    });
  });

  it('reads RFC 9646 csr-support exactly as in the RFC example, and the later p10-csr', () => {
    const algorithm = Buffer.from('301306072a8648ce3d020106082a8648ce3d030107', 'hex').toString('base64');
    const support = parseGetBootstrappingDataInput(
      JSON.stringify({
        'ietf-sztp-bootstrap-server:input': {
          'hw-model': 'model-x',
          'ietf-sztp-csr:csr-support': {
            'key-generation': { 'supported-algorithms': { 'algorithm-identifier': [algorithm] } },
            'csr-generation': {
              'supported-formats': {
                'format-identifier': [
                  'ietf-ztp-types:p10-csr',
                  'ietf-ztp-types:cmc-csr',
                  'ietf-ztp-types:cmp-csr',
                ],
              },
            },
          },
        },
      }),
      'json',
    );
    expect(support.csrSupport?.supportedFormats).toEqual(['p10-csr', 'cmc-csr', 'cmp-csr']);
    expect(support.csrSupport?.keyGeneration?.supportedAlgorithms).toHaveLength(1);
    const csr = parseGetBootstrappingDataInput('{"input":{"ietf-sztp-csr:p10-csr":"MIIBAA=="}}', 'json');
    expect(csr.csr?.format).toBe('p10-csr');
    // Pre-RFC drafts: "ietf-sztp-csr:csr": {"p10": ...} and ietf-sztp-csr:p10 identities.
    expect(
      parseGetBootstrappingDataInput('{"input":{"ietf-sztp-csr:csr":{"p10":"MIIBAA=="}}}', 'json').csr
        ?.format,
    ).toBe('p10-csr');
  });

  it('reads csr-support in XML with prefixed identities', () => {
    const input = parseGetBootstrappingDataInput(
      `<input xmlns="${NS}"><csr-support xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-csr">` +
        '<csr-generation><supported-formats>' +
        '<format-identifier xmlns:zt="urn:ietf:params:xml:ns:yang:ietf-ztp-types">zt:p10-csr</format-identifier>' +
        '<format-identifier>ietf-ztp-types:cmp-csr</format-identifier>' +
        '</supported-formats></csr-generation></csr-support></input>',
      'xml',
    );
    expect(input.csrSupport).toEqual({ supportedFormats: ['p10-csr', 'cmp-csr'] });
  });

  it.each([
    [
      'csr-support together with a CSR',
      '{"input":{"ietf-sztp-csr:p10-csr":"AA==","ietf-sztp-csr:csr-support":{"csr-generation":{"supported-formats":{"format-identifier":["ietf-ztp-types:p10-csr"]}}}}}',
      'bad-element',
    ],
    ['two CSRs', '{"input":{"ietf-sztp-csr:p10-csr":"AA==","ietf-sztp-csr:cmc-csr":"AA=="}}', 'bad-element'],
    ['csr-support without formats', '{"input":{"ietf-sztp-csr:csr-support":{}}}', 'missing-element'],
    [
      'an unknown format identity',
      '{"input":{"ietf-sztp-csr:csr-support":{"csr-generation":{"supported-formats":{"format-identifier":["x:y"]}}}}}',
      'invalid-value',
    ],
    [
      'an algorithm that is not an AlgorithmIdentifier',
      '{"input":{"ietf-sztp-csr:csr-support":{"key-generation":{"supported-algorithms":{"algorithm-identifier":["AAAA"]}},"csr-generation":{"supported-formats":{"format-identifier":["ietf-ztp-types:p10-csr"]}}}}}',
      'invalid-value',
    ],
  ])('refuses %s', (_name, body, errorTag) => {
    expect(payloadError(() => parseGetBootstrappingDataInput(body, 'json')).errorTag).toBe(errorTag);
  });

  it('round-trips through its own serialiser in both encodings', () => {
    const input = {
      signedDataPreferred: true,
      hwModel: 'm',
      osName: 'os',
      osVersion: '1',
      nonce: new Uint8Array(Buffer.alloc(32, 1)),
      csrSupport: { supportedFormats: ['p10-csr' as const] },
    };
    for (const encoding of ['json', 'xml'] as const) {
      expect(
        parseGetBootstrappingDataInput(serializeGetBootstrappingDataInput(input, encoding), encoding),
      ).toEqual(input);
    }
  });
});

describe('get-bootstrapping-data output', () => {
  const output = {
    conveyedInformation: Uint8Array.of(1, 2, 3),
    ownerCertificate: Uint8Array.of(4),
    ownershipVoucher: Uint8Array.of(5),
  };

  it('writes the module-qualified output in JSON and the namespaced element in XML', () => {
    expect(serializeGetBootstrappingDataOutput({ conveyedInformation: Uint8Array.of(1, 2, 3) }, 'json')).toBe(
      '{"ietf-sztp-bootstrap-server:output":{"conveyed-information":"AQID"}}',
    );
    expect(serializeGetBootstrappingDataOutput({ ...output, reportingLevel: 'verbose' }, 'xml')).toBe(
      `<output xmlns="${NS}"><reporting-level>verbose</reporting-level><conveyed-information>AQID</conveyed-information>` +
        '<owner-certificate>BA==</owner-certificate><ownership-voucher>BQ==</ownership-voucher></output>',
    );
  });

  it('refuses an owner certificate without a voucher (YANG must)', () => {
    expect(
      payloadError(() =>
        serializeGetBootstrappingDataOutput({ ...output, ownershipVoucher: undefined }, 'json'),
      ).errorTag,
    ).toBe('invalid-value');
  });

  it('parses back, including Arista-style line-wrapped base64', () => {
    for (const encoding of ['json', 'xml'] as const) {
      expect(
        parseGetBootstrappingDataOutput(serializeGetBootstrappingDataOutput(output, encoding), encoding),
      ).toEqual(output);
    }
    const arista = `<output xmlns="urn:ietf:params:xml:ns:yang:ietf-SZTP-bootstrap-server">\n<reporting-level>verbose</reporting-level>\n<conveyed-information>\nAQ\nID\n</conveyed-information>\n</output>\n`;
    expect(parseGetBootstrappingDataOutput(arista, 'xml')).toEqual({
      reportingLevel: 'verbose',
      conveyedInformation: Uint8Array.of(1, 2, 3),
    });
    expect(
      payloadError(() => parseGetBootstrappingDataOutput('{"ietf-sztp-bootstrap-server:output":{}}', 'json')),
    ).toMatchObject({
      errorTag: 'missing-element',
      path: '/ietf-sztp-bootstrap-server:output/conveyed-information',
    });
  });
});

describe('report-progress input', () => {
  it('accepts all 27 progress types', () => {
    expect(PROGRESS_TYPES).toHaveLength(27);
    for (const progressType of PROGRESS_TYPES) {
      const body = `{"ietf-sztp-bootstrap-server:input":{"progress-type":"${progressType}"}}`;
      expect(parseReportProgressInput(body, 'json').progressType).toBe(progressType);
    }
  });

  it('accepts the OPI agent body: message plus empty ssh-host-keys / trust-anchor-certs objects', () => {
    const body =
      '{"ietf-sztp-bootstrap-server:input":{"progress-type":"bootstrap-initiated","message":"message sent via JSON","ssh-host-keys":{},"trust-anchor-certs":{}}}';
    expect(parseReportProgressInput(body, 'json')).toEqual({
      progressType: 'bootstrap-initiated',
      message: 'message sent via JSON',
    });
  });

  it('reads host keys and trust anchors on bootstrap-complete (OPI sends placeholders, kept as bytes)', () => {
    const placeholder = Buffer.from('mysshpass').toString('base64');
    const body = JSON.stringify({
      'ietf-sztp-bootstrap-server:input': {
        'progress-type': 'bootstrap-complete',
        message: 'done',
        'ssh-host-keys': { 'ssh-host-key': [{ algorithm: 'ssh-rsa', 'key-data': placeholder }] },
        'trust-anchor-certs': { 'trust-anchor-cert': [placeholder] },
      },
    });
    const input = parseReportProgressInput(body, 'json');
    expect(input.sshHostKeys?.[0]?.algorithm).toBe('ssh-rsa');
    expect(Buffer.from(input.sshHostKeys![0]!.keyData).toString()).toBe('mysshpass');
    expect(input.trustAnchorCerts).toHaveLength(1);
    for (const encoding of ['json', 'xml'] as const) {
      expect(parseReportProgressInput(serializeReportProgressInput(input, encoding), encoding)).toEqual(
        input,
      );
    }
  });

  it.each([
    [
      'a missing progress-type',
      '{"input":{"message":"x"}}',
      'missing-element',
      '/ietf-sztp-bootstrap-server:input/progress-type',
    ],
    [
      'an unknown progress-type',
      '{"input":{"progress-type":"done"}}',
      'invalid-value',
      '/ietf-sztp-bootstrap-server:input/progress-type',
    ],
    [
      'host keys outside bootstrap-complete',
      '{"input":{"progress-type":"config-complete","ssh-host-keys":{"ssh-host-key":[{"algorithm":"a","key-data":"AA=="}]}}}',
      'unknown-element',
      '/ietf-sztp-bootstrap-server:input/ssh-host-keys',
    ],
    [
      'a host key without key-data',
      '{"input":{"progress-type":"bootstrap-complete","ssh-host-keys":{"ssh-host-key":[{"algorithm":"a"}]}}}',
      'missing-element',
      '/ietf-sztp-bootstrap-server:input/ssh-host-keys/ssh-host-key[0]/key-data',
    ],
    ['an empty body', '', 'missing-element', '/ietf-sztp-bootstrap-server:input/progress-type'],
  ])('refuses %s', (_name, body, errorTag, path) => {
    expect(payloadError(() => parseReportProgressInput(body, 'json'))).toMatchObject({ errorTag, path });
  });

  it('reads XML', () => {
    const input = parseReportProgressInput(
      `<input xmlns="${NS}"><progress-type>config-error</progress-type><message>bad &amp; sad</message></input>`,
      'xml',
    );
    expect(input).toEqual({ progressType: 'config-error', message: 'bad & sad' });
  });
});

describe('media types', () => {
  it.each([
    ['application/yang-data+json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/yang.data+json', 'json'],
    ['Application/YANG-Data+XML', 'xml'],
    ['text/xml', 'xml'],
    ['text/plain', undefined],
    [undefined, undefined],
  ])('%s → %s', (contentType, encoding) => {
    expect(encodingForMediaType(contentType)).toBe(encoding);
  });
});
