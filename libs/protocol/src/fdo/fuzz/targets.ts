import { CborError, decode, decodePrefix, splitArray } from '../../cbor';
import { decodeMac0 } from '../../cose/mac0';
import { decodeEncrypt0, Encrypt0Error } from '../../cose/encrypt0';
import { Mac0Error } from '../../cose/mac0';
import { decodeSign1 } from '../../cose/sign1';
import { CryptoError } from '../../crypto/errors';
import { decodeDeviceMfgInfo } from '../device-mfg-info';
import { decodeEatPayload } from '../eat';
import { decodeSignedEat } from '../eat-sign1';
import { guidFromCbor, GuidError } from '../guid';
import {
  decodeMessage,
  decodeTo0d,
  decodeTo1dPayload,
  decodeTo2ProveOvHdrPayload,
  decodeTo2SetupDevicePayload,
  FDO_MESSAGE_TYPES,
  fdoMessageName,
  FdoMessageError,
} from '../messages';
import { decodePublicKey } from '../public-key';
import { decodeRendezvousInfo } from '../rendezvous-info';
import { resolveRendezvousInfo } from '../rendezvous-info-view';
import { decodeRvTo2Addrs } from '../rvto2addr';
import { sigInfoFromCbor } from '../sig-info';
import {
  cborItemExtent,
  DevmodCollector,
  ServiceInfoReassembler,
  serviceInfoFromCbor,
} from '../service-info';
import { decodeOvEntry, decodeOvHeader, parseVoucher, VoucherError } from '../voucher';

/**
 * Everything in libs/protocol that reads untrusted bytes, for the fuzz test. To cover a new decoder,
 * add it here (and its error class to TYPED_ERRORS if it has its own); the test feeds every target
 * the same generated inputs and fails on any exception that is not one of TYPED_ERRORS.
 */
export interface FuzzTarget {
  name: string;
  decode(bytes: Uint8Array): unknown;
}

/** The error classes a decoder may throw for bad input. Anything else is a bug. */
export const TYPED_ERRORS: readonly (abstract new (...args: never[]) => Error)[] = [
  CborError,
  FdoMessageError,
  CryptoError,
  VoucherError,
  GuidError,
  Encrypt0Error,
  Mac0Error,
];

/** ServiceInfo as a receiver handles it: reassembled into messages, devmod collected. */
function receiveServiceInfo(bytes: Uint8Array): unknown {
  const reassembler = new ServiceInfoReassembler();
  const devmod = new DevmodCollector();
  for (const message of reassembler.push(serviceInfoFromCbor(decode(bytes))))
    if (message.module === 'devmod') devmod.add(message.message, message.body);
  reassembler.finish();
  return devmod.complete ? devmod.result() : devmod.missing();
}

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  { name: 'cbor decode', decode: (b) => decode(b) },
  { name: 'cbor decodePrefix', decode: (b) => decodePrefix(b) },
  { name: 'cbor splitArray', decode: (b) => splitArray(b) },
  ...FDO_MESSAGE_TYPES.map((type) => ({
    name: `message ${type} ${fdoMessageName(type)}`,
    decode: (b: Uint8Array) => decodeMessage(type, b),
  })),
  { name: 'to0d', decode: decodeTo0d },
  { name: 'to1d payload', decode: decodeTo1dPayload },
  { name: 'TO2.ProveOVHdr payload', decode: decodeTo2ProveOvHdrPayload },
  { name: 'TO2.SetupDevice payload', decode: decodeTo2SetupDevicePayload },
  {
    name: 'RendezvousInfo (wire and both views)',
    decode: (b) => {
      const info = decodeRendezvousInfo(b);
      return [resolveRendezvousInfo(info, 'device'), resolveRendezvousInfo(info, 'owner')];
    },
  },
  { name: 'RVTO2Addr[]', decode: decodeRvTo2Addrs },
  { name: 'EAT payload', decode: decodeEatPayload },
  { name: 'signed EAT', decode: (b) => decodeSignedEat(b) },
  { name: 'DeviceMfgInfo', decode: decodeDeviceMfgInfo },
  { name: 'SigInfo', decode: (b) => sigInfoFromCbor(decode(b)) },
  { name: 'ServiceInfo receive (reassembly, devmod)', decode: receiveServiceInfo },
  { name: 'CBOR item extent', decode: (b) => cborItemExtent(b) },
  { name: 'GUID', decode: (b) => guidFromCbor(decode(b)) },
  { name: 'COSE_Sign1', decode: (b) => decodeSign1(b) },
  { name: 'COSE_Encrypt0', decode: (b) => decodeEncrypt0(decode(b)) },
  { name: 'COSE_Mac0', decode: (b) => decodeMac0(decode(b)) },
  { name: 'PublicKey', decode: decodePublicKey },
  { name: 'OVHeader', decode: decodeOvHeader },
  { name: 'OVEntry', decode: decodeOvEntry },
  { name: 'ownership voucher', decode: (b) => parseVoucher(b) },
];
