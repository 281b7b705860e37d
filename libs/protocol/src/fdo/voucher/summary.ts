import { createHash, type X509Certificate } from 'node:crypto';
import { decode, RawCbor, Tagged, type CborValue } from '../../cbor';
import { type FdoDigest } from '../../crypto/fdo-hash';
import { keyProfile } from '../../crypto/keys';
import { sigAlgName } from '../../crypto/signature';
import { CoseHeader, HashAlg, RvProtocol, RvVariable } from '../constants';
import { guidToHex } from '../guid';
import { pkEncName, pkTypeName, type FdoPublicKey } from '../public-key';
import { voucherDeviceCertificates, voucherOwnerKey, type OwnershipVoucher } from './voucher';

/** JSON-friendly views of a voucher, for `ztp voucher inspect`, logs and APIs. Bytes are hex. */
export type CborJson = string | number | boolean | null | CborJson[] | { [key: string]: CborJson };

export interface DigestSummary {
  alg: string;
  value: string;
}

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
}

export interface PublicKeySummary {
  type: string;
  encoding: string;
  /** e.g. "EC P-384", "RSA 3072". */
  key: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo: the same key gives the same value in any encoding. */
  spkiSha256: string;
  chain?: CertificateSummary[];
}

export interface RendezvousInstructionSummary {
  variable: string;
  value?: CborJson;
}

export interface EntrySummary {
  index: number;
  signatureAlg: string;
  prevHash: DigestSummary;
  hdrInfoHash: DigestSummary;
  extra: Record<string, string> | null;
  publicKey: PublicKeySummary;
}

export interface VoucherSummary {
  protocolVersion: number;
  guid: string;
  deviceInfo: string;
  rendezvousInfo: RendezvousInstructionSummary[][] | { undecoded: string };
  manufacturerKey: PublicKeySummary;
  headerHmac: DigestSummary;
  certChainHash: DigestSummary | null;
  deviceCertChain: CertificateSummary[] | null;
  entries: EntrySummary[];
  ownerKey: PublicKeySummary;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const HASH_NAMES: Record<number, string> = {
  [HashAlg.SHA256]: 'SHA-256',
  [HashAlg.SHA384]: 'SHA-384',
  [HashAlg.HMAC_SHA256]: 'HMAC-SHA256',
  [HashAlg.HMAC_SHA384]: 'HMAC-SHA384',
};

function summarizeDigest(digest: FdoDigest): DigestSummary {
  return { alg: HASH_NAMES[digest.alg] ?? String(digest.alg), value: hex(digest.value) };
}

export function summarizeCertificate(cert: X509Certificate): CertificateSummary {
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}

export function summarizePublicKey(publicKey: FdoPublicKey): PublicKeySummary {
  const profile = keyProfile(publicKey.key);
  const spki = publicKey.key.export({ format: 'der', type: 'spki' });
  return {
    type: pkTypeName(publicKey.type),
    encoding: pkEncName(publicKey.encoding),
    key: profile.kind === 'ec' ? `EC ${profile.curve}` : `RSA ${profile.bits}`,
    spkiSha256: createHash('sha256').update(spki).digest('hex'),
    ...(publicKey.chain ? { chain: publicKey.chain.map(summarizeCertificate) } : {}),
  };
}

/** Decoded CBOR as JSON: bytes as hex, map keys as strings, tags as {tag, value}. */
export function cborValueToJson(value: CborValue): CborJson {
  if (value instanceof Uint8Array) return hex(value);
  if (value instanceof RawCbor) return cborValueToJson(value.decode());
  if (value instanceof Tagged) return { tag: value.tag, value: cborValueToJson(value.value as CborValue) };
  if (Array.isArray(value)) return value.map(cborValueToJson);
  if (value instanceof Map) {
    const out: Record<string, CborJson> = {};
    for (const [key, item] of value) out[String(cborValueToJson(key))] = cborValueToJson(item);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return value ?? null;
}

const RV_VARIABLE_NAMES = new Map<number, string>(Object.entries(RvVariable).map(([name, n]) => [n, name]));
const RV_PROTOCOL_NAMES = new Map<number, string>(Object.entries(RvProtocol).map(([name, n]) => [n, name]));

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const mapped =
    bytes.length === 16 &&
    bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  if (mapped) return bytes.subarray(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

function summarizeInstruction(instruction: CborValue): RendezvousInstructionSummary {
  if (!Array.isArray(instruction) || typeof instruction[0] !== 'number')
    return { variable: '?', value: cborValueToJson(instruction) };
  const [variable, encoded] = instruction;
  const name = RV_VARIABLE_NAMES.get(variable) ?? String(variable);
  if (!(encoded instanceof Uint8Array)) return { variable: name };
  let value: CborValue;
  try {
    value = decode(encoded);
  } catch {
    return { variable: name, value: { undecoded: hex(encoded) } };
  }
  if (variable === RvVariable.IPAddress && value instanceof Uint8Array)
    return { variable: name, value: formatIp(value) };
  if (variable === RvVariable.Protocol && typeof value === 'number')
    return { variable: name, value: RV_PROTOCOL_NAMES.get(value) ?? value };
  return { variable: name, value: cborValueToJson(value) };
}

/** RendezvousInfo decoded as far as it goes: directives of named instructions with decoded values. */
export function summarizeRendezvousInfo(rendezvousInfo: RawCbor): VoucherSummary['rendezvousInfo'] {
  const value = rendezvousInfo.decode();
  if (!Array.isArray(value) || !value.every(Array.isArray)) return { undecoded: hex(rendezvousInfo.bytes) };
  return value.map((directive) => (directive as CborValue[]).map(summarizeInstruction));
}

function algorithmLabel(alg: CborValue | undefined): string {
  return typeof alg === 'number' ? sigAlgName(alg) : String(alg);
}

/** A JSON-friendly description of a parsed voucher (it does not verify anything). */
export function summarizeVoucher(voucher: OwnershipVoucher): VoucherSummary {
  const { header } = voucher;
  const certificates = voucherDeviceCertificates(voucher);
  return {
    protocolVersion: voucher.protocolVersion,
    guid: guidToHex(header.guid),
    deviceInfo: header.deviceInfo,
    rendezvousInfo: summarizeRendezvousInfo(header.rendezvousInfo),
    manufacturerKey: summarizePublicKey(header.manufacturerKey),
    headerHmac: summarizeDigest(voucher.headerHmac),
    certChainHash: header.certChainHash ? summarizeDigest(header.certChainHash) : null,
    deviceCertChain: certificates ? certificates.map(summarizeCertificate) : null,
    entries: voucher.entries.map((entry, index) => ({
      index,
      signatureAlg: algorithmLabel(entry.sign1.protectedHeader.get(CoseHeader.Alg)),
      prevHash: summarizeDigest(entry.prevHash),
      hdrInfoHash: summarizeDigest(entry.hdrInfoHash),
      extra: entry.extra ? Object.fromEntries([...entry.extra].map(([k, v]) => [String(k), hex(v)])) : null,
      publicKey: summarizePublicKey(entry.publicKey),
    })),
    ownerKey: summarizePublicKey(voucherOwnerKey(voucher)),
  };
}
