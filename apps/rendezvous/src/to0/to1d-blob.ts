import { isIP } from 'node:net';
import { FdoProtocolError } from '@ztp/platform';
import {
  asArray,
  CborError,
  decode,
  decodeFdoHash,
  decodeSign1,
  decodeTo1dPayload,
  ErrorCode,
  ipBytesToText,
  type EncodedCoseSign1,
  type FdoDigest,
  type RvTo2Addr,
} from '@ztp/protocol';

/** Most owner addresses one registration may carry. */
export const MAX_TO2_ADDRESSES = 16;

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** to1d as TO0.OwnerSign carries it: the owner's COSE_Sign1 and its payload, decoded. */
export interface To1dBlob {
  sign1: EncodedCoseSign1;
  to2Addresses: RvTo2Addr[];
  to0dHash: FdoDigest;
}

/**
 * Reads to1d (the "rendezvous blob"). A byte string in an RVTO2Addr's IP slot that is not 4 or 16
 * bytes is InvalidIpAddress (4), the code FDO gives for it; any other structural fault is a CborError
 * (100, message body error).
 */
export function readTo1dBlob(bytes: Uint8Array): To1dBlob {
  const sign1 = decodeSign1(bytes);
  if (sign1.payload === null) throw new CborError('unexpected-type', 'to1d: payload missing');
  const [addresses] = asArray(decode(sign1.payload), 'to1d', 2);
  asArray(addresses, 'to1d.rvTo2Addrs').forEach((entry, i) => {
    const ip = Array.isArray(entry) ? entry[0] : undefined;
    if (ip instanceof Uint8Array && ip.length !== 4 && ip.length !== 16)
      throw new FdoProtocolError(
        ErrorCode.InvalidIpAddress,
        `to1d.rvTo2Addrs[${i}]: an IP address is 4 or 16 bytes, not ${ip.length}`,
      );
  });
  const payload = decodeTo1dPayload(sign1.payload);
  return {
    sign1,
    to2Addresses: payload.rvTo2Addrs,
    to0dHash: decodeFdoHash(decode(payload.to0dHash.bytes), 'to1d.to0dHash'),
  };
}

/**
 * Refuses owner addresses no device could use: none at all, too many, port 0, a DNS name that is
 * not a host name (InvalidMessageError, 101), an unspecified, broadcast or multicast IP address
 * (InvalidIpAddress, 4).
 */
export function checkTo2Addresses(addresses: readonly RvTo2Addr[]): void {
  if (addresses.length === 0) throw FdoProtocolError.invalid('to1d names no owner address (RVTO2Addr)');
  if (addresses.length > MAX_TO2_ADDRESSES)
    throw FdoProtocolError.invalid(
      `to1d names ${addresses.length} owner addresses; at most ${MAX_TO2_ADDRESSES}`,
    );
  addresses.forEach((address, i) => {
    const what = `to1d.rvTo2Addrs[${i}]`;
    if (address.port === 0) throw FdoProtocolError.invalid(`${what}: port 0`);
    if (address.dns !== null && !(HOSTNAME.test(address.dns) || isIP(address.dns) !== 0))
      throw FdoProtocolError.invalid(`${what}: "${address.dns.slice(0, 64)}" is not a host name`);
    if (address.ip !== null && !usableUnicast(ipBytesToText(address.ip)))
      throw new FdoProtocolError(
        ErrorCode.InvalidIpAddress,
        `${what}: ${ipBytesToText(address.ip)} is not a unicast address`,
      );
  });
}

function usableUnicast(ip: string): boolean {
  if (isIP(ip) === 4) {
    const first = Number(ip.split('.')[0]);
    return ip !== '0.0.0.0' && ip !== '255.255.255.255' && !(first >= 224 && first <= 239);
  }
  return ip !== '::' && !ip.toLowerCase().startsWith('ff');
}
