import { describe, expect, it } from 'vitest';
import { decode, encode, type CborValue, type Tagged } from '../../cbor';
import { MessageType } from '../constants';
import { resolveRendezvousInfo } from '../rendezvous-info-view';
import { rvTo2AddrUrl } from '../rvto2addr';
import { CAPTURE_FOLDERS, captureBodies, loggedPlaintextBodies } from './captures.testing';
import {
  decodeErrorMessage,
  decodeMessage,
  decodeTo0d,
  decodeTo1dPayload,
  decodeTo2ProveOvHdrPayload,
  decodeTo2SetupDevicePayload,
  encodeMessage,
  encodeTo0d,
  encodeTo1dPayload,
  encodeTo2ProveOvHdrPayload,
  encodeTo2SetupDevicePayload,
  type FdoMessageMap,
} from './index';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** TO2 bodies after ProveDevice travel encrypted (COSE_Encrypt0, tag 16) in the captures. */
function isEncrypted(bytes: Uint8Array): boolean {
  return bytes[0] === 0xd0;
}

function decodeAs<T extends MessageType>(type: T, bytes: Uint8Array): FdoMessageMap[T] {
  return decodeMessage(type, bytes);
}

/** The payload byte string of a COSE_Sign1 message body. */
function sign1Payload(bytes: Uint8Array): Uint8Array {
  const sign1 = decode(bytes) as Tagged;
  return (sign1.value as CborValue[])[2] as Uint8Array;
}

function capture(folder: string, file: string): Uint8Array {
  const body = captureBodies(folder).find((c) => c.file === file);
  if (!body) throw new Error(`no capture ${folder}/${file}`);
  return body.bytes;
}

describe('go-fdo captures', () => {
  const clear = CAPTURE_FOLDERS.flatMap(captureBodies).filter((c) => !isEncrypted(c.bytes));

  it('cover every unencrypted message type', () => {
    const types = new Set(clear.map((c) => c.type));
    expect([...types].sort((a, b) => a - b)).toEqual([
      10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33, 60, 61, 62, 63, 64, 255,
    ]);
  });

  it.each(clear.map((c) => [`${c.folder}/${c.file}`, c] as const))(
    '%s decodes and re-encodes byte-identically',
    (_, c) => {
      const msg = decodeMessage(c.type as MessageType, c.bytes);
      expect(hex(encodeMessage(c.type as MessageType, msg))).toBe(hex(c.bytes));
    },
  );

  const logged = CAPTURE_FOLDERS.flatMap((folder) =>
    loggedPlaintextBodies(folder).map((b) => ({ folder, ...b })),
  );

  it('server.log has the plaintext of every encrypted message type', () => {
    expect([...new Set(logged.map((b) => b.type))].sort((a, b) => a - b)).toEqual([
      65, 66, 67, 68, 69, 70, 71,
    ]);
  });

  it.each(logged.map((b, i) => [`${b.folder} #${i} msg ${b.type}`, b] as const))(
    '%s (logged plaintext) round-trips byte-identically',
    (_, b) => {
      const bytes = encode(b.value);
      const msg = decodeMessage(b.type as MessageType, bytes);
      expect(hex(encodeMessage(b.type as MessageType, msg))).toBe(hex(bytes));
    },
  );
});

