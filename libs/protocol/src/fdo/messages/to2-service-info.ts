import { asArray, asBool, decode, encode } from '../../cbor';
import { serviceInfoFromCbor, serviceInfoToCbor, type ServiceInfo } from '../service-info/service-info';
import { checkBytes, NONCE_LENGTH, readNonce } from './fields';

/** TO2 ServiceInfo exchange and completion, messages 68-71 (all encrypted on the wire). */

/** TO2.DeviceServiceInfo (68): `[IsMoreServiceInfo, ServiceInfo]`. */
export interface To2DeviceServiceInfo {
  /** The device has more to send: the owner answers with an empty ServiceInfo and waits. */
  isMoreServiceInfo: boolean;
  serviceInfo: ServiceInfo;
}

export function decodeTo2DeviceServiceInfo(bytes: Uint8Array): To2DeviceServiceInfo {
  const [isMore, serviceInfo] = asArray(decode(bytes), 'TO2.DeviceServiceInfo', 2);
  return {
    isMoreServiceInfo: asBool(isMore, 'TO2.DeviceServiceInfo.isMoreServiceInfo'),
    serviceInfo: serviceInfoFromCbor(serviceInfo, 'TO2.DeviceServiceInfo.serviceInfo'),
  };
}

export function encodeTo2DeviceServiceInfo(msg: To2DeviceServiceInfo): Uint8Array {
  return encode([msg.isMoreServiceInfo, serviceInfoToCbor(msg.serviceInfo)]);
}

/** TO2.OwnerServiceInfo (69): `[IsMoreServiceInfo, IsDone, ServiceInfo]`. */
export interface To2OwnerServiceInfo {
  /** The owner has more to send: the device answers with an empty ServiceInfo. */
  isMoreServiceInfo: boolean;
  /** The owner has nothing more at all: the device proceeds to TO2.Done. */
  isDone: boolean;
  serviceInfo: ServiceInfo;
}

export function decodeTo2OwnerServiceInfo(bytes: Uint8Array): To2OwnerServiceInfo {
  const [isMore, isDone, serviceInfo] = asArray(decode(bytes), 'TO2.OwnerServiceInfo', 3);
  return {
    isMoreServiceInfo: asBool(isMore, 'TO2.OwnerServiceInfo.isMoreServiceInfo'),
    isDone: asBool(isDone, 'TO2.OwnerServiceInfo.isDone'),
    serviceInfo: serviceInfoFromCbor(serviceInfo, 'TO2.OwnerServiceInfo.serviceInfo'),
  };
}

export function encodeTo2OwnerServiceInfo(msg: To2OwnerServiceInfo): Uint8Array {
  return encode([msg.isMoreServiceInfo, msg.isDone, serviceInfoToCbor(msg.serviceInfo)]);
}

/** TO2.Done (70): `[NonceTO2ProveDv]`, echoing the owner's CUPHNonce from ProveOVHdr. */
export interface To2Done {
  nonceTo2ProveDv: Uint8Array;
}

export function decodeTo2Done(bytes: Uint8Array): To2Done {
  const [nonce] = asArray(decode(bytes), 'TO2.Done', 1);
  return { nonceTo2ProveDv: readNonce(nonce, 'TO2.Done.nonceTo2ProveDv') };
}

export function encodeTo2Done(msg: To2Done): Uint8Array {
  return encode([checkBytes(msg.nonceTo2ProveDv, NONCE_LENGTH, 'TO2.Done.nonceTo2ProveDv')]);
}

/** TO2.Done2 (71): `[NonceTO2SetupDv]`, echoing the device's EUPHNonce from ProveDevice. */
export interface To2Done2 {
  nonceTo2SetupDv: Uint8Array;
}

export function decodeTo2Done2(bytes: Uint8Array): To2Done2 {
  const [nonce] = asArray(decode(bytes), 'TO2.Done2', 1);
  return { nonceTo2SetupDv: readNonce(nonce, 'TO2.Done2.nonceTo2SetupDv') };
}

export function encodeTo2Done2(msg: To2Done2): Uint8Array {
  return encode([checkBytes(msg.nonceTo2SetupDv, NONCE_LENGTH, 'TO2.Done2.nonceTo2SetupDv')]);
}
