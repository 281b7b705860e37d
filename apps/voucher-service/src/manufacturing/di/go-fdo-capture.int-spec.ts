import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceCredentialFromGoFdoBlob, diHashAlgFor, diHmacAlgFor } from '@ztp/fdo-client';
import { createTestDatabase, openDataSource, type TestDatabase, VoucherEntity } from '@ztp/persistence';
import { pemToDer, validateChain } from '@ztp/pki';
import {
  asArray,
  computeFdoHmac,
  decode,
  decodeDiSetCredentials,
  decodeOvHeader,
  decodeRendezvousInfo,
  encode,
  encodeDiSetHmac,
  fdoDigestToCbor,
  guidToHex,
  HashAlg,
  MessageType,
  type OvHeader,
  parseVoucher,
  PkEnc,
  PkType,
  RawCbor,
  verifyVoucher,
} from '@ztp/protocol';
import { ManufacturingHarness } from '../manufacturing.testing';

const CAPTURES = new URL('../../../../../test/fixtures/fdo/go-fdo-captures/basic/', import.meta.url);
const capture = (file: string) =>
  new Uint8Array(Buffer.from(readFileSync(new URL(file, CAPTURES), 'utf8').trim(), 'hex'));

/**
 * go-fdo's example device talking to this DI server: its captured DI.AppStart (P-384 device key,
 * X509 manufacturer key encoding) is replayed byte for byte from an allow-listed address (real
 * devices send no station key), and DI.SetHMAC is computed with the HMAC secret from the
 * credential blob that device kept (cred.bin), as go-fdo's client would.
 */
describe("go-fdo's captured DI against this server", () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let harness: ManufacturingHarness;
  let rootCa: Uint8Array;
  const goFdoDevice = deviceCredentialFromGoFdoBlob(
    new Uint8Array(readFileSync(new URL('cred.bin', CAPTURES))),
  );

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url });
    harness = new ManufacturingHarness(dataSource);
    const manufacturer = await harness.newManufacturer('gofdo');
    // P-384 manufacturer key as in go-fdo's example server, so both sides pick SHA-384.
    const pki = await harness.initializePki.execute({
      tenantId: manufacturer.id,
      actor: 'test',
      voucherKeySpec: 'P-384',
    });
    rootCa = pemToDer(pki.rootCaCertificate);
    await harness.createStation.execute({
      tenantId: manufacturer.id,
      actor: 'test',
      name: 'closed factory network',
      allowedCidrs: ['127.0.0.1/32'],
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('accepts the captured DI.AppStart and answers a DI.SetCredentials shaped like go-fdo’s own', async () => {
    const answer = await harness.send(MessageType.DIAppStart, capture('001-msg10-req.hex'));
    expect(answer.type).toBe(MessageType.DISetCredentials);
    expect(answer.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const ours = decodeOvHeader(decodeDiSetCredentials(answer.body).ovHeader.bytes);
    const theirs = decodeOvHeader(decodeDiSetCredentials(capture('001-msg10-resp11.hex')).ovHeader.bytes);
    const shape = (header: OvHeader) => ({
      protocolVersion: header.protocolVersion,
      guidLength: header.guid.length,
      deviceInfo: header.deviceInfo,
      manufacturerKey: [header.manufacturerKey.type, header.manufacturerKey.encoding],
      certChainHash: [header.certChainHash?.alg, header.certChainHash?.value.length],
      rendezvousIsDirectiveList: decodeRendezvousInfo(header.rendezvousInfo.bytes).every(Array.isArray),
    });
    expect(shape(ours)).toEqual(shape(theirs));
    expect(shape(ours)).toMatchObject({
      protocolVersion: 101,
      deviceInfo: 'gotest',
      manufacturerKey: [PkType.SECP384R1, PkEnc.X509],
      certChainHash: [HashAlg.SHA384, 48],
    });
    // The reply is one bstr-wrapped header, as go-fdo's decoder expects.
    expect(asArray(decode(answer.body), 'DI.SetCredentials', 1)[0]).toBeInstanceOf(Uint8Array);
  });

  it('completes DI with the HMAC go-fdo’s device computes, and stores a voucher that verifies', async () => {
    // A new AppStart for the serial replaces the unfinished DI of the test above.
    const answer = await harness.send(MessageType.DIAppStart, capture('001-msg10-req.hex'));
    const header = decodeOvHeader(decodeDiSetCredentials(answer.body).ovHeader.bytes);
    const hashAlg = diHashAlgFor(goFdoDevice.privateKey, header.manufacturerKey.key);
    expect(hashAlg).toBe(HashAlg.SHA384);
    const hmac = computeFdoHmac(diHmacAlgFor(hashAlg), goFdoDevice.hmacSecret, header.bytes);
    const done = await harness.send(
      MessageType.DISetHMAC,
      encodeDiSetHmac({ hmac: new RawCbor(encode(fdoDigestToCbor(hmac))) }),
      { token: answer.token },
    );
    expect(done.type).toBe(MessageType.DIDone);
    expect(done.body).toEqual(capture('002-msg12-resp13.hex'));

    const stored = await dataSource
      .getRepository(VoucherEntity)
      .findOneByOrFail({ guid: guidToHex(header.guid) });
    const voucher = parseVoucher(new Uint8Array(stored.cbor));
    verifyVoucher(voucher, { hmacSecret: goFdoDevice.hmacSecret });
    expect(voucher.header.bytes).toEqual(header.bytes);
    const { leafPublicKey } = validateChain(voucher.deviceCertChain!, [rootCa], { at: harness.clock.now() });
    expect(leafPublicKey.equals(createPublicKey(goFdoDevice.privateKey))).toBe(true);

    const again = await harness.send(MessageType.DIAppStart, capture('001-msg10-req.hex'));
    expect(again.type).toBe(MessageType.Error);
  });
});
