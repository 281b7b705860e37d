import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSessionState, encodeSessionState, type To2SessionState } from './session-state';
import { SessionSealer, SessionStateError } from './session-sealer';

const state: To2SessionState = {
  format: 1,
  guid: new Uint8Array(16).fill(1),
  numEntries: 2,
  ownerKeyId: 'k',
  ownerKeySpec: 'P-256',
  kexSuite: 'ECDH256',
  cipher: 1,
  nonceProveDv: new Uint8Array(16).fill(2),
  maxDeviceMessageSize: 65535,
  offerReuse: false,
  replacementRvInfo: null,
  kexState: Uint8Array.of(1, 2, 3),
};

describe('TO2 session state at rest', () => {
  const sealer = new SessionSealer(randomBytes(32));
  const token = randomBytes(32);

  it('round-trips sealed, bound to its session', () => {
    const sealed = sealer.seal(encodeSessionState(state), token);
    expect(decodeSessionState(sealer.open(sealed, token))).toEqual(state);
    expect(() => sealer.open(sealed, randomBytes(32))).toThrow(SessionStateError);
  });

  it('refuses tampered state and state sealed under another master key', () => {
    const sealed = sealer.seal(encodeSessionState(state), token);
    sealed[20]! ^= 1;
    expect(() => sealer.open(sealed, token)).toThrow(SessionStateError);
    const other = new SessionSealer(randomBytes(32)).seal(encodeSessionState(state), token);
    expect(() => sealer.open(other, token)).toThrow(SessionStateError);
  });
});
