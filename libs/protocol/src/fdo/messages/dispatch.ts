import { ErrorCode, MessageType } from '../constants';
import {
  decodeDiAppStart,
  decodeDiDone,
  decodeDiSetCredentials,
  decodeDiSetHmac,
  encodeDiAppStart,
  encodeDiDone,
  encodeDiSetCredentials,
  encodeDiSetHmac,
  type DiAppStart,
  type DiDone,
  type DiSetCredentials,
  type DiSetHmac,
} from './di';
import { decodeErrorMessage, encodeErrorMessage, type ErrorMessage } from './error-message';
import { FdoMessageError } from './errors';
import {
  decodeTo0AcceptOwner,
  decodeTo0Hello,
  decodeTo0HelloAck,
  decodeTo0OwnerSign,
  encodeTo0AcceptOwner,
  encodeTo0Hello,
  encodeTo0HelloAck,
  encodeTo0OwnerSign,
  type To0AcceptOwner,
  type To0Hello,
  type To0HelloAck,
  type To0OwnerSign,
} from './to0';
import {
  decodeTo1HelloRv,
  decodeTo1HelloRvAck,
  decodeTo1ProveToRv,
  decodeTo1RvRedirect,
  encodeSign1Message,
  encodeTo1HelloRv,
  encodeTo1HelloRvAck,
  type To1HelloRv,
  type To1HelloRvAck,
  type To1ProveToRv,
  type To1RvRedirect,
} from './to1';
import {
  decodeTo2GetOvNextEntry,
  decodeTo2HelloDevice,
  decodeTo2OvNextEntry,
  decodeTo2ProveDevice,
  decodeTo2ProveOvHdr,
  encodeTo2GetOvNextEntry,
  encodeTo2HelloDevice,
  encodeTo2OvNextEntry,
  type To2GetOvNextEntry,
  type To2HelloDevice,
  type To2OvNextEntry,
  type To2ProveDevice,
  type To2ProveOvHdr,
} from './to2-prove';
import {
  decodeTo2Done,
  decodeTo2Done2,
  decodeTo2DeviceServiceInfo,
  decodeTo2OwnerServiceInfo,
  encodeTo2Done,
  encodeTo2Done2,
  encodeTo2DeviceServiceInfo,
  encodeTo2OwnerServiceInfo,
  type To2Done,
  type To2Done2,
  type To2DeviceServiceInfo,
  type To2OwnerServiceInfo,
} from './to2-service-info';
import {
  decodeTo2DeviceServiceInfoReady,
  decodeTo2OwnerServiceInfoReady,
  decodeTo2SetupDevice,
  encodeTo2DeviceServiceInfoReady,
  encodeTo2OwnerServiceInfoReady,
  type To2DeviceServiceInfoReady,
  type To2OwnerServiceInfoReady,
  type To2SetupDevice,
} from './to2-setup';

/** The typed body of every FDO 1.1 message, by message type number. */
export interface FdoMessageMap {
  [MessageType.DIAppStart]: DiAppStart;
  [MessageType.DISetCredentials]: DiSetCredentials;
  [MessageType.DISetHMAC]: DiSetHmac;
  [MessageType.DIDone]: DiDone;
  [MessageType.TO0Hello]: To0Hello;
  [MessageType.TO0HelloAck]: To0HelloAck;
  [MessageType.TO0OwnerSign]: To0OwnerSign;
  [MessageType.TO0AcceptOwner]: To0AcceptOwner;
  [MessageType.TO1HelloRV]: To1HelloRv;
  [MessageType.TO1HelloRVAck]: To1HelloRvAck;
  [MessageType.TO1ProveToRV]: To1ProveToRv;
  [MessageType.TO1RVRedirect]: To1RvRedirect;
  [MessageType.TO2HelloDevice]: To2HelloDevice;
  [MessageType.TO2ProveOVHdr]: To2ProveOvHdr;
  [MessageType.TO2GetOVNextEntry]: To2GetOvNextEntry;
  [MessageType.TO2OVNextEntry]: To2OvNextEntry;
  [MessageType.TO2ProveDevice]: To2ProveDevice;
  [MessageType.TO2SetupDevice]: To2SetupDevice;
  [MessageType.TO2DeviceServiceInfoReady]: To2DeviceServiceInfoReady;
  [MessageType.TO2OwnerServiceInfoReady]: To2OwnerServiceInfoReady;
  [MessageType.TO2DeviceServiceInfo]: To2DeviceServiceInfo;
  [MessageType.TO2OwnerServiceInfo]: To2OwnerServiceInfo;
  [MessageType.TO2Done]: To2Done;
  [MessageType.TO2Done2]: To2Done2;
  [MessageType.Error]: ErrorMessage;
}

interface MessageCodec<T> {
  /** The spec's name, e.g. "TO2.HelloDevice". */
  name: string;
  decode(bytes: Uint8Array): T;
  encode(msg: T): Uint8Array;
}

