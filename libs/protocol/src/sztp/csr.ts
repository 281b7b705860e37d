import { encodeBinary } from './binary';
import { Asn1Reader } from './cms/asn1';
import { der } from './cms/der';
import { SztpPayloadError } from './errors';
import { Modules } from './yang/modules';
import { type IdentityChoice, type YangReader } from './yang/reader';
import { y, type YangMember } from './yang/tree';

/**
 * RFC 9646: a device asks for an LDevID inside SZTP. It sends `ietf-sztp-csr:csr-support` in
 * get-bootstrapping-data; the server answers 400 with `error-tag missing-attribute` and an
 * `ietf-sztp-csr:csr-request` in error-info; the device repeats the RPC with exactly one of
 * `ietf-sztp-csr:p10-csr | cmc-csr | cmp-csr`.
 */
export type CsrFormat = 'p10-csr' | 'cmc-csr' | 'cmp-csr';

export const CSR_FORMATS: readonly CsrFormat[] = ['p10-csr', 'cmc-csr', 'cmp-csr'];

/** What the device can do (`csr-support`). */
export interface CsrSupport {
  /** Present when the device can generate a new key: DER AlgorithmIdentifiers it supports. */
  readonly keyGeneration?: { readonly supportedAlgorithms: readonly Uint8Array[] };
  /** `csr-generation/supported-formats/format-identifier` (at least one). */
  readonly supportedFormats: readonly CsrFormat[];
}

/** The server's choice, sent in error-info (`csr-request`). */
export interface CsrRequest {
  /** Ask for a new key with this DER AlgorithmIdentifier; absent = reuse the IDevID key. */
  readonly keyGeneration?: { readonly selectedAlgorithm: Uint8Array };
  readonly selectedFormat: CsrFormat;
  /** DER CertificationRequestInfo template the device should sign. */
  readonly certReqInfo?: Uint8Array;
}

/** The device's CSR (`p10-csr` = DER PKCS#10 CertificationRequest; `cmc-csr`/`cmp-csr` DER too). */
export interface CsrSubmission {
  readonly format: CsrFormat;
  readonly value: Uint8Array;
}

// Final RFC 9646 identities live in ietf-ztp-types; pre-RFC drafts used ietf-sztp-csr:p10|cmc|cmp.
const FORMAT_IDENTITIES: readonly IdentityChoice<CsrFormat>[] = [
  ...CSR_FORMATS.map((format) => ({ module: Modules.ztpTypes, identity: format, value: format })),
  { module: Modules.sztpCsr, identity: 'p10', value: 'p10-csr' },
  { module: Modules.sztpCsr, identity: 'cmc', value: 'cmc-csr' },
  { module: Modules.sztpCsr, identity: 'cmp', value: 'cmp-csr' },
];

/** A DER AlgorithmIdentifier: `SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`. */
export interface AlgorithmIdentifierInfo {
  readonly algorithm: string;
  /** Parameters when they are an OID (EC named curve); undefined when absent or NULL. */
  readonly parameterOid?: string;
  /** True when parameters are present and are neither an OID nor NULL. */
  readonly hasOtherParameters: boolean;
}

export function parseAlgorithmIdentifier(bytes: Uint8Array, path = ''): AlgorithmIdentifierInfo {
  const reader = new Asn1Reader('malformed-cms');
  try {
    const [algorithm, parameters, ...rest] = reader.sequence(
      reader.parse(bytes, 'AlgorithmIdentifier'),
      'AlgorithmIdentifier',
    );
    if (rest.length > 0) reader.fail('AlgorithmIdentifier');
    return {
      algorithm: reader.oid(algorithm, 'algorithm'),
      parameterOid: reader.isOid(parameters) ? reader.oid(parameters, 'parameters') : undefined,
      hasOtherParameters: parameters !== undefined && !reader.isOid(parameters) && !reader.isNull(parameters),
    };
  } catch {
    throw new SztpPayloadError('invalid-value', path, 'not a DER AlgorithmIdentifier');
  }
}

