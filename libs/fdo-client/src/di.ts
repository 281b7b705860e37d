import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { createCsr, type KeySpec } from '@ztp/pki';
import {
  computeFdoHmac,
  createSoftwareSigner,
  cryptoRandom,
  decodeDiSetCredentials,
  decodeOvHeader,
  encode,
  encodeDeviceMfgInfo,
  encodeDiAppStart,
  encodeDiSetHmac,
  FDO_PROTOCOL_VERSION,
  fdoDigestToCbor,
  guidToHex,
  HashAlg,
  KexSuite,
  MessageType,
  PkEnc,
  pkTypeForKey,
  publicKeyHash,
  type RandomSource,
  RawCbor,
} from '@ztp/protocol';
import { type CipherSuiteName, type DeviceCredential } from './device-credential';
import { diHashAlgFor, diHmacAlgFor } from './di-hash-alg';
import { FdoTransportError, type FdoHttpSession } from './http-transport';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface DeviceInitializeOptions {
  /** A fresh session against the manufacturer's DI endpoint (carry a station key in its headers). */
  session: FdoHttpSession;
  serialNumber: string;
  deviceInfo: string;
  /** The device key; generated here (never sent anywhere) when not given. Default spec P-256. */
  privateKey?: KeyObject;
  keySpec?: KeySpec;
  /**
   * For RSA keys: the pkType to claim. Default: RSA2048RESTR for a 2048-bit key, RSAPKCS otherwise,
   * as go-fdo's devices do (go-fdo's server reads RSAPKCS as a 3072-bit key and refuses a 2048-bit
   * device that claims it).
   */
  rsaPkType?: 'RSAPKCS' | 'RSA2048RESTR' | 'RSAPSS';
  /** Manufacturer key encoding the device asks for. Default X509. */
  manufacturerKeyEncoding?: typeof PkEnc.X509 | typeof PkEnc.X5CHAIN | typeof PkEnc.COSEKEY;
  /** TO2 preferences stored in the credential; default from the key type. */
  kexSuite?: KexSuite;
  cipherSuite?: CipherSuiteName;
  random?: RandomSource;
}

/** The pkType an RSA device claims unless told otherwise: RSA2048RESTR for 2048 bits, else RSAPKCS. */
export function defaultRsaPkType(key: KeyObject): 'RSAPKCS' | 'RSA2048RESTR' {
  return key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === 2048
    ? 'RSA2048RESTR'
    : 'RSAPKCS';
}

/**
 * The device side of FDO DI: generates (or takes) the device key, sends DeviceMfgInfo with a CSR
 * signed by that key (the key itself never leaves), receives the OVHeader, answers with the HMAC
 * over its exact bytes under a new device secret, and returns the device credential. The hash
 * algorithm follows go-fdo (SHA-384 only when device and manufacturer keys are both 384-bit class).
 */
export async function runDeviceInitialize(options: DeviceInitializeOptions): Promise<DeviceCredential> {
  const random = options.random ?? cryptoRandom;
  const keySpec = options.keySpec ?? 'P-256';
  const privateKey = options.privateKey ?? (await generateDeviceKey(keySpec));
  const signer = createSoftwareSigner(privateKey, { pss: options.rsaPkType === 'RSAPSS' });
  const csr = await createCsr({ signer, subject: { commonName: options.serialNumber } });
  const mfgInfo = encodeDeviceMfgInfo({
    keyType: pkTypeForKey(privateKey, { rsa: options.rsaPkType ?? defaultRsaPkType(privateKey) }),
    keyEncoding: options.manufacturerKeyEncoding ?? PkEnc.X509,
    serialNumber: options.serialNumber,
    deviceInfo: options.deviceInfo,
    certInfo: csr,
  });

  const credentials = await options.session.send(
    MessageType.DIAppStart,
    encodeDiAppStart({ deviceMfgInfo: mfgInfo }),
    MessageType.DISetCredentials,
  );
  const { ovHeader } = decodeDiSetCredentials(credentials.body);
  const header = decodeOvHeader(ovHeader.bytes);
  if (header.protocolVersion !== FDO_PROTOCOL_VERSION)
    throw new FdoTransportError(`DI.SetCredentials: OVHeader protocol version ${header.protocolVersion}`);

  const hashAlg = diHashAlgFor(privateKey, header.manufacturerKey.key);
  const hmacSecret = random(hashAlg === HashAlg.SHA384 ? 48 : 32);
  const hmac = computeFdoHmac(diHmacAlgFor(hashAlg), hmacSecret, header.bytes);
  await options.session.send(
    MessageType.DISetHMAC,
    encodeDiSetHmac({ hmac: new RawCbor(encode(fdoDigestToCbor(hmac))) }),
    MessageType.DIDone,
  );

  const strongDevice = deviceKeyIs384Class(privateKey);
  return {
    active: true,
    protocolVersion: header.protocolVersion,
    guid: guidToHex(header.guid),
    deviceInfo: header.deviceInfo,
    serialNumber: options.serialNumber,
    rendezvousInfo: header.rendezvousInfo.bytes,
    manufacturerKeyHash: publicKeyHash(header.manufacturerKey, hashAlg),
    hmacSecret,
    privateKey,
    deviceCertChainHash: header.certChainHash,
    kexSuite: options.kexSuite ?? (strongDevice ? KexSuite.ECDH384 : KexSuite.ECDH256),
    cipherSuite: options.cipherSuite ?? (strongDevice ? 'A256GCM' : 'A128GCM'),
  };
}

/** A new device key of the given spec (P-256, P-384, RSA-2048, RSA-3072). */
export async function generateDeviceKey(spec: KeySpec): Promise<KeyObject> {
  switch (spec) {
    case 'P-256':
    case 'P-384':
      return (await generateKeyPairAsync('ec', { namedCurve: spec })).privateKey;
    case 'RSA-2048':
    case 'RSA-3072':
      return (await generateKeyPairAsync('rsa', { modulusLength: spec === 'RSA-2048' ? 2048 : 3072 }))
        .privateKey;
  }
}

/** P-384 or RSA >= 3072: such devices default to ECDH384 and A256GCM for TO2. */
function deviceKeyIs384Class(key: KeyObject): boolean {
  return diHashAlgFor(key, key) === HashAlg.SHA384;
}
