import { createPrivateKey, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  CipherSuite,
  decodeRendezvousInfo,
  type FdoDigest,
  FDO_PROTOCOL_VERSION,
  HashAlg,
  KexSuite,
  type RendezvousInfo,
} from '@ztp/protocol';

export type CipherSuiteName = keyof typeof CipherSuite;

/**
 * What a device keeps after DI (and replaces after a TO2 with new credentials): FDO's
 * DeviceCredential plus what the simulator needs to run TO1/TO2 again. The private key and the HMAC
 * secret would live in a secure element on a real device.
 */
export interface DeviceCredential {
  /** False once the credential may no longer be used (FDO DCActive). */
  readonly active: boolean;
  readonly protocolVersion: number;
  /** 32 lowercase hex digits. */
  readonly guid: string;
  readonly deviceInfo: string;
  /** The serial number sent in DI (empty when unknown, e.g. read from a go-fdo blob). */
  readonly serialNumber: string;
  /** RendezvousInfo exactly as in the OVHeader (CBOR). */
  readonly rendezvousInfo: Uint8Array;
  /** Hash of the manufacturer (after TO2: Owner2) public key CBOR, checked in TO2.ProveOVHdr. */
  readonly manufacturerKeyHash: FdoDigest;
  /** The device's HMAC secret (OVHeader HMAC). */
  readonly hmacSecret: Uint8Array;
  /** The device attestation key (PKCS#8 inside). */
  readonly privateKey: KeyObject;
  /** The OVHeader's hash of the device certificate chain (the chain itself never reaches the device in DI). */
  readonly deviceCertChainHash: FdoDigest | null;
  /** Key exchange suite to offer in TO2.HelloDevice. */
  readonly kexSuite: KexSuite;
  /** Tunnel cipher to offer in TO2.HelloDevice. */
  readonly cipherSuite: CipherSuiteName;
}

/** A credential file or blob that cannot be used. */
export class DeviceCredentialError extends Error {
  override readonly name = 'DeviceCredentialError';
}

const FORMAT = 'ztp-device-credential/1';