/** DER AlgorithmIdentifier, e.g. `(ecPublicKey, secp256r1)` or `(rsaEncryption, NULL)`. */
export function encodeAlgorithmIdentifier(algorithm: string, parameters?: string | null): Uint8Array {
  if (parameters === undefined) return der.algorithmIdentifier(algorithm);
  return der.algorithmIdentifier(algorithm, parameters === null ? der.null() : der.oid(parameters));
}

/** Reads the RFC 9646 members of a get-bootstrapping-data input (consuming them). */
export function readCsrMembers(input: YangReader): { csrSupport?: CsrSupport; csr?: CsrSubmission } {
  const module = Modules.sztpCsr;
  const supportNode = input.container('csr-support', { module });
  let csrSupport: CsrSupport | undefined;
  if (supportNode !== undefined) {
    const keyGenerationNode = supportNode.container('key-generation');
    let keyGeneration: CsrSupport['keyGeneration'];
    if (keyGenerationNode !== undefined) {
      const algorithmsNode = keyGenerationNode.container('supported-algorithms');
      const supportedAlgorithms = algorithmsNode?.binaryList('algorithm-identifier') ?? [];
      if (supportedAlgorithms.length === 0) {
        throw new SztpPayloadError(
          'missing-element',
          `${keyGenerationNode.path}/supported-algorithms/algorithm-identifier`,
          'needs at least one entry',
        );
      }
      supportedAlgorithms.forEach((der, i) =>
        parseAlgorithmIdentifier(
          der,
          `${keyGenerationNode.path}/supported-algorithms/algorithm-identifier[${i}]`,
        ),
      );
      algorithmsNode?.finish();
      keyGenerationNode.finish();
      keyGeneration = { supportedAlgorithms };
    }
    const generationNode = supportNode.container('csr-generation', { mandatory: true });
    const formatsNode = generationNode.container('supported-formats', { mandatory: true });
    const supportedFormats = formatsNode.identityList('format-identifier', FORMAT_IDENTITIES);
    if (supportedFormats.length === 0) {
      throw new SztpPayloadError(
        'missing-element',
        `${supportNode.path}/csr-generation/supported-formats/format-identifier`,
        'needs at least one entry',
      );
    }
    formatsNode.finish();
    generationNode.finish();
    supportNode.finish();
    csrSupport = { ...(keyGeneration ? { keyGeneration } : {}), supportedFormats };
  }

  const submissions: CsrSubmission[] = [];
  for (const format of CSR_FORMATS) {
    const value = input.binary(format, { module });
    if (value !== undefined) submissions.push({ format, value });
  }
  // Pre-RFC drafts wrapped the CSR: "ietf-sztp-csr:csr": {"p10": ...}.
  const legacy = input.container('csr', { module });
  if (legacy !== undefined) {
    for (const [leaf, format] of [
      ['p10', 'p10-csr'],
      ['cmc', 'cmc-csr'],
      ['cmp', 'cmp-csr'],
    ] as const) {
      const value = legacy.binary(leaf);
      if (value !== undefined) submissions.push({ format, value });
    }
    legacy.finish();
    if (submissions.length === 0) throw new SztpPayloadError('missing-element', legacy.path, 'needs one CSR');
  }
  if (submissions.length > 1) {
    throw new SztpPayloadError('bad-element', `${input.path}/${module.name}:csr`, 'only one CSR may be sent');
  }
  if (csrSupport !== undefined && submissions.length > 0) {
    throw new SztpPayloadError(
      'bad-element',
      `${input.path}/${module.name}:csr-support`,
      'csr-support and a CSR are mutually exclusive',
    );
  }
  return { ...(csrSupport ? { csrSupport } : {}), ...(submissions[0] ? { csr: submissions[0] } : {}) };
}

