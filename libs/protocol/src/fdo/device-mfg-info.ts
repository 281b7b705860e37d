import { asArray, asBytes, asMap, asText, CborError, decode, encode, type CborValue } from '../cbor';
import { readUintMax } from './messages/fields';

/**
 * DeviceMfgInfo, the body of DI.AppStart. The spec leaves it to the manufacturer; every public
 * device sends the same array (go-fdo custom/di.go, the C client SDK, PRI's ManufacturingInfo):
 *
 *   [pkType, pkEnc, serialNumber tstr, deviceInfo tstr, CertInfo, ? OnDie cert chain bstr,
 *    ? test signature bstr, ? test-signature MAROE prefix bstr]
 *
 * go-fdo and PRI send exactly the first five, CertInfo being the DER CSR the manufacturer signs into
 * the device certificate. The C SDK may append the three Intel OnDie items; PRI also accepts a map
 * as CertInfo. All of that is accepted; the optional items are re-emitted in place.
 */
export interface DeviceMfgInfo {
  /** PkType of the device key (e.g. 11 = SECP384R1). */
  keyType: number;
  /** PkEnc the device asks for (e.g. 1 = X509). */
  keyEncoding: number;
  serialNumber: string;
  deviceInfo: string;
  /** The DER PKCS#10 CSR (byte string), or PRI's alternative map form. */
  certInfo: Uint8Array | Map<CborValue, CborValue>;
  onDieCertChain?: Uint8Array;
  testSignature?: Uint8Array;
  testSigMaroePrefix?: Uint8Array;
}

const OPTIONAL_FIELDS = ['onDieCertChain', 'testSignature', 'testSigMaroePrefix'] as const;

export function deviceMfgInfoFromCbor(value: CborValue, what = 'DeviceMfgInfo'): DeviceMfgInfo {
  const items = asArray(value, what, [5, 8]);
  const [keyType, keyEncoding, serialNumber, deviceInfo, certInfo] = items;
  const info: DeviceMfgInfo = {
    keyType: readUintMax(keyType, 0xff, `${what}.keyType`),
    keyEncoding: readUintMax(keyEncoding, 0xff, `${what}.keyEncoding`),
    serialNumber: asText(serialNumber, `${what}.serialNumber`),
    deviceInfo: asText(deviceInfo, `${what}.deviceInfo`),
    certInfo:
      certInfo instanceof Map ? asMap(certInfo, `${what}.certInfo`) : asBytes(certInfo, `${what}.certInfo`),
  };
  OPTIONAL_FIELDS.forEach((field, i) => {
    const item = items[5 + i];
    if (item !== undefined) info[field] = asBytes(item, `${what}.${field}`);
  });
  return info;
}

export function deviceMfgInfoToCbor(info: DeviceMfgInfo): CborValue {
  const items: CborValue[] = [
    readUintMax(info.keyType, 0xff, 'DeviceMfgInfo.keyType'),
    readUintMax(info.keyEncoding, 0xff, 'DeviceMfgInfo.keyEncoding'),
    info.serialNumber,
    info.deviceInfo,
    info.certInfo,
  ];
  const present = OPTIONAL_FIELDS.map((field) => info[field]);
  const last = present.findLastIndex((item) => item !== undefined);
  for (let i = 0; i <= last; i++) {
    const item = present[i];
    if (item === undefined)
      throw new CborError(
        'unexpected-type',
        `DeviceMfgInfo.${OPTIONAL_FIELDS[i]}: needed before later items`,
      );
    items.push(item);
  }
  return items;
}

/** Decodes the bytes DI.AppStart wraps in a byte string. */
export function decodeDeviceMfgInfo(bytes: Uint8Array): DeviceMfgInfo {
  return deviceMfgInfoFromCbor(decode(bytes));
}

export function encodeDeviceMfgInfo(info: DeviceMfgInfo): Uint8Array {
  return encode(deviceMfgInfoToCbor(info));
}