describe('capture contents', () => {
  it('TO2.HelloDevice carries ECDH384, A128GCM and ES384', () => {
    const hello = decodeAs(MessageType.TO2HelloDevice, capture('basic', '005-msg60-req.hex'));
    expect(hello.maxDeviceMessageSize).toBe(65535);
    expect(hex(hello.guid)).toBe('c0e1b88d1fa7f77a3c348e597bfc4980');
    expect(hello.kexSuiteName).toBe('ECDH384');
    expect(hello.cipherSuite).toBe(1);
    expect(hello.sigInfoA).toEqual({ sgType: -35, info: new Uint8Array(0) });
  });

  it('TO2.ProveOVHdr payload decodes and re-encodes exactly', () => {
    const payloadBytes = sign1Payload(capture('basic', '005-msg60-resp61.hex'));
    const payload = decodeTo2ProveOvHdrPayload(payloadBytes);
    expect(payload.numOvEntries).toBe(1);
    expect(hex(payload.nonceTo2ProveOv)).toBe('ccf86da5c325aa7befdd99f44769a000');
    expect(payload.maxOwnerMessageSize).toBe(65535);
    expect(payload.xAKeyExchange.length).toBe(150);
    // The header is exactly what DI.SetCredentials handed the device.
    const setCredentials = decodeAs(MessageType.DISetCredentials, capture('basic', '001-msg10-resp11.hex'));
    expect(hex(payload.ovHeader.bytes)).toBe(hex(setCredentials.ovHeader.bytes));
    expect(hex(encodeTo2ProveOvHdrPayload(payload))).toBe(hex(payloadBytes));
  });

  it('TO2.SetupDevice payload (logged plaintext) carries the replacement credentials', () => {
    const setup = loggedPlaintextBodies('basic').find((b) => b.type === 65)!;
    const payloadBytes = ((setup.value as Tagged).value as CborValue[])[2] as Uint8Array;
    const payload = decodeTo2SetupDevicePayload(payloadBytes);
    expect(resolveRendezvousInfo(payload.rendezvousInfo, 'device').flatMap((t) => t.urls)).toEqual([
      'http://127.0.0.1:9998',
    ]);
    // NonceTO2SetupDv echoes the EUPHNonce the device sent in ProveDevice and returns in Done2.
    expect(hex(payload.nonceTo2SetupDv)).toBe('30c91740aa3be8b88d082e90b16bdce5');
    const done2 = loggedPlaintextBodies('basic').find((b) => b.type === 71)!;
    expect(hex(decodeAs(MessageType.TO2Done2, encode(done2.value)).nonceTo2SetupDv)).toBe(
      hex(payload.nonceTo2SetupDv),
    );
    expect(hex(encodeTo2SetupDevicePayload(payload))).toBe(hex(payloadBytes));
  });

  it('TO0.OwnerSign keeps to0d exactly and its to1d names the owner address', () => {
    const bytes = capture('to0', '005-msg22-req.hex');
    const ownerSign = decodeAs(MessageType.TO0OwnerSign, bytes);
    const to0d = decodeTo0d(ownerSign.to0d.bytes);
    expect(to0d.waitSeconds).toBe(4294967295);
    const helloAck = decodeAs(MessageType.TO0HelloAck, capture('to0', '004-msg20-resp21.hex'));
    expect(hex(to0d.nonceTo0Sign)).toBe(hex(helloAck.nonceTo0Sign));
    expect(hex(encodeTo0d(to0d))).toBe(hex(ownerSign.to0d.bytes));

    const to1dBytes = sign1Payload(ownerSign.to1d.bytes);
    const to1d = decodeTo1dPayload(to1dBytes);
    // go-fdo names its own loopback address as a DNS name, not as an IP.
    expect(to1d.rvTo2Addrs).toEqual([{ ip: null, dns: '127.0.0.1', port: 9998, protocol: 'http' }]);
    expect(to1d.rvTo2Addrs.map(rvTo2AddrUrl)).toEqual(['http://127.0.0.1:9998']);
    expect(hex(encodeTo1dPayload(to1d))).toBe(hex(to1dBytes));
    // The RV hands the very same signed to1d to the device.
    const redirect = decodeAs(MessageType.TO1RVRedirect, capture('to0', '007-msg32-resp33.hex'));
    expect(hex(redirect.sign1.bytes)).toBe(hex(ownerSign.to1d.bytes));

    const accept = decodeAs(MessageType.TO0AcceptOwner, capture('to0', '005-msg22-resp23.hex'));
    expect(accept.waitSeconds).toBe(4294967295);
  });

  it('in-process registration (basic) leaves an all-zero to0d hash in to1d', () => {
    const redirect = decodeAs(MessageType.TO1RVRedirect, capture('basic', '004-msg32-resp33.hex'));
    const to1d = decodeTo1dPayload(sign1Payload(redirect.sign1.bytes));
    expect(hex(to1d.to0dHash.bytes)).toBe(`822f5820${'00'.repeat(32)}`);
  });

  it('the TO1 error for an unregistered device is ResourceNotFound with an integer timestamp', () => {
    const error = decodeErrorMessage(capture('to0', '003-msg30-resp255.hex'));
    expect(error).toEqual({
      code: 6,
      prevMsgType: 30,
      message: 'not found',
      timestamp: { kind: 'seconds', seconds: 1795221471, tagged: false },
      correlationId: null,
    });
  });

  it('TO2.OVNextEntry returns the requested index', () => {
    const request = decodeAs(MessageType.TO2GetOVNextEntry, capture('basic', '006-msg62-req.hex'));
    const reply = decodeAs(MessageType.TO2OVNextEntry, capture('basic', '006-msg62-resp63.hex'));
    expect(reply.entryNum).toBe(request.entryNum);
    expect(reply.entry.bytes[0]).toBe(0xd2);
  });

  it('DeviceServiceInfoReady carries the replacement HMac and 1300; OwnerServiceInfoReady is [null]', () => {
    const [ready, ownerReady] = ['66', '67'].map(
      (type) => loggedPlaintextBodies('basic').find((b) => b.type === Number(type))!.value,
    );
    const device = decodeAs(MessageType.TO2DeviceServiceInfoReady, encode(ready!));
    expect(device.maxOwnerServiceInfoSize).toBe(1300);
    expect(device.replacementHmac?.bytes.length).toBe(2 + 2 + 48);
    expect(decodeAs(MessageType.TO2OwnerServiceInfoReady, encode(ownerReady!))).toEqual({
      maxDeviceServiceInfoSize: null,
    });
  });
});
