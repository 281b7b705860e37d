import { describe, expect, it } from 'vitest';
import {
  encodeConveyedInformation,
  encodeUnsignedConveyedInformation,
  openConveyedInformation,
  parseConveyedInformation,
  SztpPayloadError,
  SztpVerificationError,
  type ConveyedInformation,
} from './index';

/** Unsigned conveyed information served by sztpd in the opiproject/sztp README (ContentInfo, OID …1.43). */
const OPI_README_CONVEYED_INFORMATION =
  'MIIDfwYLKoZIhvcNAQkQASugggNuBIIDansKICAiaWV0Zi1zenRwLWNvbnZleWVkLWluZm86b25ib2FyZGluZy1pbmZvcm1hdGlvbiI6IHsKICAgICJib290LWltYWdlIjogewogICAgICAiZG93bmxvYWQtdXJpIjogWwogICAgICAgICJodHRwOi8vd2ViOjgwODIvdmFyL2xpYi9taXNjL215LWJvb3QtaW1hZ2UuaW1nIiwKICAgICAgICAiZnRwOi8vd2ViOjMwODIvdmFyL2xpYi9taXNjL215LWJvb3QtaW1hZ2UuaW1nIgogICAgICBdLAogICAgICAiaW1hZ2UtdmVyaWZpY2F0aW9uIjogWwogICAgICAgIHsKICAgICAgICAgICJoYXNoLWFsZ29yaXRobSI6ICJpZXRmLXN6dHAtY29udmV5ZWQtaW5mbzpzaGEtMjU2IiwKICAgICAgICAgICJoYXNoLXZhbHVlIjogIjdiOmNhOmU2OmFjOjIzOjA2OmQ4Ojc5OjA2OjhjOmFjOjAzOjgwOmUyOjE2OjQ0OjdlOjQwOjZhOjY1OmZhOmQ0OjY5OjYxOjZlOjA1OmNlOmY1Ojg3OmRjOjJiOjk3IgogICAgICAgIH0KICAgICAgXQogICAgfSwKICAgICJwcmUtY29uZmlndXJhdGlvbi1zY3JpcHQiOiAiSXlFdlltbHVMMkpoYzJnS1pXTm9ieUFpYVc1emFXUmxJSFJvWlNCd2NtVXRZMjl1Wm1sbmRYSmhkR2x2YmkxelkzSnBjSFF1TGk0aUNnPT0iLAogICAgImNvbmZpZ3VyYXRpb24taGFuZGxpbmciOiAibWVyZ2UiLAogICAgImNvbmZpZ3VyYXRpb24iOiAiUEhSdmNDQjRiV3h1Y3owaWFIUjBjSE02TDJWNFlXMXdiR1V1WTI5dEwyTnZibVpwWnlJK0NpQWdQR0Z1ZVMxNGJXd3RZMjl1ZEdWdWRDMXZhMkY1THo0S1BDOTBiM0ErQ2c9PSIsCiAgICAicG9zdC1jb25maWd1cmF0aW9uLXNjcmlwdCI6ICJJeUV2WW1sdUwySmhjMmdLWldOb2J5QWlhVzV6YVdSbElIUm9aU0J3YjNOMExXTnZibVpwWjNWeVlYUnBiMjR0YzJOeWFYQjBMaTR1SWdvPSIKICB9Cn0=';

const hash = new Uint8Array(
  Buffer.from('7bcae6ac2306d879068cac0380e216447e406a65fad469616e05cef587dc2b97', 'hex'),
);

const onboarding: ConveyedInformation = {
  kind: 'onboarding-information',
  bootImage: {
    downloadUris: ['https://web:443/my-boot-image.img'],
    imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: hash }],
  },
  configurationHandling: 'merge',
  preConfigurationScript: new TextEncoder().encode('#!/bin/sh\necho pre\n'),
  configuration: new TextEncoder().encode('<top xmlns="https://example.com/config"/>'),
  postConfigurationScript: new TextEncoder().encode('#!/bin/sh\necho post\n'),
};

const redirect: ConveyedInformation = {
  kind: 'redirect-information',
  bootstrapServers: [
    { address: 'bootstrap.example.com', port: 8443, trustAnchor: Uint8Array.of(0x30, 0) },
    { address: '192.0.2.1' },
  ],
};