interface CredentialJson {
  format: typeof FORMAT;
  active: boolean;
  protocolVersion: number;
  guid: string;
  deviceInfo: string;
  serialNumber: string;
  rendezvousInfo: string;
  manufacturerKeyHash: { alg: number; value: string };
  hmacSecret: string;
  privateKey: string;
  deviceCertChainHash: { alg: number; value: string } | null;
  kexSuite: string;
  cipherSuite: string;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const digestJson = (digest: FdoDigest) => ({ alg: digest.alg, value: hex(digest.value) });

/** The credential as a JSON document (binary fields in hex, the key as PKCS#8 PEM). */
export function deviceCredentialToJson(credential: DeviceCredential): string {
  const json: CredentialJson = {
    format: FORMAT,
    active: credential.active,
    protocolVersion: credential.protocolVersion,
    guid: credential.guid,
    deviceInfo: credential.deviceInfo,
    serialNumber: credential.serialNumber,
    rendezvousInfo: hex(credential.rendezvousInfo),
    manufacturerKeyHash: digestJson(credential.manufacturerKeyHash),
    hmacSecret: hex(credential.hmacSecret),
    privateKey: credential.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    deviceCertChainHash: credential.deviceCertChainHash ? digestJson(credential.deviceCertChainHash) : null,
    kexSuite: credential.kexSuite,
    cipherSuite: credential.cipherSuite,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Reads a credential written by deviceCredentialToJson; DeviceCredentialError names what is wrong. */
export function deviceCredentialFromJson(text: string): DeviceCredential {
  let json: Partial<CredentialJson>;
  try {
    json = JSON.parse(text) as Partial<CredentialJson>;
  } catch {
    throw new DeviceCredentialError('the device credential is not JSON');
  }
  if (json === null || typeof json !== 'object' || json.format !== FORMAT)
    throw new DeviceCredentialError(`the device credential must have "format": "${FORMAT}"`);
  const credential: DeviceCredential = {
    active: field(json.active, 'active', (v) => typeof v === 'boolean'),
    protocolVersion: field(json.protocolVersion, 'protocolVersion', (v) => v === FDO_PROTOCOL_VERSION),
    guid: field(json.guid, 'guid', (v) => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v)),
    deviceInfo: field(json.deviceInfo, 'deviceInfo', (v) => typeof v === 'string'),
    serialNumber: field(json.serialNumber, 'serialNumber', (v) => typeof v === 'string'),
    rendezvousInfo: hexField(json.rendezvousInfo, 'rendezvousInfo'),
    manufacturerKeyHash: digestField(json.manufacturerKeyHash, 'manufacturerKeyHash'),
    hmacSecret: hexField(json.hmacSecret, 'hmacSecret'),
    privateKey: privateKeyField(json.privateKey),
    deviceCertChainHash:
      json.deviceCertChainHash === null ? null : digestField(json.deviceCertChainHash, 'deviceCertChainHash'),
    kexSuite: field(json.kexSuite, 'kexSuite', isKexSuite),
    cipherSuite: field(json.cipherSuite, 'cipherSuite', isCipherSuiteName),
  };
  try {
    decodeRendezvousInfo(credential.rendezvousInfo);
  } catch (err) {
    throw new DeviceCredentialError(`rendezvousInfo: ${(err as Error).message}`);
  }
  if (credential.hmacSecret.length < 16) throw new DeviceCredentialError('hmacSecret is too short');
  return credential;
}

/** The credential's RendezvousInfo, decoded. */
export function credentialRendezvousInfo(credential: DeviceCredential): RendezvousInfo {
  return decodeRendezvousInfo(credential.rendezvousInfo);
}

export function readDeviceCredentialFile(path: string): DeviceCredential {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DeviceCredentialError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return deviceCredentialFromJson(text);
}

/** Writes the credential (mode 0600: it holds the private key) by replacing the file atomically. */
export function writeDeviceCredentialFile(path: string, credential: DeviceCredential): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, deviceCredentialToJson(credential), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (err) {
    throw new DeviceCredentialError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

export function isKexSuite(value: unknown): value is KexSuite {
  return typeof value === 'string' && (Object.values(KexSuite) as string[]).includes(value);
}

export function isCipherSuiteName(value: unknown): value is CipherSuiteName {
  return typeof value === 'string' && Object.hasOwn(CipherSuite, value);
}

/** go-fdo's names for the CBC/CTR suites (its -cipher flag), as aliases of ours. */
const CIPHER_SUITE_ALIASES: Readonly<Record<string, CipherSuiteName>> = {
  COSEAES128CBC: 'AES128_CBC_HMAC256',
  COSEAES128CTR: 'AES128_CTR_HMAC256',
  COSEAES256CBC: 'AES256_CBC_HMAC384',
  COSEAES256CTR: 'AES256_CTR_HMAC384',
};

/** Our name for a cipher suite given by ours or go-fdo's name; undefined when it is neither. */
export function cipherSuiteNamed(value: string): CipherSuiteName | undefined {
  if (isCipherSuiteName(value)) return value;
  return Object.hasOwn(CIPHER_SUITE_ALIASES, value) ? CIPHER_SUITE_ALIASES[value] : undefined;
}

function field<T>(value: unknown, name: string, valid: (value: unknown) => boolean): T {
  if (!valid(value)) throw new DeviceCredentialError(`the device credential has no valid "${name}"`);
  return value as T;
}

function hexField(value: unknown, name: string): Uint8Array {
  const text = field<string>(value, name, (v) => typeof v === 'string' && /^(?:[0-9a-f]{2})*$/.test(v));
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function digestField(value: unknown, name: string): FdoDigest {
  const digest = field<{ alg: unknown; value: unknown }>(
    value,
    name,
    (v) => v !== null && typeof v === 'object',
  );
  const alg = field<number>(digest.alg, `${name}.alg`, (v) =>
    [HashAlg.SHA256, HashAlg.SHA384, HashAlg.HMAC_SHA256, HashAlg.HMAC_SHA384].includes(v as never),
  );
  return { alg, value: hexField(digest.value, `${name}.value`) };
}

function privateKeyField(value: unknown): KeyObject {
  const pem = field<string>(value, 'privateKey', (v) => typeof v === 'string');
  try {
    return createPrivateKey(pem);
  } catch {
    throw new DeviceCredentialError('privateKey is not a readable PEM private key');
  }
}