const CODECS: { [K in MessageType]: MessageCodec<FdoMessageMap[K]> } = {
  [MessageType.DIAppStart]: { name: 'DI.AppStart', decode: decodeDiAppStart, encode: encodeDiAppStart },
  [MessageType.DISetCredentials]: {
    name: 'DI.SetCredentials',
    decode: decodeDiSetCredentials,
    encode: encodeDiSetCredentials,
  },
  [MessageType.DISetHMAC]: { name: 'DI.SetHMAC', decode: decodeDiSetHmac, encode: encodeDiSetHmac },
  [MessageType.DIDone]: { name: 'DI.Done', decode: decodeDiDone, encode: encodeDiDone },
  [MessageType.TO0Hello]: { name: 'TO0.Hello', decode: decodeTo0Hello, encode: encodeTo0Hello },
  [MessageType.TO0HelloAck]: { name: 'TO0.HelloAck', decode: decodeTo0HelloAck, encode: encodeTo0HelloAck },
  [MessageType.TO0OwnerSign]: {
    name: 'TO0.OwnerSign',
    decode: decodeTo0OwnerSign,
    encode: encodeTo0OwnerSign,
  },
  [MessageType.TO0AcceptOwner]: {
    name: 'TO0.AcceptOwner',
    decode: decodeTo0AcceptOwner,
    encode: encodeTo0AcceptOwner,
  },
  [MessageType.TO1HelloRV]: { name: 'TO1.HelloRV', decode: decodeTo1HelloRv, encode: encodeTo1HelloRv },
  [MessageType.TO1HelloRVAck]: {
    name: 'TO1.HelloRVAck',
    decode: decodeTo1HelloRvAck,
    encode: encodeTo1HelloRvAck,
  },
  [MessageType.TO1ProveToRV]: {
    name: 'TO1.ProveToRV',
    decode: decodeTo1ProveToRv,
    encode: encodeSign1Message,
  },
  [MessageType.TO1RVRedirect]: {
    name: 'TO1.RVRedirect',
    decode: decodeTo1RvRedirect,
    encode: encodeSign1Message,
  },
  [MessageType.TO2HelloDevice]: {
    name: 'TO2.HelloDevice',
    decode: decodeTo2HelloDevice,
    encode: encodeTo2HelloDevice,
  },
  [MessageType.TO2ProveOVHdr]: {
    name: 'TO2.ProveOVHdr',
    decode: decodeTo2ProveOvHdr,
    encode: encodeSign1Message,
  },
  [MessageType.TO2GetOVNextEntry]: {
    name: 'TO2.GetOVNextEntry',
    decode: decodeTo2GetOvNextEntry,
    encode: encodeTo2GetOvNextEntry,
  },
  [MessageType.TO2OVNextEntry]: {
    name: 'TO2.OVNextEntry',
    decode: decodeTo2OvNextEntry,
    encode: encodeTo2OvNextEntry,
  },
  [MessageType.TO2ProveDevice]: {
    name: 'TO2.ProveDevice',
    decode: decodeTo2ProveDevice,
    encode: encodeSign1Message,
  },
  [MessageType.TO2SetupDevice]: {
    name: 'TO2.SetupDevice',
    decode: decodeTo2SetupDevice,
    encode: encodeSign1Message,
  },
  [MessageType.TO2DeviceServiceInfoReady]: {
    name: 'TO2.DeviceServiceInfoReady',
    decode: decodeTo2DeviceServiceInfoReady,
    encode: encodeTo2DeviceServiceInfoReady,
  },
  [MessageType.TO2OwnerServiceInfoReady]: {
    name: 'TO2.OwnerServiceInfoReady',
    decode: decodeTo2OwnerServiceInfoReady,
    encode: encodeTo2OwnerServiceInfoReady,
  },
  [MessageType.TO2DeviceServiceInfo]: {
    name: 'TO2.DeviceServiceInfo',
    decode: decodeTo2DeviceServiceInfo,
    encode: encodeTo2DeviceServiceInfo,
  },
  [MessageType.TO2OwnerServiceInfo]: {
    name: 'TO2.OwnerServiceInfo',
    decode: decodeTo2OwnerServiceInfo,
    encode: encodeTo2OwnerServiceInfo,
  },
  [MessageType.TO2Done]: { name: 'TO2.Done', decode: decodeTo2Done, encode: encodeTo2Done },
  [MessageType.TO2Done2]: { name: 'TO2.Done2', decode: decodeTo2Done2, encode: encodeTo2Done2 },
  [MessageType.Error]: { name: 'Error', decode: decodeErrorMessage, encode: encodeErrorMessage },
};

/** Every message type this codec handles, in numeric order. */
export const FDO_MESSAGE_TYPES = Object.keys(CODECS)
  .map(Number)
  .sort((a, b) => a - b) as MessageType[];

export function isFdoMessageType(type: number): type is MessageType {
  return Object.hasOwn(CODECS, type);
}

function codecFor<T extends MessageType>(type: T): MessageCodec<FdoMessageMap[T]> {
  if (!isFdoMessageType(type))
    throw new FdoMessageError(ErrorCode.MessageBodyError, `unknown FDO message type ${String(type)}`);
  return CODECS[type] as MessageCodec<FdoMessageMap[T]>;
}

/** The spec's name of a message type, e.g. "TO2.HelloDevice". */
export function fdoMessageName(type: MessageType): string {
  return codecFor(type).name;
}

/**
 * Decodes the body of message `type` (the number from the URL or the Message-Type header). Throws
 * CborError for a structurally bad body and FdoMessageError for an unknown type; map either with
 * fdoErrorCodeOf / errorMessageFor.
 */
export function decodeMessage<T extends MessageType>(type: T, bytes: Uint8Array): FdoMessageMap[T] {
  return codecFor(type).decode(bytes);
}

export function encodeMessage<T extends MessageType>(type: T, msg: FdoMessageMap[T]): Uint8Array {
  return codecFor(type).encode(msg);
}
