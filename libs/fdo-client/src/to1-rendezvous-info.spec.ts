import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildRendezvousInfo,
  buildRvTo2Addr,
  computeFdoHash,
  createSoftwareSigner,
  decodeSignedEat,
  decodeTo1HelloRv,
  encode,
  encodeErrorMessage,
  encodePublicKey,
  encodeTo1HelloRvAck,
  ErrorCode,
  fdoDigestToCbor,
  HashAlg,
  newErrorMessage,
  newGuid,
  rvTo2AddrsToCbor,
  signSign1,
  verifyEat,
} from '@ztp/protocol';
import { type Fetch } from './http-transport';
import { verifyTo1dOwner } from './to1';
import { findOwnerViaRendezvous, To1NoRouteError } from './to1-rendezvous-info';

const deviceKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ownerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const device = { guid: newGuid(), signer: createSoftwareSigner(deviceKey.privateKey) };
const OWNER = buildRvTo2Addr({ dns: 'owner.example.com', port: 8042, protocol: 'https' });
const NONCE = new Uint8Array(16).fill(3);

function reply(type: number, body: Uint8Array, token?: string): Response {
  return new Response(body, {
    headers: { 'message-type': String(type), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
}

/** A rendezvous server at `host` that knows the device (and checks its EAT), others answer 6. */
function rendezvous(knownAt: string, seen: string[]): Fetch {
  return async (url, init) => {
    seen.push(url);
    const body = init.body as Uint8Array;
    if (!url.startsWith(knownAt))
      return reply(255, encodeErrorMessage(newErrorMessage(ErrorCode.ResourceNotFound, 30, 'not found')));
    if (url.endsWith('/msg/30')) {
      const hello = decodeTo1HelloRv(body);
      return reply(31, encodeTo1HelloRvAck({ nonceTo1Proof: NONCE, sigInfoB: hello.sigInfoA }), 'tok');
    }
    verifyEat(decodeSignedEat(body), deviceKey.publicKey, { nonce: NONCE, guid: device.guid });
    const to1d = await signSign1(
      createSoftwareSigner(ownerKey.privateKey),
      encode([rvTo2AddrsToCbor([OWNER]), fdoDigestToCbor(computeFdoHash(HashAlg.SHA256, Uint8Array.of(1)))]),
    );
    return reply(33, to1d.bytes);
  };
}

describe('findOwnerViaRendezvous', () => {
  it('walks the directives in order (device view) until a rendezvous server knows the device', async () => {
    const seen: string[] = [];
    const info = buildRendezvousInfo([
      { dns: 'owner-only.example.com', port: 1, protocol: 'http', ownerOnly: true },
      { dns: 'rv1.example.com', port: 8040, protocol: 'http' },
      { ip: '192.0.2.7', port: 8443, protocol: 'https' },
    ]);
    const route = await findOwnerViaRendezvous(info, device, {
      fetch: rendezvous('https://192.0.2.7:8443', seen),
    });
    expect(seen.map((url) => new URL(url).origin)).toEqual([
      'http://rv1.example.com:8040',
      'https://192.0.2.7:8443',
      'https://192.0.2.7:8443',
    ]);
    expect(route).toMatchObject({
      directive: 2,
      url: 'https://192.0.2.7:8443',
      bypass: false,
      to2Addresses: [OWNER],
      to2Urls: ['https://owner.example.com:8042'],
    });
    expect(route.attempts).toHaveLength(1);
    expect(route.attempts[0]!.error.message).toMatch(/FDO error 6/);
    expect(verifyTo1dOwner(route.to1d!, encodePublicKey(ownerKey.publicKey))).toBe(true);
    expect(verifyTo1dOwner(route.to1d!, encodePublicKey(deviceKey.publicKey))).toBe(false);
  });

  it('returns a bypass directive as the owner address without TO1', async () => {
    const seen: string[] = [];
    const info = buildRendezvousInfo([
      { dns: 'owner.example.com', port: 8042, protocol: 'https', bypass: true },
    ]);
    const route = await findOwnerViaRendezvous(info, device, { fetch: rendezvous('none', seen) });
    expect(route).toMatchObject({ bypass: true, to2Urls: ['https://owner.example.com:8042'], to1d: null });
    expect(seen).toEqual([]);
  });

  it('fails with every attempt when no directive leads to an owner', async () => {
    const info = buildRendezvousInfo([{ dns: 'rv1.example.com', port: 8040, protocol: 'http' }]);
    const attempt = findOwnerViaRendezvous(info, device, { fetch: rendezvous('none', []) });
    await expect(attempt).rejects.toBeInstanceOf(To1NoRouteError);
    await expect(attempt).rejects.toMatchObject({ attempts: [{ url: 'http://rv1.example.com:8040' }] });
    await expect(findOwnerViaRendezvous([], device)).rejects.toThrow(/no directive for the device/);
  });
});