/**
 * The OPI sztp-agent decodes with Go's DisallowUnknownFields into these member sets: anything
 * else (os-name, os-version in boot-image, ...) makes it fail.
 */
const OPI_ONBOARDING_KEYS = {
  top: [
    'boot-image',
    'pre-configuration-script',
    'configuration-handling',
    'configuration',
    'post-configuration-script',
  ],
  bootImage: ['download-uri', 'image-verification'],
  imageVerification: ['hash-algorithm', 'hash-value'],
};

function payloadError(fn: () => unknown): SztpPayloadError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SztpPayloadError);
    return err as SztpPayloadError;
  }
  throw new Error('expected a rejection');
}

describe('conveyed information documents', () => {
  it('writes RFC 7951 JSON the OPI agent accepts (module-qualified identity, colon hex hash)', () => {
    const json = JSON.parse(encodeConveyedInformation(onboarding, 'json'));
    const top = json['ietf-sztp-conveyed-info:onboarding-information'];
    expect(Object.keys(json)).toEqual(['ietf-sztp-conveyed-info:onboarding-information']);
    expect(Object.keys(top).every((k) => OPI_ONBOARDING_KEYS.top.includes(k))).toBe(true);
    expect(Object.keys(top['boot-image']).every((k) => OPI_ONBOARDING_KEYS.bootImage.includes(k))).toBe(true);
    expect(top['boot-image']['image-verification']).toEqual([
      {
        'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256',
        'hash-value':
          '7b:ca:e6:ac:23:06:d8:79:06:8c:ac:03:80:e2:16:44:7e:40:6a:65:fa:d4:69:61:6e:05:ce:f5:87:dc:2b:97',
      },
    ]);
    expect(Buffer.from(top['pre-configuration-script'], 'base64').toString()).toBe('#!/bin/sh\necho pre\n');
    const redirectJson = JSON.parse(encodeConveyedInformation(redirect, 'json'));
    expect(redirectJson).toEqual({
      'ietf-sztp-conveyed-info:redirect-information': {
        'bootstrap-server': [
          { address: 'bootstrap.example.com', port: 8443, 'trust-anchor': 'MAA=' },
          { address: '192.0.2.1' },
        ],
      },
    });
  });

  it('round-trips both choices in JSON and XML', () => {
    for (const info of [onboarding, redirect]) {
      for (const encoding of ['json', 'xml'] as const) {
        expect(parseConveyedInformation(encodeConveyedInformation(info, encoding), encoding)).toEqual(info);
      }
    }
    expect(encodeConveyedInformation(redirect, 'xml')).toMatch(
      /^<redirect-information xmlns="urn:ietf:params:xml:ns:yang:ietf-sztp-conveyed-info"><bootstrap-server><address>/,
    );
  });

  it('reads the unsigned artifact from the OPI README (sztpd output)', () => {
    const opened = openConveyedInformation(
      new Uint8Array(Buffer.from(OPI_README_CONVEYED_INFORMATION, 'base64')),
      {
        allowUnsigned: true,
      },
    );
    expect(opened).toMatchObject({
      signed: false,
      encoding: 'json',
      contentType: '1.2.840.113549.1.9.16.1.43',
    });
    const info = opened.info;
    if (info.kind !== 'onboarding-information') throw new Error('expected onboarding information');
    expect(info.bootImage?.downloadUris).toEqual([
      'http://web:8082/var/lib/misc/my-boot-image.img',
      'ftp://web:3082/var/lib/misc/my-boot-image.img',
    ]);
    expect(Buffer.from(info.bootImage!.imageVerification![0]!.hashValue).equals(Buffer.from(hash))).toBe(
      true,
    );
    expect(info.configurationHandling).toBe('merge');
  });

  it('encodes unsigned artifacts as ContentInfo(id-ct-sztpConveyedInfoJSON, OCTET STRING) like sztpd', () => {
    const artifact = encodeUnsignedConveyedInformation(onboarding);
    // 30 82 len | 06 0b <1.2.840.113549.1.9.16.1.43> | a0 82 len | 04 82 len | {...
    expect(Buffer.from(artifact.subarray(4, 17)).toString('hex')).toBe('060b2a864886f70d010910012b');
    expect(artifact[17]).toBe(0xa0);
    expect(artifact[21]).toBe(0x04);
    expect(openConveyedInformation(artifact, { allowUnsigned: true }).info).toEqual(onboarding);
    const xml = openConveyedInformation(encodeUnsignedConveyedInformation(redirect, 'xml'), {
      allowUnsigned: true,
    });
    expect(xml).toMatchObject({ encoding: 'xml', contentType: '1.2.840.113549.1.9.16.1.42', info: redirect });
  });

  it('refuses unsigned data unless the server is trusted', () => {
    let caught: unknown;
    try {
      openConveyedInformation(encodeUnsignedConveyedInformation(onboarding));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SztpVerificationError);
    expect((caught as SztpVerificationError).code).toBe('signature-required');
  });

  it.each<[string, ConveyedInformation, string, string]>([
    [
      'configuration without configuration-handling',
      { kind: 'onboarding-information', configuration: Uint8Array.of(1) },
      'missing-element',
      '/ietf-sztp-conveyed-info:onboarding-information/configuration-handling',
    ],
    [
      'image-verification without download-uri',
      {
        kind: 'onboarding-information',
        bootImage: { imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: hash }] },
      },
      'missing-element',
      '/ietf-sztp-conveyed-info:onboarding-information/boot-image/download-uri',
    ],
    [
      'a short sha-256 value',
      {
        kind: 'onboarding-information',
        bootImage: {
          downloadUris: ['https://x/y'],
          imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: Uint8Array.of(1) }],
        },
      },
      'invalid-value',
      '/ietf-sztp-conveyed-info:onboarding-information/boot-image/image-verification[0]/hash-value',
    ],
    [
      'a relative download URI',
      { kind: 'onboarding-information', bootImage: { downloadUris: ['image.bin'] } },
      'invalid-value',
      '/ietf-sztp-conveyed-info:onboarding-information/boot-image/download-uri[0]',
    ],
    [
      'no bootstrap server',
      { kind: 'redirect-information', bootstrapServers: [] },
      'missing-element',
      '/ietf-sztp-conveyed-info:redirect-information/bootstrap-server',
    ],
    [
      'a duplicate address',
      { kind: 'redirect-information', bootstrapServers: [{ address: 'a' }, { address: 'a' }] },
      'data-exists',
      '/ietf-sztp-conveyed-info:redirect-information/bootstrap-server[1]/address',
    ],
    [
      'a port out of range',
      { kind: 'redirect-information', bootstrapServers: [{ address: 'a', port: 70000 }] },
      'invalid-value',
      '/ietf-sztp-conveyed-info:redirect-information/bootstrap-server[0]/port',
    ],
  ])('refuses to encode %s', (_name, info, errorTag, path) => {
    expect(payloadError(() => encodeConveyedInformation(info, 'json'))).toMatchObject({ errorTag, path });
  });

  it.each([
    [
      'both choices',
      '{"ietf-sztp-conveyed-info:redirect-information":{},"ietf-sztp-conveyed-info:onboarding-information":{}}',
      'malformed-message',
    ],
    [
      'an unknown hash algorithm',
      '{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"download-uri":["https://x/y"],"image-verification":[{"hash-algorithm":"ietf-sztp-conveyed-info:md5","hash-value":"00"}]}}}',
      'invalid-value',
    ],
    [
      'a hash that is not a hex-string',
      '{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"download-uri":["https://x/y"],"image-verification":[{"hash-algorithm":"sha-256","hash-value":"zz"}]}}}',
      'invalid-value',
    ],
    [
      'a port as text',
      '{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"address":"a","port":"x"}]}}',
      'invalid-value',
    ],
    [
      'a bad configuration-handling',
      '{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"append","configuration":"AA=="}}',
      'invalid-value',
    ],
  ])('refuses to parse %s', (_name, json, errorTag) => {
    expect(payloadError(() => parseConveyedInformation(json, 'json')).errorTag).toBe(errorTag);
  });
});
