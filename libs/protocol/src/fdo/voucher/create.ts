import { encode, type CborValue } from '../../cbor';
import { fdoDigestToCbor, type FdoDigest } from '../../crypto/fdo-hash';
import { FDO_PROTOCOL_VERSION } from '../constants';
import { type Guid } from '../guid';
import { type FdoPublicKey } from '../public-key';
import { encodeOvHeader, type OvHeader } from './header';
import { verifyCertChainHash } from './verify';
import { parseVoucher, type OwnershipVoucher } from './voucher';

export interface CreateVoucherInput {
  header: OvHeader;
  /** OVHeaderHMac the device returned (DI.SetHMAC) or computed over header.bytes. */
  headerHmac: FdoDigest;
  /** Device certificate chain as DER, leaf first; null for EPID. Must match header.certChainHash. */
  deviceCertChain: readonly Uint8Array[] | null;
}

/** Assembles a voucher with no entries (the manufacturer's voucher after DI). */
export function createVoucher(input: CreateVoucherInput): OwnershipVoucher {
  const bytes = encode([
    FDO_PROTOCOL_VERSION,
    input.header.bytes,
    fdoDigestToCbor(input.headerHmac),
    input.deviceCertChain ? [...input.deviceCertChain] : null,
    [],
  ]);
  const voucher = parseVoucher(bytes);
  verifyCertChainHash(voucher);
  return voucher;
}

export interface ReplacementVoucherInput {
  /** The new GUID the owner sent in TO2.SetupDevice. */
  guid: Guid;
  /** The new RendezvousInfo from TO2.SetupDevice (a RawCbor is kept verbatim). */
  rendezvousInfo: CborValue;
  /** Owner2Key from TO2.SetupDevice: the replacement voucher's manufacturer key. */
  owner2Key: FdoPublicKey;
  /** The replacement HMAC the device returned in TO2.DeviceServiceInfoReady. */
  headerHmac: FdoDigest;
}

/**
 * The replacement voucher an owner holds after a TO2 that changed the credentials (not on reuse):
 * a new header with the new GUID, RendezvousInfo and Owner2Key, the same DeviceInfo and device
 * chain hash, the new HMAC and no entries. The owner can later extend it to resell the device.
 */
export function buildReplacementVoucher(
  voucher: OwnershipVoucher,
  input: ReplacementVoucherInput,
): OwnershipVoucher {
  const header = encodeOvHeader({
    guid: input.guid,
    rendezvousInfo: input.rendezvousInfo,
    deviceInfo: voucher.header.deviceInfo,
    manufacturerKey: input.owner2Key,
    certChainHash: voucher.header.certChainHash,
  });
  return createVoucher({ header, headerHmac: input.headerHmac, deviceCertChain: voucher.deviceCertChain });
}
