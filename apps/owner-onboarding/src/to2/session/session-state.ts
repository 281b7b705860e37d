import { type EtmKeySizes } from '@ztp/protocol';
import { type ServiceInfoProgress } from '../../service-info/service-info-progress';
import { decodePlain, encodePlain, type PlainObject } from './plain-cbor';

/** The replacement credentials sent in SetupDevice (65), needed again at Done (70). */
export interface SetupState {
  guid: Uint8Array;
  /** RendezvousInfo CBOR, exactly as sent. */
  rvInfo: Uint8Array;
  /** Owner2Key as FDO PublicKey CBOR, exactly as sent. */
  owner2Key: Uint8Array;
  /** Its DER SubjectPublicKeyInfo, as key custody recorded it (new Owner2Keys only). */
  owner2Spki?: Uint8Array;
  owner2CustodyKeyId: string;
  owner2Spec: string;
  /** Credential reuse: GUID, RendezvousInfo and owner key unchanged. */
  reuse: boolean;
}

/**
 * Everything the owner must remember between the messages of one TO2 run (sealed at rest). Fields
 * appear as the run advances: kexState at 61 and gone at 65, tunnelKeys from 65, setup at 65,
 * replacementHmac at 67, serviceInfo from 67.
 */
export interface To2SessionState {
  format: 1;
  guid: Uint8Array;
  numEntries: number;
  /** Custody id and spec of the voucher's current owner key (ASYMKEX decrypts with it). */
  ownerKeyId: string;
  ownerKeySpec: string;
  kexSuite: string;
  cipher: number;
  /** AES-CBC/CTR suites: the key sizes this session derives its tunnel keys with (EtmKeySizesLedger). */
  etmKeySizes?: EtmKeySizes;
  /** CUPHNonce of 61, echoed in the EAT (64) and in Done (70). */
  nonceProveDv: Uint8Array;
  /** From the device's HelloDevice: the largest message it accepts. */
  maxDeviceMessageSize: number;
  /** The owner tenant offers credential reuse (its setting at HelloDevice). */
  offerReuse: boolean;
  /** Replacement RendezvousInfo from the owner's settings; null keeps the voucher's. */
  replacementRvInfo: Uint8Array | null;
  /** The device's deliverable bundle seen at HelloDevice (66 claims it if still current). */
  bundle?: { revision: number; stepCount: number };
  kexState?: Uint8Array;
  tunnelKeys?: Uint8Array;
  /** EUPHNonce of 64, echoed in SetupDevice (65) and Done2 (71). */
  nonceSetupDv?: Uint8Array;
  setup?: SetupState;
  /** HMac CBOR from 66; null when the device accepted credential reuse. */
  replacementHmac?: Uint8Array | null;
  serviceInfo?: ServiceInfoProgress;
}

export function encodeSessionState(state: To2SessionState): Uint8Array {
  return encodePlain(state as unknown as PlainObject);
}

export function decodeSessionState(bytes: Uint8Array): To2SessionState {
  const state = decodePlain(bytes) as unknown as To2SessionState;
  if (state === null || typeof state !== 'object' || state.format !== 1)
    throw new Error('unknown TO2 session state format');
  return state;
}
