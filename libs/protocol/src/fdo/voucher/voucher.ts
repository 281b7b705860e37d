import { X509Certificate, type KeyObject } from 'node:crypto';
import { asArray, asBytes, asInt, CborError, decode, splitArray, type CborValue } from '../../cbor';
import { decodeFdoHmac, type FdoDigest } from '../../crypto/fdo-hash';
import { FDO_PROTOCOL_VERSION, FDO_PROTOCOL_VERSION_1_0 } from '../constants';
import { type Guid } from '../guid';
import { type FdoPublicKey } from '../public-key';
import { decodeOvEntry, type OvEntry } from './entry';
import { VoucherError } from './errors';
import { decodeOvHeader, type OvHeader } from './header';

/**
 * An FDO 1.1 Ownership Voucher:
 * `[OVProtVer, bstr .cbor OVHeader, OVHeaderHMac, OVDevCertChain / null, [* OVEntry]]`.
 * Immutable: every byte is kept as received because hashes and HMACs cover them.
 */
export interface OwnershipVoucher {
  /** The whole voucher, exactly as received or produced. */
  readonly bytes: Uint8Array;
  readonly protocolVersion: number;
  readonly header: OvHeader;
  /** OVHeaderHMac: HMAC over header.bytes with the device's secret. */
  readonly headerHmac: FdoDigest;
  /** The exact CBOR of the five top-level elements, in order. */
  readonly elementBytes: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  /** Device certificate chain as DER, leaf first; null for EPID devices. */
  readonly deviceCertChain: readonly Uint8Array[] | null;
  readonly entries: readonly OvEntry[];
}

export interface ParseVoucherOptions {
  /** Largest voucher accepted, in bytes. Default 1 MiB. */
  maxBytes?: number;
}

function malformed(err: unknown): VoucherError {
  if (err instanceof VoucherError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new VoucherError('malformed', `malformed ownership voucher: ${reason}`, { cause: err });
}

function refuseFdo10(): never {
  throw new VoucherError(
    'fdo-1.0',
    'this is an FDO 1.0 ownership voucher (protocol version 100); only FDO 1.1 (101) vouchers are supported',
  );
}

function decodeDeviceChain(value: CborValue): Uint8Array[] | null {
  if (value === null) return null;
  const certs = asArray(value, 'OVDevCertChain').map((cert, i) => asBytes(cert, `OVDevCertChain[${i}]`));
  if (certs.length === 0)
    throw new CborError('unexpected-type', 'OVDevCertChain is empty (use null for EPID)');
  return certs;
}

function parseElements(bytes: Uint8Array, options: ParseVoucherOptions): OwnershipVoucher {
  const elements = splitArray(bytes, { maxBytes: options.maxBytes });
  // FDO 1.0 vouchers carry the header inline as a 4-element [OVHeader, HMac, chain, entries].
  if (elements.length === 4 && Array.isArray(decode(elements[0]!))) refuseFdo10();
  if (elements.length !== 5)
    throw new CborError('unexpected-type', `expected 5 items, got ${elements.length}`);
  const [versionBytes, headerBytes, hmacBytes, chainBytes, entriesBytes] = elements as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const protocolVersion = asInt(decode(versionBytes), 'OVProtVer');
  if (protocolVersion === FDO_PROTOCOL_VERSION_1_0) refuseFdo10();
  if (protocolVersion !== FDO_PROTOCOL_VERSION)
    throw new VoucherError('unsupported-version', `unsupported voucher protocol version ${protocolVersion}`);
  const header = decodeOvHeader(asBytes(decode(headerBytes), 'OVHeader bstr'));
  if (header.protocolVersion === FDO_PROTOCOL_VERSION_1_0) refuseFdo10();
  if (header.protocolVersion !== FDO_PROTOCOL_VERSION)
    throw new VoucherError(
      'unsupported-version',
      `unsupported OVHeader protocol version ${header.protocolVersion}`,
    );
  return {
    bytes,
    protocolVersion,
    header,
    headerHmac: decodeFdoHmac(decode(hmacBytes), 'OVHeaderHMac'),
    elementBytes: [versionBytes, headerBytes, hmacBytes, chainBytes, entriesBytes],
    deviceCertChain: decodeDeviceChain(decode(chainBytes)),
    entries: splitArray(entriesBytes).map((entry, index) => {
      try {
        return decodeOvEntry(entry);
      } catch (err) {
        throw new VoucherError('malformed', `malformed OVEntry: ${(err as Error).message}`, {
          entry: index,
          cause: err,
        });
      }
    }),
  };
}

/**
 * Parses a voucher from raw CBOR. Every failure is a VoucherError: 'fdo-1.0' for FDO 1.0 vouchers,
 * 'unsupported-version' for other versions, 'malformed' for anything structurally wrong (including
 * keys that do not decode or do not match their pkType). Parsing checks no signatures or hashes:
 * call verifyVoucher.
 */
export function parseVoucher(bytes: Uint8Array, options: ParseVoucherOptions = {}): OwnershipVoucher {
  try {
    return parseElements(bytes, options);
  } catch (err) {
    throw malformed(err);
  }
}

/** The current owner's key: the last entry's key, or the manufacturer key when there are no entries. */
export function voucherOwnerKey(voucher: OwnershipVoucher): FdoPublicKey {
  return voucher.entries.at(-1)?.publicKey ?? voucher.header.manufacturerKey;
}

export function voucherGuid(voucher: OwnershipVoucher): Guid {
  return voucher.header.guid;
}

export function voucherDeviceInfo(voucher: OwnershipVoucher): string {
  return voucher.header.deviceInfo;
}

const certificateCache = new WeakMap<OwnershipVoucher, readonly X509Certificate[]>();

/** The device certificate chain parsed (leaf first), or null for EPID. VoucherError('malformed') on bad DER. */
export function voucherDeviceCertificates(voucher: OwnershipVoucher): readonly X509Certificate[] | null {
  if (!voucher.deviceCertChain) return null;
  let certs = certificateCache.get(voucher);
  if (!certs) {
    certs = voucher.deviceCertChain.map((der, i) => {
      try {
        return new X509Certificate(der);
      } catch (err) {
        throw new VoucherError(
          'malformed',
          `device certificate ${i} does not parse: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    });
    certificateCache.set(voucher, certs);
  }
  return certs;
}

/** The device attestation public key: the leaf of the device certificate chain (null for EPID). */
export function voucherDevicePublicKey(voucher: OwnershipVoucher): KeyObject | null {
  return voucherDeviceCertificates(voucher)?.[0]?.publicKey ?? null;
}