/** The members a device adds to its get-bootstrapping-data input (for the device simulator). */
export function csrInputMembers(csrSupport?: CsrSupport, csr?: CsrSubmission): (YangMember | undefined)[] {
  const m = Modules.sztpCsr;
  const identities = (formats: readonly CsrFormat[]) =>
    formats.map((identity) => ({ module: Modules.ztpTypes, identity }));
  return [
    csrSupport &&
      y.container(m, 'csr-support', [
        csrSupport.keyGeneration &&
          y.container(m, 'key-generation', [
            y.container(m, 'supported-algorithms', [
              y.leafList(
                m,
                'algorithm-identifier',
                csrSupport.keyGeneration.supportedAlgorithms.map(encodeBinary),
              ),
            ]),
          ]),
        y.container(m, 'csr-generation', [
          y.container(m, 'supported-formats', [
            y.leafList(m, 'format-identifier', identities(csrSupport.supportedFormats)),
          ]),
        ]),
      ]),
    csr && y.leaf(m, csr.format, encodeBinary(csr.value)),
  ];
}

/** The `ietf-sztp-csr:csr-request` structure placed in error-info. */
export function csrRequestMember(request: CsrRequest): YangMember {
  const m = Modules.sztpCsr;
  return y.container(m, 'csr-request', [
    request.keyGeneration &&
      y.container(m, 'key-generation', [
        y.container(m, 'selected-algorithm', [
          y.leaf(m, 'algorithm-identifier', encodeBinary(request.keyGeneration.selectedAlgorithm)),
        ]),
      ]),
    y.container(m, 'csr-generation', [
      y.container(m, 'selected-format', [
        y.leaf(m, 'format-identifier', { module: Modules.ztpTypes, identity: request.selectedFormat }),
      ]),
    ]),
    y.leaf(m, 'cert-req-info', request.certReqInfo && encodeBinary(request.certReqInfo)),
  ]);
}

/** Reads a `csr-request` from error-info (device side). */
export function readCsrRequest(node: YangReader): CsrRequest {
  const keyGenerationNode = node.container('key-generation');
  let keyGeneration: CsrRequest['keyGeneration'];
  if (keyGenerationNode !== undefined) {
    const selected = keyGenerationNode.container('selected-algorithm', { mandatory: true });
    keyGeneration = { selectedAlgorithm: selected.binary('algorithm-identifier', { mandatory: true }) };
    selected.finish();
    keyGenerationNode.finish();
  }
  const generation = node.container('csr-generation', { mandatory: true });
  const selectedFormatNode = generation.container('selected-format', { mandatory: true });
  const selectedFormat = selectedFormatNode.identity('format-identifier', FORMAT_IDENTITIES, {
    mandatory: true,
  });
  selectedFormatNode.finish();
  generation.finish();
  const certReqInfo = node.binary('cert-req-info');
  node.finish();
  return {
    ...(keyGeneration ? { keyGeneration } : {}),
    selectedFormat,
    ...(certReqInfo ? { certReqInfo } : {}),
  };
}

/**
 * Checks a server's choice against what the device offered (RFC 9646: the selected algorithm and
 * format MUST be among the supported ones; key-generation only if the device offered it).
 */
export function checkCsrRequestAgainstSupport(request: CsrRequest, support: CsrSupport): void {
  if (!support.supportedFormats.includes(request.selectedFormat)) {
    throw new SztpPayloadError(
      'invalid-value',
      '/csr-request/csr-generation',
      'format not offered by the device',
    );
  }
  if (request.keyGeneration !== undefined) {
    const offered = support.keyGeneration?.supportedAlgorithms ?? [];
    const selected = Buffer.from(request.keyGeneration.selectedAlgorithm);
    if (!offered.some((a) => selected.equals(a))) {
      throw new SztpPayloadError(
        'invalid-value',
        '/csr-request/key-generation',
        'algorithm not offered by the device',
      );
    }
  }
}
