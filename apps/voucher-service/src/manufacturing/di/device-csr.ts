import { type KeyObject } from 'node:crypto';
import { FdoProtocolError } from '@ztp/platform';
import { parseCsr, type ParsedCsr, PkiError } from '@ztp/pki';
import { type DeviceMfgInfo, keyFitsPkType, PkType, pkTypeName } from '@ztp/protocol';

const DEVICE_KEY_TYPES: ReadonlySet<number> = new Set(Object.values(PkType));

/**
 * The device's certificate request from DeviceMfgInfo, checked: a DER PKCS#10 CSR (anything else is
 * a malformed body, 100), signed by its own key (101 otherwise), for a key this service supports
 * (P-256, P-384, RSA 2048/3072; 101 otherwise) and of the type DeviceMfgInfo claims (101).
 */
export async function checkedDeviceCsr(info: DeviceMfgInfo): Promise<ParsedCsr> {
  if (!(info.certInfo instanceof Uint8Array))
    throw FdoProtocolError.malformed('DeviceMfgInfo must carry the device CSR (DER) as CertInfo');
  if (!DEVICE_KEY_TYPES.has(info.keyType))
    throw FdoProtocolError.invalid(`unsupported device key type ${info.keyType}`);
  let csr: ParsedCsr;
  try {
    csr = await parseCsr(info.certInfo);
  } catch (err) {
    if (!(err instanceof PkiError)) throw err;
    if (err.code === 'bad-csr-signature')
      throw FdoProtocolError.invalid('the device CSR is not signed by its own key', err);
    if (err.code === 'unsupported-key-type')
      throw FdoProtocolError.invalid('unsupported device key type (P-256, P-384, RSA 2048/3072 only)', err);
    throw FdoProtocolError.malformed('CertInfo is not a DER PKCS#10 certificate request', err);
  }
  if (!keyFitsPkType(info.keyType, csr.publicKey))
    throw FdoProtocolError.invalid(
      `DeviceMfgInfo says ${pkTypeName(info.keyType)} but the CSR holds a ${describe(csr.publicKey)} key`,
    );
  return csr;
}

function describe(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  return key.asymmetricKeyType === 'ec' ? `EC ${details?.namedCurve}` : `RSA-${details?.modulusLength}`;
}
