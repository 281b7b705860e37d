import { createPrivateKey, type KeyObject } from 'node:crypto';
import {
  asArray,
  asBool,
  asBytes,
  asInt,
  asText,
  CborError,
  decode,
  decodeFdoHash,
  decodeRendezvousInfo,
  guidFromCbor,
  guidToHex,
  KexSuite,
  splitArray,
} from '@ztp/protocol';
import { DeviceCredentialError, type DeviceCredential } from './device-credential';

/**
 * Reads the credential blob go-fdo's example client keeps (`cred.bin`, blob.DefaultCredential):
 * `[Active, ProtVer, DeviceInfo, GUID, RvInfo, PublicKeyHash, HmacSecret, PKCS#8 PrivateKey]`.
 * The blob has no serial number, chain hash or TO2 preferences: the serial is left empty and the
 * suites default from the key (ECDH384/A256GCM for P-384, ECDH256/A128GCM otherwise).
 */
export function deviceCredentialFromGoFdoBlob(bytes: Uint8Array): DeviceCredential {
  try {
    const parts = splitArray(bytes);
    if (parts.length !== 8) throw new CborError('unexpected-type', `expected 8 items, got ${parts.length}`);
    const [active, version, deviceInfo, guid, , keyHash, secret, privateKey] = asArray(
      decode(bytes),
      'blob',
      8,
    );
    const rendezvousInfo = parts[4]!;
    decodeRendezvousInfo(rendezvousInfo);
    const key = pkcs8(asBytes(privateKey, 'PrivateKey'));
    const p384 = key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
    return {
      active: asBool(active, 'Active'),
      protocolVersion: asInt(version, 'ProtVer'),
      guid: guidToHex(guidFromCbor(guid, 'GUID')),
      deviceInfo: asText(deviceInfo, 'DeviceInfo'),
      serialNumber: '',
      rendezvousInfo,
      manufacturerKeyHash: decodeFdoHash(keyHash, 'PublicKeyHash'),
      hmacSecret: asBytes(secret, 'HmacSecret'),
      privateKey: key,
      deviceCertChainHash: null,
      kexSuite: p384 ? KexSuite.ECDH384 : KexSuite.ECDH256,
      cipherSuite: p384 ? 'A256GCM' : 'A128GCM',
    };
  } catch (err) {
    if (err instanceof DeviceCredentialError) throw err;
    throw new DeviceCredentialError(`not a go-fdo device credential blob: ${(err as Error).message}`);
  }
}

function pkcs8(der: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch {
    throw new DeviceCredentialError('the blob private key is not PKCS#8');
  }
}
