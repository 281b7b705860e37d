import { encodeBinary } from './binary';
import { SztpPayloadError } from './errors';
import { bodyText } from './text';
import { Modules } from './yang/modules';
import { readDocument } from './yang/reader';
import { toJson, y } from './yang/tree';

/**
 * The `ietf-voucher:voucher` JSON object: RFC 8366 leaves plus the RFC 8366bis additions
 * (agent-proximity, pinned-domain-pubk[-sha256], est-domain, additional-configuration).
 */
const M = Modules.voucher;

export const VOUCHER_ASSERTIONS = ['verified', 'logged', 'proximity', 'agent-proximity'] as const;
export type VoucherAssertion = (typeof VOUCHER_ASSERTIONS)[number];

export interface Voucher {
  /** yang:date-and-time, kept as written (e.g. `2022-07-10T17:08:18.720-04:00`). */
  readonly createdOn?: string;
  readonly expiresOn?: string;
  readonly assertion?: VoucherAssertion;
  readonly serialNumber: string;
  /** Authority Key Identifier of the pledge's IDevID. */
  readonly idevidIssuer?: Uint8Array;
  /** DER certificate the owner's certificate must chain to. */
  readonly pinnedDomainCert?: Uint8Array;
  readonly pinnedDomainPubk?: Uint8Array;
  readonly pinnedDomainPubkSha256?: Uint8Array;
  readonly domainCertRevocationChecks?: boolean;
  /** 8..32 bytes; excludes expires-on. */
  readonly nonce?: Uint8Array;
  /** Requires expires-on. */
  readonly lastRenewalDate?: string;
  readonly estDomain?: string;
  readonly additionalConfiguration?: string;
}

export interface VoucherParseOptions {
  /**
   * `rfc8366` (default): created-on, assertion and pinned-domain-cert are mandatory, as in RFC
   * 8366 and what SZTP devices expect. `rfc8366bis`: only serial-number is mandatory, plus one of
   * pinned-domain-cert / pinned-domain-pubk / pinned-domain-pubk-sha256.
   */
  readonly profile?: 'rfc8366' | 'rfc8366bis';
  /**
   * Tolerate what some issuers emit: unknown members are skipped and an empty-string assertion
   * (google/open-sztp writes `"assertion": ""` and a Go `XMLName` member) reads as absent. Skipped
   * paths are reported in `ignored`.
   */
  readonly lenient?: boolean;
}

export interface ParsedVoucher {
  readonly voucher: Voucher;
  /** Paths of members skipped in lenient mode. */
  readonly ignored: readonly string[];
}

const DATE_AND_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const PATH = `/${M.name}:voucher`;

/** Milliseconds since the epoch of a yang:date-and-time. */
export function dateAndTimeToMillis(value: string, path: string): number {
  const millis = DATE_AND_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(millis)) throw new SztpPayloadError('invalid-value', path, 'not a yang:date-and-time');
  return millis;
}

/** Schema rules that go beyond member types (YANG must statements, lengths, mandatory leaves). */
export function checkVoucher(voucher: Voucher, profile: VoucherParseOptions['profile'] = 'rfc8366'): void {
  const at = (leaf: string) => `${PATH}/${leaf}`;
  for (const [leaf, value] of [
    ['created-on', voucher.createdOn],
    ['expires-on', voucher.expiresOn],
    ['last-renewal-date', voucher.lastRenewalDate],
  ] as const) {
    if (value !== undefined) dateAndTimeToMillis(value, at(leaf));
  }
  if (voucher.nonce !== undefined && (voucher.nonce.length < 8 || voucher.nonce.length > 32)) {
    throw new SztpPayloadError('invalid-value', at('nonce'), 'nonce must be 8..32 bytes');
  }
  if (voucher.nonce !== undefined && voucher.expiresOn !== undefined) {
    throw new SztpPayloadError(
      'invalid-value',
      at('expires-on'),
      'expires-on and nonce are mutually exclusive',
    );
  }
  if (voucher.lastRenewalDate !== undefined && voucher.expiresOn === undefined) {
    throw new SztpPayloadError('missing-element', at('expires-on'), 'last-renewal-date requires expires-on');
  }
  const mandatory: [string, unknown][] =
    profile === 'rfc8366'
      ? [
          ['created-on', voucher.createdOn],
          ['assertion', voucher.assertion],
          ['pinned-domain-cert', voucher.pinnedDomainCert],
        ]
      : [];
  for (const [leaf, value] of mandatory) {
    if (value === undefined) throw new SztpPayloadError('missing-element', at(leaf), 'is mandatory');
  }
  if (
    voucher.pinnedDomainCert === undefined &&
    voucher.pinnedDomainPubk === undefined &&
    voucher.pinnedDomainPubkSha256 === undefined
  ) {
    throw new SztpPayloadError('missing-element', at('pinned-domain-cert'), 'the voucher pins no domain');
  }
}

