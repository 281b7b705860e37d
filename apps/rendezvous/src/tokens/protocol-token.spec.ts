import { describe, expect, it } from 'vitest';
import { FdoProtocolError } from '@ztp/platform';
import { ErrorCode, MessageType, SigAlg } from '@ztp/protocol';
import { PROTOCOL_TOKEN_TTL_SECONDS, ProtocolTokens } from './protocol-token';

const KEY = new Uint8Array(32).fill(9);
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i);
const GUID = Uint8Array.from({ length: 16 }, (_, i) => 100 + i);

function clock(start: number) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

function refusal(fn: () => unknown): FdoProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FdoProtocolError);
    expect((err as FdoProtocolError).code).toBe(ErrorCode.InvalidJwtToken);
    return err as FdoProtocolError;
  }
  throw new Error('expected a refusal');
}

describe('ProtocolTokens', () => {
  it('round-trips the TO0 and TO1 claims for their own step', () => {
    const tokens = new ProtocolTokens(KEY, clock(1_800_000_000_000).now);
    expect(tokens.verify(tokens.issue({ step: MessageType.TO0OwnerSign, nonce: NONCE }), 22)).toEqual({
      step: 22,
      nonce: NONCE,
    });
    const to1 = tokens.issue({
      step: MessageType.TO1ProveToRV,
      nonce: NONCE,
      guid: GUID,
      sigAlg: SigAlg.PS384,
    });
    expect(tokens.verify(to1, 32)).toEqual({ step: 32, nonce: NONCE, guid: GUID, sigAlg: SigAlg.PS384 });
  });

  it('refuses a token at another step (replay or out of order)', () => {
    const tokens = new ProtocolTokens(KEY, clock(1_800_000_000_000).now);
    const to0 = tokens.issue({ step: MessageType.TO0OwnerSign, nonce: NONCE });
    const to1 = tokens.issue({
      step: MessageType.TO1ProveToRV,
      nonce: NONCE,
      guid: GUID,
      sigAlg: SigAlg.ES256,
    });
    expect(refusal(() => tokens.verify(to0, 32)).message).toMatch(/for message 22, not 32/);
    expect(refusal(() => tokens.verify(to1, 22)).message).toMatch(/for message 32, not 22/);
  });

  it('expires at most 60 s after it was issued', () => {
    // Expiry is kept in whole seconds, rounded down: issued at x.5 s, it lives 59.5 s.
    const time = clock(1_800_000_000_500);
    const tokens = new ProtocolTokens(KEY, time.now);
    const token = tokens.issue({ step: MessageType.TO0OwnerSign, nonce: NONCE });
    time.advance(PROTOCOL_TOKEN_TTL_SECONDS * 1000 - 501);
    expect(tokens.verify(token, 22).nonce).toEqual(NONCE);
    time.advance(1);
    expect(refusal(() => tokens.verify(token, 22)).message).toMatch(/expired/);
  });

  it('refuses missing, forged, truncated and altered tokens', () => {
    const tokens = new ProtocolTokens(KEY, clock(1_800_000_000_000).now);
    const other = new ProtocolTokens(new Uint8Array(32).fill(1), clock(1_800_000_000_000).now);
    const token = tokens.issue({
      step: MessageType.TO1ProveToRV,
      nonce: NONCE,
      guid: GUID,
      sigAlg: SigAlg.ES256,
    });
    const [payload, mac] = token.split('.') as [string, string];
    const flipped = Buffer.from(payload, 'base64url');
    flipped[10]! ^= 1;
    refusal(() => tokens.verify(undefined, 32));
    refusal(() => tokens.verify(other.issue({ step: 32, nonce: NONCE, guid: GUID, sigAlg: -7 }), 32));
    refusal(() => tokens.verify(payload, 32));
    refusal(() => tokens.verify(`${payload}.${mac.slice(2)}`, 32));
    refusal(() => tokens.verify(`${flipped.toString('base64url')}.${mac}`, 32));
    refusal(() => tokens.verify('', 32));
    refusal(() => tokens.verify('....', 32));
  });

  it('needs a 32-byte key', () => {
    expect(() => new ProtocolTokens(new Uint8Array(16), () => new Date())).toThrow(RangeError);
  });
});
