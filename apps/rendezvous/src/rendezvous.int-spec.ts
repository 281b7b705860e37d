import { readFileSync } from 'node:fs';
import { type KeyObject } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FdoErrorReply, FdoHttpSession, runTo0, runTo1 } from '@ztp/fdo-client';
import { RvRegistrationEntity } from '@ztp/persistence';
import {
  buildRvTo2Addr,
  computeFdoHash,
  createSoftwareSigner,
  decodeErrorMessage,
  decodeTo0AcceptOwner,
  decodeTo0HelloAck,
  decodeTo1HelloRv,
  decodeTo1HelloRvAck,
  encode,
  encodeEatPayload,
  encodeTo0d,
  encodeTo0OwnerSign,
  encodeTo1HelloRv,
  encodeTo1ProveToRv,
  extendVoucher,
  ErrorCode,
  fdoDigestToCbor,
  guidToHex,
  HashAlg,
  MessageType,
  newEatPayload,
  RawCbor,
  rvTo2AddrsToCbor,
  SigAlg,
  signEat,
  signSign1,
  EatClaim,
  type CborValue,
  type FdoDigest,
  type OwnershipVoucher,
  type Signer,
} from '@ztp/protocol';
import { PolicyStore } from './policy/policy.store';
import { bootRendezvous, type BootedRendezvous } from './testing/boot-rendezvous';
import { newTestDevice, ownedVoucher, p256Key, type TestDevice } from './testing/test-vouchers';
import { spkiSha256 } from './to0/to0.service';
import { ProtocolTokens } from './tokens/protocol-token';
import { protocolTokenKey } from './tokens/token-key';

const OWNER_ADDRESS = buildRvTo2Addr({ dns: 'owner.example.com', port: 8042, protocol: 'https' });
const CAPTURES = new URL('../../../test/fixtures/fdo/go-fdo-captures/to0/', import.meta.url);
const capture = (file: string) =>
  new Uint8Array(Buffer.from(readFileSync(new URL(file, CAPTURES), 'utf8').trim(), 'hex'));

let rv: BootedRendezvous;
let tokenKey: Uint8Array;
const manufacturer = p256Key();
const owner = p256Key();
const reseller = p256Key();

interface RawReply {
  type: number;
  body: Uint8Array;
  token: string | undefined;
}