/** Parses `{"ietf-voucher:voucher": {...}}`. */
export function parseVoucherJson(
  json: string | Uint8Array,
  options: VoucherParseOptions = {},
): ParsedVoucher {
  const { reader } = readDocument(bodyText(json), 'json', M, ['voucher'], { ignoreUnknown: options.lenient });
  const ignored: string[] = [];
  let assertion: VoucherAssertion | undefined;
  if (options.lenient && reader.string('assertion') === '') ignored.push(`${PATH}/assertion`);
  else assertion = reader.enumeration('assertion', VOUCHER_ASSERTIONS);
  const fields = {
    createdOn: reader.string('created-on'),
    expiresOn: reader.string('expires-on'),
    assertion,
    serialNumber: reader.string('serial-number', { mandatory: true }),
    idevidIssuer: reader.binary('idevid-issuer'),
    pinnedDomainCert: reader.binary('pinned-domain-cert'),
    pinnedDomainPubk: reader.binary('pinned-domain-pubk'),
    pinnedDomainPubkSha256: reader.binary('pinned-domain-pubk-sha256'),
    domainCertRevocationChecks: reader.boolean('domain-cert-revocation-checks'),
    nonce: reader.binary('nonce'),
    lastRenewalDate: reader.string('last-renewal-date'),
    estDomain: reader.string('est-domain'),
    additionalConfiguration: reader.string('additional-configuration'),
  };
  reader.finish();
  const voucher = Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as unknown as Voucher;
  checkVoucher(voucher, options.profile);
  return { voucher, ignored: [...ignored, ...reader.ignored] };
}

/** RFC 7951 JSON for a voucher (validated against the rfc8366 profile first). */
export function encodeVoucherJson(
  voucher: Voucher,
  profile: VoucherParseOptions['profile'] = 'rfc8366',
): string {
  checkVoucher(voucher, profile);
  const b64 = (bytes: Uint8Array | undefined) => bytes && encodeBinary(bytes);
  return toJson(
    y.container(M, 'voucher', [
      y.leaf(M, 'created-on', voucher.createdOn),
      y.leaf(M, 'expires-on', voucher.expiresOn),
      y.leaf(M, 'assertion', voucher.assertion),
      y.leaf(M, 'serial-number', voucher.serialNumber),
      y.leaf(M, 'idevid-issuer', b64(voucher.idevidIssuer)),
      y.leaf(M, 'pinned-domain-cert', b64(voucher.pinnedDomainCert)),
      y.leaf(M, 'pinned-domain-pubk', b64(voucher.pinnedDomainPubk)),
      y.leaf(M, 'pinned-domain-pubk-sha256', b64(voucher.pinnedDomainPubkSha256)),
      y.leaf(M, 'domain-cert-revocation-checks', voucher.domainCertRevocationChecks),
      y.leaf(M, 'nonce', b64(voucher.nonce)),
      y.leaf(M, 'last-renewal-date', voucher.lastRenewalDate),
      y.leaf(M, 'est-domain', voucher.estDomain),
      y.leaf(M, 'additional-configuration', voucher.additionalConfiguration),
    ]),
  );
}
