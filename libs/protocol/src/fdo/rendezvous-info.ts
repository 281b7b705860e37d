import { asArray, asBytes, CborError, decode, encode, type CborValue } from '../cbor';
import { RvProtocol } from './constants';
import { readUintMax } from './messages/fields';

/**
 * RendezvousInfo on the wire (FDO 1.1 section 3.7; go-fdo protocol/rv.go): an array of directives,
 * each an array of instructions `[RVVariable, RVValue]` where RVValue is a byte string wrapping the
 * CBOR-encoded value. Flag variables (DevOnly, OwnerOnly, Bypass) are sent as the one-element form
 * `[RVVariable]` by go-fdo and PRI, and as `[RVVariable, h'f6']` (CBOR null) by fdo-rs: both are
 * kept as received so the OVHeader bytes re-encode identically.
 */
export interface RvInstruction {
  /** An RvVariable; numbers this code does not know are kept, not rejected. */
  variable: number;
  /** The CBOR-encoded value (the byte string's contents); absent in the one-element form. */
  value?: Uint8Array;
}

export type RvDirective = RvInstruction[];
export type RendezvousInfo = RvDirective[];

export function rendezvousInfoFromCbor(value: CborValue, what = 'RendezvousInfo'): RendezvousInfo {
  return asArray(value, what).map((directive, d) =>
    asArray(directive, `${what}[${d}]`).map((instruction, i) =>
      rvInstructionFromCbor(instruction, `${what}[${d}][${i}]`),
    ),
  );
}

function rvInstructionFromCbor(value: CborValue, what: string): RvInstruction {
  const [variable, rvValue] = asArray(value, what, [1, 2]);
  const instruction: RvInstruction = { variable: readUintMax(variable, 0xff, `${what}.variable`) };
  if (rvValue !== undefined) instruction.value = asBytes(rvValue, `${what}.value`);
  return instruction;
}

export function rendezvousInfoToCbor(info: RendezvousInfo): CborValue {
  return info.map((directive) =>
    directive.map((instruction) =>
      instruction.value === undefined ? [instruction.variable] : [instruction.variable, instruction.value],
    ),
  );
}

export function decodeRendezvousInfo(bytes: Uint8Array): RendezvousInfo {
  return rendezvousInfoFromCbor(decode(bytes));
}

export function encodeRendezvousInfo(info: RendezvousInfo): Uint8Array {
  return encode(rendezvousInfoToCbor(info));
}

/**
 * RVProtocol values by name. Kept apart from TransportProtocol (rvto2addr.ts) on purpose: the two
 * enums number the same protocols differently (http is 1 here, 3 there), a known bug class.
 */
export type RvProtocolName = 'rest' | 'http' | 'https' | 'tcp' | 'tls' | 'coap+tcp' | 'coap';

const RV_PROTOCOL_NUMBERS: Record<RvProtocolName, RvProtocol> = {
  rest: RvProtocol.Rest,
  http: RvProtocol.Http,
  https: RvProtocol.Https,
  tcp: RvProtocol.Tcp,
  tls: RvProtocol.Tls,
  'coap+tcp': RvProtocol.CoapTcp,
  coap: RvProtocol.CoapUdp,
};

export function rvProtocolToNumber(name: RvProtocolName): RvProtocol {
  return RV_PROTOCOL_NUMBERS[name];
}

export function rvProtocolFromNumber(value: number, what = 'RVProtocol'): RvProtocolName {
  for (const [name, n] of Object.entries(RV_PROTOCOL_NUMBERS)) if (n === value) return name as RvProtocolName;
  throw new CborError('unexpected-type', `${what}: unknown RVProtocol ${value}`);
}
