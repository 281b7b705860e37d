import { createHmac, timingSafeEqual } from 'node:crypto';
import { FdoProtocolError } from '@ztp/platform';
import { MessageType } from '@ztp/protocol';

/** Longest life of a protocol token, seconds: the time between a protocol's two messages. */
export const PROTOCOL_TOKEN_TTL_SECONDS = 60;

const VERSION = 1;
const MAC_BYTES = 16;
const NONCE_BYTES = 16;
const GUID_BYTES = 16;
/** version, step, expiry (uint32 seconds), nonce. */
const TO0_LENGTH = 1 + 1 + 4 + NONCE_BYTES;
/** ... then GUID and the device's signature algorithm (int32). */
const TO1_LENGTH = TO0_LENGTH + GUID_BYTES + 4;

/** What TO0.HelloAck (21) hands the owner to present at TO0.OwnerSign (22). */
export interface To0TokenClaims {
  step: typeof MessageType.TO0OwnerSign;
  nonce: Uint8Array;
}

/** What TO1.HelloRVAck (31) hands the device to present at TO1.ProveToRV (32). */
export interface To1TokenClaims {
  step: typeof MessageType.TO1ProveToRV;
  nonce: Uint8Array;
  guid: Uint8Array;
  /** The eASigInfo sgType announced in HelloRV: the EAT must be signed with it. */
  sigAlg: number;
}

export type ProtocolTokenClaims = To0TokenClaims | To1TokenClaims;

/**
 * Stateless session tokens for TO0 and TO1 (PRI's rendezvous works the same way), so any replica
 * serves any message and nothing is stored between a protocol's two messages. A token is a compact
 * binary claim set, `base64url(claims).base64url(HMAC-SHA256(key, claims)[0..16])`, naming the
 * only message it admits (22 or 32), the nonce the server issued, for TO1 the GUID and signature
 * algorithm, and an expiry at most 60 s away. Presented at any other message, expired, altered or
 * MACed with another key, it is refused with error 1 (invalid token).
 *
 * Not prevented (it would need shared state): replaying a valid token within its minute, which
 * repeats the same registration (TO0) or hands the same to1d to the same device (TO1).
 */
export class ProtocolTokens {
  constructor(
    private readonly key: Uint8Array,
    private readonly now: () => Date,
  ) {
    if (key.length < 32) throw new RangeError('a protocol token key needs at least 32 bytes');
  }

  issue(claims: ProtocolTokenClaims): string {
    const expiry = Math.floor(this.now().getTime() / 1000) + PROTOCOL_TOKEN_TTL_SECONDS;
    const to1 = claims.step === MessageType.TO1ProveToRV;
    const payload = Buffer.alloc(to1 ? TO1_LENGTH : TO0_LENGTH);
    payload[0] = VERSION;
    payload[1] = claims.step;
    payload.writeUInt32BE(expiry, 2);
    checkLength(claims.nonce, NONCE_BYTES, 'nonce').forEach((b, i) => (payload[6 + i] = b));
    if (to1) {
      checkLength(claims.guid, GUID_BYTES, 'GUID').forEach((b, i) => (payload[TO0_LENGTH + i] = b));
      payload.writeInt32BE(claims.sigAlg, TO0_LENGTH + GUID_BYTES);
    }
    return `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  /** The claims of a token presented at message `step`; FdoProtocolError code 1 otherwise. */
  verify(token: string | undefined, step: typeof MessageType.TO0OwnerSign): To0TokenClaims;
  verify(token: string | undefined, step: typeof MessageType.TO1ProveToRV): To1TokenClaims;
  verify(token: string | undefined, step: ProtocolTokenClaims['step']): ProtocolTokenClaims {
    if (token === undefined) throw FdoProtocolError.badToken('no session token: start with message 20 or 30');
    const dot = token.indexOf('.');
    const payload = Buffer.from(token.slice(0, dot), 'base64url');
    const tag = Buffer.from(token.slice(dot + 1), 'base64url');
    if (dot < 0 || tag.length !== MAC_BYTES || !timingSafeEqual(tag, this.mac(payload)))
      throw FdoProtocolError.badToken('session token is not valid here');
    // Authentic from here on: the layout is ours.
    if (payload[0] !== VERSION || payload.length < TO0_LENGTH)
      throw FdoProtocolError.badToken('session token is not valid here');
    if (payload[1] !== step)
      throw FdoProtocolError.badToken(`session token is for message ${payload[1]}, not ${step}`);
    if (Math.floor(this.now().getTime() / 1000) >= payload.readUInt32BE(2))
      throw FdoProtocolError.badToken('session token expired: start the protocol again');
    const nonce = new Uint8Array(payload.subarray(6, 6 + NONCE_BYTES));
    if (step === MessageType.TO0OwnerSign) return { step, nonce };
    if (payload.length !== TO1_LENGTH) throw FdoProtocolError.badToken('session token is not valid here');
    return {
      step,
      nonce,
      guid: new Uint8Array(payload.subarray(TO0_LENGTH, TO0_LENGTH + GUID_BYTES)),
      sigAlg: payload.readInt32BE(TO0_LENGTH + GUID_BYTES),
    };
  }

  private mac(payload: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

function checkLength(bytes: Uint8Array, length: number, what: string): Uint8Array {
  if (bytes.length !== length) throw new RangeError(`a token ${what} is ${length} bytes`);
  return bytes;
}
