import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildRvTo2Addr,
  computeFdoHash,
  computeFdoHmac,
  createSoftwareSigner,
  createVoucher,
  decodeSign1,
  decodeTo0d,
  decodeTo0OwnerSign,
  decodeTo1dPayload,
  encodeOvHeader,
  encodePublicKey,
  encodeTo0AcceptOwner,
  encodeTo0HelloAck,
  extendVoucher,
  HashAlg,
  newGuid,
  readVoucher,
  verifySign1,
} from '@ztp/protocol';
import { fixtureText } from '@ztp/protocol/fdo/voucher/fixtures.testing';
import { FdoHttpSession, type Fetch } from './http-transport';
import { runTo0, To0RequestError } from './to0';

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const manufacturer = p256();
const owner = p256();
const chain = readVoucher(fixtureText('fdo/go-fdo/ov.pem')).deviceCertChain!;
const header = encodeOvHeader({
  guid: newGuid(),
  rendezvousInfo: [],
  deviceInfo: 'to0 runner test',
  manufacturerKey: encodePublicKey(manufacturer.publicKey),
  certChainHash: computeFdoHash(HashAlg.SHA256, chain),
});
const made = createVoucher({
  header,
  headerHmac: computeFdoHmac(HashAlg.HMAC_SHA256, new Uint8Array(32), header.bytes),
  deviceCertChain: chain,
});
const voucher = await extendVoucher(made, createSoftwareSigner(manufacturer.privateKey), owner.publicKey);
const ADDRESS = buildRvTo2Addr({ ip: '192.0.2.1', port: 8042, protocol: 'http' });
const NONCE = new Uint8Array(16).fill(5);

describe('runTo0', () => {
  it('sends to0d with the nonce and a to1d the owner signed over Hash(to0d)', async () => {
    const sent: Uint8Array[] = [];
    const fetch: Fetch = async (url, init) => {
      sent.push(init.body as Uint8Array);
      const headers = { 'message-type': url.endsWith('/20') ? '21' : '23', authorization: 'Bearer t' };
      const body = url.endsWith('/20')
        ? encodeTo0HelloAck({ nonceTo0Sign: NONCE })
        : encodeTo0AcceptOwner({ waitSeconds: 77 });
      return new Response(body, { headers });
    };
    const outcome = await runTo0(new FdoHttpSession({ baseUrl: 'http://rv', fetch }), {
      voucher: voucher.bytes,
      ownerSigner: createSoftwareSigner(owner.privateKey),
      to2Addresses: [ADDRESS],
      waitSeconds: 3600,
    });
    expect(outcome.waitSeconds).toBe(77);
    const ownerSign = decodeTo0OwnerSign(sent[1]!);
    const to0d = decodeTo0d(ownerSign.to0d.bytes);
    expect(to0d).toMatchObject({ waitSeconds: 3600, nonceTo0Sign: NONCE });
    expect(Buffer.from(to0d.ownershipVoucher.bytes)).toEqual(Buffer.from(voucher.bytes));
    const to1d = decodeSign1(ownerSign.to1d.bytes);
    expect(Buffer.from(to1d.bytes)).toEqual(Buffer.from(outcome.to1d));
    expect(verifySign1(to1d, owner.publicKey)).toBe(true);
    const payload = decodeTo1dPayload(to1d.payload!);
    expect(payload.rvTo2Addrs).toEqual([ADDRESS]);
    const expected = computeFdoHash(HashAlg.SHA256, ownerSign.to0d.bytes);
    expect(Buffer.from(payload.to0dHash.bytes.subarray(-32))).toEqual(Buffer.from(expected.value));
  });

  it('refuses before sending anything: a signer that is not the owner, no address, a bad wait', async () => {
    let calls = 0;
    const session = () =>
      new FdoHttpSession({ baseUrl: 'http://rv', fetch: async () => (calls++, new Response()) });
    const base = {
      voucher,
      ownerSigner: createSoftwareSigner(owner.privateKey),
      to2Addresses: [ADDRESS],
      waitSeconds: 60,
    };
    await expect(
      runTo0(session(), { ...base, ownerSigner: createSoftwareSigner(manufacturer.privateKey) }),
    ).rejects.toThrow(To0RequestError);
    await expect(runTo0(session(), { ...base, to2Addresses: [] })).rejects.toThrow(/at least one owner/);
    await expect(runTo0(session(), { ...base, waitSeconds: -1 })).rejects.toThrow(/waitSeconds/);
    expect(calls).toBe(0);
  });
});