async function post(type: number, body: Uint8Array, token?: string): Promise<RawReply> {
  const response = await fetch(`${rv.url}/fdo/101/msg/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/cbor', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const authorization = response.headers.get('authorization');
  return {
    type: Number(response.headers.get('message-type')),
    body: new Uint8Array(await response.arrayBuffer()),
    token: authorization?.slice('Bearer '.length),
  };
}

function expectError(reply: RawReply, code: number, prevType: number): string {
  expect(reply.type).toBe(MessageType.Error);
  const error = decodeErrorMessage(reply.body);
  expect({ code: error.code, prevType: error.prevMsgType, message: error.message }).toMatchObject({
    code,
    prevType,
  });
  return error.message;
}

async function stored(guid: Uint8Array): Promise<RvRegistrationEntity | null> {
  return rvDataSource()
    .getRepository(RvRegistrationEntity)
    .findOneBy({ guid: guidToHex(guid) });
}

function rvDataSource(): DataSource {
  return rv.app.get(DataSource);
}

async function hello(): Promise<{ nonce: Uint8Array; token: string }> {
  const reply = await post(MessageType.TO0Hello, encode([]));
  expect(reply.type).toBe(MessageType.TO0HelloAck);
  return { nonce: decodeTo0HelloAck(reply.body).nonceTo0Sign, token: reply.token! };
}

interface OwnerSignParts {
  voucher: OwnershipVoucher;
  nonce: Uint8Array;
  signer: Signer;
  waitSeconds?: number;
  addresses?: CborValue;
  hash?: (to0d: Uint8Array) => FdoDigest;
  payload?: (to0d: Uint8Array, hash: FdoDigest) => Uint8Array;
}

async function ownerSignBody(parts: OwnerSignParts): Promise<Uint8Array> {
  const to0d = encodeTo0d({
    ownershipVoucher: new RawCbor(parts.voucher.bytes),
    waitSeconds: parts.waitSeconds ?? 3600,
    nonceTo0Sign: parts.nonce,
  });
  const digest = parts.hash?.(to0d) ?? computeFdoHash(HashAlg.SHA256, to0d);
  const payload =
    parts.payload?.(to0d, digest) ??
    encode([parts.addresses ?? rvTo2AddrsToCbor([OWNER_ADDRESS]), fdoDigestToCbor(digest)]);
  const to1d = await signSign1(parts.signer, payload);
  return encodeTo0OwnerSign({ to0d: new RawCbor(to0d), to1d: new RawCbor(to1d.bytes) });
}

async function registered(device: TestDevice, owners: KeyObject[] = [owner]): Promise<OwnershipVoucher> {
  const voucher = await ownedVoucher(device, manufacturer, owners);
  await runTo0(new FdoHttpSession({ baseUrl: rv.url }), {
    voucher,
    ownerSigner: createSoftwareSigner(owners.at(-1)!),
    to2Addresses: [OWNER_ADDRESS],
    waitSeconds: 3600,
  });
  return voucher;
}

beforeAll(async () => {
  rv = await bootRendezvous({ RENDEZVOUS_DEFAULT_POLICY: 'open', RENDEZVOUS_RATE_LIMIT_PER_GUID: '0' });
  tokenKey = protocolTokenKey(rv.config);
});
afterAll(async () => {
  await rv?.close();
});

describe('TO0 and TO1 round trip', () => {
  it('answers TO1 for an unregistered GUID with error 6, as go-fdo does', async () => {
    const device = await newTestDevice();
    const attempt = runTo1(new FdoHttpSession({ baseUrl: rv.url }), {
      guid: device.guid,
      signer: device.signer,
    });
    await expect(attempt).rejects.toBeInstanceOf(FdoErrorReply);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.ResourceNotFound, sentType: 30 });
  });

  it('registers with TO0 (wait cut to the policy maximum) and redirects the device to the owner', async () => {
    const device = await newTestDevice();
    const voucher = await ownedVoucher(device, manufacturer, [reseller, owner]);
    const outcome = await runTo0(new FdoHttpSession({ baseUrl: rv.url }), {
      voucher,
      ownerSigner: createSoftwareSigner(owner),
      to2Addresses: [OWNER_ADDRESS],
      waitSeconds: 0xffffffff,
    });
    expect(outcome.waitSeconds).toBe(86_400);
    const row = await stored(device.guid);
    expect(row).toMatchObject({
      numEntries: 2,
      grantedWaitSeconds: 86_400,
      requestedWaitSeconds: '4294967295',
    });
    expect(Buffer.from(row!.to1d)).toEqual(Buffer.from(outcome.to1d));
    expect(Buffer.from(row!.voucher)).toEqual(Buffer.from(voucher.bytes));
    expect(row!.to2Addresses).toEqual([
      { ip: null, dns: 'owner.example.com', port: 8042, protocol: 'https' },
    ]);

    const to1 = await runTo1(new FdoHttpSession({ baseUrl: rv.url }), {
      guid: device.guid,
      signer: device.signer,
    });
    expect(to1.to2Addresses).toEqual([OWNER_ADDRESS]);
    expect(Buffer.from(to1.to1d)).toEqual(Buffer.from(outcome.to1d));
  });

  it('raises a registration shorter than the policy minimum to it', async () => {
    const device = await newTestDevice();
    const voucher = await ownedVoucher(device, manufacturer, [owner]);
    const outcome = await runTo0(new FdoHttpSession({ baseUrl: rv.url }), {
      voucher,
      ownerSigner: createSoftwareSigner(owner),
      to2Addresses: [OWNER_ADDRESS],
      waitSeconds: 5,
    });
    expect(outcome.waitSeconds).toBe(60);
  });

  it('replaces a registration, and refuses a previous owner while a longer voucher is registered', async () => {
    const device = await newTestDevice();
    const sold = await ownedVoucher(device, manufacturer, [reseller]);
    const signerOf = (key: KeyObject) => createSoftwareSigner(key);
    const register = (voucher: OwnershipVoucher, key: KeyObject, port: number) =>
      runTo0(new FdoHttpSession({ baseUrl: rv.url }), {
        voucher,
        ownerSigner: signerOf(key),
        to2Addresses: [buildRvTo2Addr({ dns: 'owner.example.com', port, protocol: 'https' })],
        waitSeconds: 600,
      });
    await register(sold, reseller, 1001);
    const resold = await extendVoucher(sold, signerOf(reseller), owner);
    await register(resold, owner, 1002);
    expect((await stored(device.guid))!.to2Addresses[0]!.port).toBe(1002);
    const back = register(sold, reseller, 1003);
    await expect(back).rejects.toMatchObject({ code: ErrorCode.InvalidOwnershipVoucher });
    expect((await stored(device.guid))!.to2Addresses[0]!.port).toBe(1002);
  });

  describe('a registration is replaced only by a voucher that extends it', () => {
    const register = (voucher: OwnershipVoucher, key: KeyObject, port: number) =>
      runTo0(new FdoHttpSession({ baseUrl: rv.url }), {
        voucher,
        ownerSigner: createSoftwareSigner(key),
        to2Addresses: [buildRvTo2Addr({ dns: 'owner.example.com', port, protocol: 'https' })],
        waitSeconds: 600,
      });
    const portOf = async (guid: Uint8Array) => (await stored(guid))?.to2Addresses[0]?.port;
    const expire = (guid: Uint8Array) =>
      rvDataSource().query(
        `UPDATE rv_registration SET expires_at = now() - interval '1 hour' WHERE guid = $1`,
        [guidToHex(guid)],
      );

    it('the same voucher renews its registration; its hashes are stored', async () => {
      const device = await newTestDevice();
      const voucher = await ownedVoucher(device, manufacturer, [owner]);
      await register(voucher, owner, 2001);
      await register(voucher, owner, 2002);
      const row = (await stored(device.guid))!;
      expect(row.to2Addresses[0]!.port).toBe(2002);
      expect(row.headerSha256).toHaveLength(32);
      expect(row.entrySha256).toHaveLength(1);
    });

    it('a voucher with no entries (a replacement: its header key owns it) registers; a resale extends it; the seller is refused after', async () => {
      const device = await newTestDevice();
      const owner2 = p256Key();
      const replacement = await ownedVoucher(device, owner2, []);
      await register(replacement, owner2, 2071);
      expect((await stored(device.guid))!.numEntries).toBe(0);
      const resold = await extendVoucher(replacement, createSoftwareSigner(owner2), reseller);
      await register(resold, reseller, 2072);
      expect(await portOf(device.guid)).toBe(2072);
      await expect(register(replacement, owner2, 2073)).rejects.toMatchObject({
        code: ErrorCode.InvalidOwnershipVoucher,
      });
    });

    it('a voucher with another header (another manufacturer key) for the GUID is refused, expired or not', async () => {
      const device = await newTestDevice();
      await register(await ownedVoucher(device, manufacturer, [owner]), owner, 2011);
      const forged = await ownedVoucher(device, p256Key(), [reseller, owner]);
      await expect(register(forged, owner, 2012)).rejects.toMatchObject({
        code: ErrorCode.InvalidOwnershipVoucher,
        message: expect.stringContaining('does not extend'),
      });
      await expire(device.guid);
      await expect(register(forged, owner, 2013)).rejects.toMatchObject({
        code: ErrorCode.InvalidOwnershipVoucher,
      });
      expect(await portOf(device.guid)).toBe(2011);
    });

    it('a previous owner is refused even after the later owner let its registration expire', async () => {
      const device = await newTestDevice();
      const sold = await ownedVoucher(device, manufacturer, [reseller]);
      const resold = await extendVoucher(sold, createSoftwareSigner(reseller), owner);
      await register(resold, owner, 2021);
      await expire(device.guid);
      await expect(register(sold, reseller, 2022)).rejects.toMatchObject({
        code: ErrorCode.InvalidOwnershipVoucher,
      });
      expect(await portOf(device.guid)).toBe(2021);
    });

    it('a voucher that branches off (same header, other entries, as many or more) is refused', async () => {
      const device = await newTestDevice();
      const toReseller = await ownedVoucher(device, manufacturer, [reseller]);
      await register(await extendVoucher(toReseller, createSoftwareSigner(reseller), owner), owner, 2031);
      const other = p256Key();
      const branch = await extendVoucher(
        await extendVoucher(toReseller, createSoftwareSigner(reseller), other),
        createSoftwareSigner(other),
        owner,
      );
      await expect(register(branch, owner, 2032)).rejects.toMatchObject({
        code: ErrorCode.InvalidOwnershipVoucher,
      });
      expect(await portOf(device.guid)).toBe(2031);
    });

    it('the rendezvous operator can clear a registration, after which another voucher registers', async () => {
      const device = await newTestDevice();
      await register(await ownedVoucher(device, manufacturer, [owner]), owner, 2041);
      await rvDataSource().query(`DELETE FROM rv_registration WHERE guid = $1`, [guidToHex(device.guid)]);
      await register(await ownedVoucher(device, p256Key(), [reseller]), reseller, 2042);
      expect(await portOf(device.guid)).toBe(2042);
    });

    it('concurrent TO0s of the previous and the later owner: the later owner ends registered, whatever the order', async () => {
      for (let round = 0; round < 5; round++) {
        const device = await newTestDevice();
        const sold = await ownedVoucher(device, manufacturer, [reseller]);
        const resold = await extendVoucher(sold, createSoftwareSigner(reseller), owner);
        const outcomes = await Promise.allSettled([
          register(sold, reseller, 2051),
          register(resold, owner, 2052),
          register(sold, reseller, 2053),
        ]);
        expect(outcomes[1]!.status).toBe('fulfilled');
        expect(await portOf(device.guid)).toBe(2052);
      }
    });

    it('concurrent TO0s of two vouchers that do not extend each other: exactly one is registered', async () => {
      for (let round = 0; round < 5; round++) {
        const device = await newTestDevice();
        const a = await ownedVoucher(device, manufacturer, [owner]);
        const b = await ownedVoucher(device, p256Key(), [reseller]);
        const outcomes = await Promise.allSettled([register(a, owner, 2061), register(b, reseller, 2062)]);
        const won = outcomes.map((outcome) => outcome.status === 'fulfilled');
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await portOf(device.guid)).toBe(won[0] ? 2061 : 2062);
        for (const outcome of outcomes)
          if (outcome.status === 'rejected')
            expect(outcome.reason).toMatchObject({ code: ErrorCode.InvalidOwnershipVoucher });
      }
    });
  });
});

describe('go-fdo interoperability (captured TO0 and TO1 bytes)', () => {
  it('accepts the exact TO0.OwnerSign go-fdo sent, then answers its TO1 with the very same to1d', async () => {
    const hello = await post(MessageType.TO0Hello, capture('004-msg20-req.hex'));
    expect(hello.type).toBe(MessageType.TO0HelloAck);
    const nonce = decodeTo0HelloAck(capture('004-msg20-resp21.hex')).nonceTo0Sign;
    // The nonce the go-fdo server issued, in a token minted with this server's key: the only way to
    // present a recorded 22 (tokens are stateless, so this is exactly what a 21 would have carried).
    const tokens = new ProtocolTokens(tokenKey, () => new Date());
    const accept = await post(
      MessageType.TO0OwnerSign,
      capture('005-msg22-req.hex'),
      tokens.issue({ step: MessageType.TO0OwnerSign, nonce }),
    );
    expect(accept.type).toBe(MessageType.TO0AcceptOwner);
    expect(decodeTo0AcceptOwner(accept.body).waitSeconds).toBe(86_400);

    const helloRv = await post(MessageType.TO1HelloRV, capture('006-msg30-req.hex'));
    expect(helloRv.type).toBe(MessageType.TO1HelloRVAck);
    expect(decodeTo1HelloRvAck(helloRv.body).sigInfoB).toEqual({
      sgType: SigAlg.ES384,
      info: new Uint8Array(0),
    });
    const recordedNonce = decodeTo1HelloRvAck(capture('006-msg30-resp31.hex')).nonceTo1Proof;
    const { guid } = decodeTo1HelloRv(capture('006-msg30-req.hex'));
    const redirect = await post(
      MessageType.TO1ProveToRV,
      capture('007-msg32-req.hex'),
      tokens.issue({ step: MessageType.TO1ProveToRV, nonce: recordedNonce, guid, sigAlg: SigAlg.ES384 }),
    );
    expect(redirect.type).toBe(MessageType.TO1RVRedirect);
    expect(redirect.body).toEqual(capture('007-msg32-resp33.hex'));
  });
});

describe('TO0.OwnerSign refusals (FIDO_RVT_20..23): right code, nothing stored', () => {
  async function refused(body: (parts: { nonce: Uint8Array; device: TestDevice }) => Promise<Uint8Array>) {
    const device = await newTestDevice();
    const session = await hello();
    const reply = await post(
      MessageType.TO0OwnerSign,
      await body({ nonce: session.nonce, device }),
      session.token,
    );
    return { reply, device };
  }

  it('bad encoding: a TO0.Hello that is not an empty array -> 100', async () => {
    expectError(await post(MessageType.TO0Hello, encode([1])), ErrorCode.MessageBodyError, 20);
  });

  it.each([
    ['malformed CBOR', Uint8Array.of(0xff, 0x00)],
    ['a 3-element array', encode([1, 2, 3])],
    ['to0d that is not a byte string', encode([1, new Uint8Array(4)])],
  ])('bad encoding: %s -> 100', async (_name, body) => {
    const session = await hello();
    expectError(await post(MessageType.TO0OwnerSign, body, session.token), ErrorCode.MessageBodyError, 22);
  });

  it('bad to0d hash -> 101', async () => {
    const { reply, device } = await refused(async ({ nonce, device }) =>
      ownerSignBody({
        voucher: await ownedVoucher(device, manufacturer, [owner]),
        nonce,
        signer: createSoftwareSigner(owner),
        hash: (to0d) => computeFdoHash(HashAlg.SHA256, Uint8Array.from([...to0d, 0])),
      }),
    );
    expect(expectError(reply, ErrorCode.InvalidMessageError, 22)).toMatch(/to0dHash/);
    expect(await stored(device.guid)).toBeNull();
  });

  it('bad nonce -> 101', async () => {
    const { reply, device } = await refused(async ({ device }) =>
      ownerSignBody({
        voucher: await ownedVoucher(device, manufacturer, [owner]),
        nonce: new Uint8Array(16).fill(7),
        signer: createSoftwareSigner(owner),
      }),
    );
    expect(expectError(reply, ErrorCode.InvalidMessageError, 22)).toMatch(/NonceTO0Sign/);
    expect(await stored(device.guid)).toBeNull();
  });

  it('bad signature: to1d signed by a key that is not the owner -> 3', async () => {
    const { reply, device } = await refused(async ({ nonce, device }) =>
      ownerSignBody({
        voucher: await ownedVoucher(device, manufacturer, [owner]),
        nonce,
        signer: createSoftwareSigner(reseller),
      }),
    );
    expectError(reply, ErrorCode.InvalidOwnerSignBody, 22);
    expect(await stored(device.guid)).toBeNull();
  });

  it.each([
    ['an IP address of 5 bytes', [[new Uint8Array(5), null, 8042, 5]], ErrorCode.InvalidIpAddress],
    ['a multicast IP address', [[Uint8Array.of(239, 1, 2, 3), null, 8042, 5]], ErrorCode.InvalidIpAddress],
    ['no address at all', [], ErrorCode.InvalidMessageError],
    ['port 0', [[null, 'owner.example.com', 0, 5]], ErrorCode.InvalidMessageError],
    ['a DNS name with spaces', [[null, 'not a host', 8042, 5]], ErrorCode.InvalidMessageError],
    ['an unknown TransportProtocol', [[null, 'owner.example.com', 8042, 99]], ErrorCode.MessageBodyError],
    ['neither IP nor DNS', [[null, null, 8042, 5]], ErrorCode.MessageBodyError],
  ])('bad rendezvous blob: %s -> %i', async (_name, addresses, code) => {
    const { reply, device } = await refused(async ({ nonce, device }) =>
      ownerSignBody({
        voucher: await ownedVoucher(device, manufacturer, [owner]),
        nonce,
        signer: createSoftwareSigner(owner),
        addresses: addresses as CborValue,
      }),
    );
    expectError(reply, code, 22);
    expect(await stored(device.guid)).toBeNull();
  });

  it('bad rendezvous blob: a to1d payload that is not [RVTO2Addr[], Hash] -> 100', async () => {
    const { reply, device } = await refused(async ({ nonce, device }) =>
      ownerSignBody({
        voucher: await ownedVoucher(device, manufacturer, [owner]),
        nonce,
        signer: createSoftwareSigner(owner),
        payload: () => encode({ not: 'a to1d' } as unknown as CborValue),
      }),
    );
    expectError(reply, ErrorCode.MessageBodyError, 22);
    expect(await stored(device.guid)).toBeNull();
  });

  it('a voucher whose entry signature is broken -> 2', async () => {
    const { reply, device } = await refused(async ({ nonce, device }) => {
      const voucher = await ownedVoucher(device, manufacturer, [owner]);
      const bytes = Uint8Array.from(voucher.bytes);
      bytes[bytes.length - 1] ^= 0x01; // last byte of the entry's signature
      return ownerSignBody({ voucher: { ...voucher, bytes }, nonce, signer: createSoftwareSigner(owner) });
    });
    expect(expectError(reply, ErrorCode.InvalidOwnershipVoucher, 22)).toMatch(/signature/);
    expect(await stored(device.guid)).toBeNull();
  });

  it('an FDO 1.0 voucher -> 2', async () => {
    const { reply } = await refused(async ({ nonce }) => {
      const to0d = encode([[[100, 'header'], [5, new Uint8Array(32)], null, []], 60, nonce]);
      const to1d = await signSign1(
        createSoftwareSigner(owner),
        encode([rvTo2AddrsToCbor([OWNER_ADDRESS]), fdoDigestToCbor(computeFdoHash(HashAlg.SHA256, to0d))]),
      );
      return encodeTo0OwnerSign({ to0d: new RawCbor(to0d), to1d: new RawCbor(to1d.bytes) });
    });
    expect(expectError(reply, ErrorCode.InvalidOwnershipVoucher, 22)).toMatch(/FDO 1\.0/);
  });

  it('a voucher the acceptance policy refuses -> 2 (owner key denied)', async () => {
    const policies = rv.app.get(PolicyStore);
    const denied = p256Key();
    const { entry } = await policies.addEntry({ kind: 'owner-deny', sha256: spkiSha256(denied) });
    try {
      const { reply, device } = await refused(async ({ nonce, device }) =>
        ownerSignBody({
          voucher: await ownedVoucher(device, manufacturer, [denied]),
          nonce,
          signer: createSoftwareSigner(denied),
        }),
      );
      expect(expectError(reply, ErrorCode.InvalidOwnershipVoucher, 22)).toMatch(/deny list/);
      expect(await stored(device.guid)).toBeNull();
    } finally {
      await policies.removeEntry(entry.id);
    }
  });
});

describe('session tokens', () => {
  it('refuses 22 without a token, with a TO1 token, with an expired or forged one -> 1', async () => {
    const device = await newTestDevice();
    const { nonce } = await hello();
    const body = await ownerSignBody({
      voucher: await ownedVoucher(device, manufacturer, [owner]),
      nonce,
      signer: createSoftwareSigner(owner),
    });
    const past = new ProtocolTokens(tokenKey, () => new Date(Date.now() - 61_000));
    const forged = new ProtocolTokens(new Uint8Array(32).fill(1), () => new Date());
    const current = new ProtocolTokens(tokenKey, () => new Date());
    const cases: [string | undefined, RegExp][] = [
      [undefined, /no session token/],
      [
        current.issue({ step: MessageType.TO1ProveToRV, nonce, guid: device.guid, sigAlg: SigAlg.ES256 }),
        /for message 32/,
      ],
      [past.issue({ step: MessageType.TO0OwnerSign, nonce }), /expired/],
      [forged.issue({ step: MessageType.TO0OwnerSign, nonce }), /not valid/],
    ];
    for (const [token, message] of cases)
      expect(
        expectError(await post(MessageType.TO0OwnerSign, body, token), ErrorCode.InvalidJwtToken, 22),
      ).toMatch(message);
    expect(await stored(device.guid)).toBeNull();
  });

  it('refuses 32 with the token of 21 (out of order) -> 1', async () => {
    const device = await newTestDevice();
    await registered(device);
    const { token } = await hello();
    const eat = await signEat(device.signer, newEatPayload(device.guid, new Uint8Array(16)));
    const reply = await post(
      MessageType.TO1ProveToRV,
      encodeTo1ProveToRv({ sign1: new RawCbor(eat.bytes) }),
      token,
    );
    expect(expectError(reply, ErrorCode.InvalidJwtToken, 32)).toMatch(/for message 22/);
  });
});

describe('TO1 refusals', () => {
  async function helloRv(device: TestDevice, sgType: number = device.signer.alg) {
    const reply = await post(
      MessageType.TO1HelloRV,
      encodeTo1HelloRv({ guid: device.guid, sigInfoA: { sgType, info: new Uint8Array(0) } }),
    );
    expect(reply.type).toBe(MessageType.TO1HelloRVAck);
    return { nonce: decodeTo1HelloRvAck(reply.body).nonceTo1Proof, token: reply.token! };
  }

  async function prove(token: string, eat: { bytes: Uint8Array }) {
    return post(MessageType.TO1ProveToRV, encodeTo1ProveToRv({ sign1: new RawCbor(eat.bytes) }), token);
  }

  it('GUID of the wrong size -> 5; bad structure -> 100', async () => {
    expectError(
      await post(MessageType.TO1HelloRV, encode([new Uint8Array(15), [SigAlg.ES256, new Uint8Array(0)]])),
      ErrorCode.InvalidGuid,
      30,
    );
    expectError(await post(MessageType.TO1HelloRV, encode([1])), ErrorCode.MessageBodyError, 30);
  });

  it('an expired registration -> 6', async () => {
    const device = await newTestDevice();
    await registered(device);
    await rvDataSource()
      .getRepository(RvRegistrationEntity)
      .update({ guid: guidToHex(device.guid) }, { expiresAt: new Date(Date.now() - 1000) });
    expectError(
      await post(
        MessageType.TO1HelloRV,
        encodeTo1HelloRv({ guid: device.guid, sigInfoA: { sgType: SigAlg.ES256, info: new Uint8Array(0) } }),
      ),
      ErrorCode.ResourceNotFound,
      30,
    );
  });

  it('EAT with the wrong nonce, the wrong GUID, by the wrong key, or another algorithm -> 101', async () => {
    const device = await newTestDevice();
    const other = await newTestDevice();
    await registered(device);

    let session = await helloRv(device);
    expectError(
      await prove(
        session.token,
        await signEat(device.signer, newEatPayload(device.guid, new Uint8Array(16))),
      ),
      ErrorCode.InvalidMessageError,
      32,
    );
    session = await helloRv(device);
    expectError(
      await prove(session.token, await signEat(device.signer, newEatPayload(other.guid, session.nonce))),
      ErrorCode.InvalidMessageError,
      32,
    );
    session = await helloRv(device);
    expectError(
      await prove(session.token, await signEat(other.signer, newEatPayload(device.guid, session.nonce))),
      ErrorCode.InvalidMessageError,
      32,
    );
    session = await helloRv(device, SigAlg.ES384);
    expect(
      expectError(
        await prove(session.token, await signEat(device.signer, newEatPayload(device.guid, session.nonce))),
        ErrorCode.InvalidMessageError,
        32,
      ),
    ).toMatch(/announced ES384/);
    expectError(await prove(session.token, { bytes: encode([1, 2]) }), ErrorCode.MessageBodyError, 32);
  });

  it('accepts the UEID under label 11 (fido-device-onboard-rs)', async () => {
    const device = await newTestDevice();
    await registered(device);
    const session = await helloRv(device);
    const payload = { ...newEatPayload(device.guid, session.nonce), ueidLabel: EatClaim.UeidLegacy } as const;
    const eat = await signSign1(device.signer, encodeEatPayload(payload));
    expect((await prove(session.token, eat)).type).toBe(MessageType.TO1RVRedirect);
  });

  it('refuses oversized bodies with 100 before decoding them', async () => {
    const reply = await post(MessageType.TO1HelloRV, new Uint8Array(2000));
    expect(expectError(reply, ErrorCode.MessageBodyError, 30)).toMatch(/exceeds 1024/);
  });
});
