import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  computeFdoHmac,
  decode,
  decodeDiSetCredentials,
  decodeFdoHmac,
  decodeOvHeader,
  encodeRendezvousInfo,
  HashAlg,
  KexSuite,
  publicKeyHash,
} from '@ztp/protocol';
import {
  type DeviceCredential,
  DeviceCredentialError,
  deviceCredentialFromJson,
  deviceCredentialToJson,
  readDeviceCredentialFile,
  writeDeviceCredentialFile,
} from './device-credential';
import { deviceCredentialFromGoFdoBlob } from './device-credential-go-fdo';
import { diHashAlgFor } from './di-hash-alg';

const CAPTURES = new URL('../../../test/fixtures/fdo/go-fdo-captures/basic/', import.meta.url);
const capture = (file: string) =>
  new Uint8Array(Buffer.from(readFileSync(new URL(file, CAPTURES), 'utf8').trim(), 'hex'));

function sampleCredential(): DeviceCredential {
  return {
    active: true,
    protocolVersion: 101,
    guid: '00112233445566778899aabbccddeeff',
    deviceInfo: 'sim',
    serialNumber: 'SN-1',
    rendezvousInfo: encodeRendezvousInfo([[{ variable: 12, value: Uint8Array.of(1) }]]),
    manufacturerKeyHash: { alg: HashAlg.SHA256, value: new Uint8Array(32).fill(7) },
    hmacSecret: new Uint8Array(32).fill(9),
    privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
    deviceCertChainHash: { alg: HashAlg.SHA256, value: new Uint8Array(32).fill(3) },
    kexSuite: KexSuite.ECDH256,
    cipherSuite: 'A128GCM',
  };
}

describe('device credential file', () => {
  it('round-trips through JSON and a 0600 file', () => {
    const credential = sampleCredential();
    const again = deviceCredentialFromJson(deviceCredentialToJson(credential));
    expect({ ...again, privateKey: undefined }).toEqual({ ...credential, privateKey: undefined });
    expect(again.privateKey.equals(credential.privateKey)).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'cred-'));
    try {
      const path = join(dir, 'device.json');
      writeDeviceCredentialFile(path, credential);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readDeviceCredentialFile(path).guid).toBe(credential.guid);
      expect(() => readDeviceCredentialFile(join(dir, 'missing.json'))).toThrow(DeviceCredentialError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['not JSON', '{'],
    ['another format', '{"format":"x"}'],
    ['a bad GUID', (json: Record<string, unknown>) => ({ ...json, guid: 'xyz' })],
    ['an unknown kex suite', (json: Record<string, unknown>) => ({ ...json, kexSuite: 'ECDH999' })],
    ['an unknown cipher', (json: Record<string, unknown>) => ({ ...json, cipherSuite: 'ROT13' })],
    ['a bad key', (json: Record<string, unknown>) => ({ ...json, privateKey: 'nope' })],
    ['bad RendezvousInfo', (json: Record<string, unknown>) => ({ ...json, rendezvousInfo: 'ff' })],
    ['odd hex', (json: Record<string, unknown>) => ({ ...json, hmacSecret: 'abc' })],
  ])('refuses %s with DeviceCredentialError', (_name, change) => {
    const json = JSON.parse(deviceCredentialToJson(sampleCredential())) as Record<string, unknown>;
    const text = typeof change === 'string' ? change : JSON.stringify(change(json));
    expect(() => deviceCredentialFromJson(text)).toThrow(DeviceCredentialError);
  });
});

describe("go-fdo's credential blob (captures/basic/cred.bin)", () => {
  const blob = deviceCredentialFromGoFdoBlob(new Uint8Array(readFileSync(new URL('cred.bin', CAPTURES))));

  it('reads the device key (P-384), HMAC secret, GUID, RendezvousInfo and manufacturer key hash', () => {
    expect(blob.active).toBe(true);
    expect(blob.protocolVersion).toBe(101);
    expect(blob.deviceInfo).toBe('gotest');
    expect(blob.privateKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(blob.kexSuite).toBe(KexSuite.ECDH384);
    expect(blob.manufacturerKeyHash.alg).toBe(HashAlg.SHA384);
  });

  it('holds the secret the device used for DI: it reproduces the captured DI.SetHMAC over the captured header', () => {
    const header = decodeOvHeader(decodeDiSetCredentials(capture('001-msg10-resp11.hex')).ovHeader.bytes);
    const [sent] = decode(capture('002-msg12-req.hex')) as [unknown];
    const hmac = decodeFdoHmac(sent as never);
    const alg = diHashAlgFor(blob.privateKey, header.manufacturerKey.key);
    expect(alg).toBe(HashAlg.SHA384);
    expect(computeFdoHmac(HashAlg.HMAC_SHA384, blob.hmacSecret, header.bytes)).toEqual(hmac);
    // The key hash in the blob is the post-TO2 owner's, so only its shape is comparable here.
    expect(publicKeyHash(header.manufacturerKey, alg).value).toHaveLength(
      blob.manufacturerKeyHash.value.length,
    );
  });

  it('refuses other bytes', () => {
    expect(() => deviceCredentialFromGoFdoBlob(Uint8Array.of(0x80))).toThrow(DeviceCredentialError);
    expect(() => deviceCredentialFromGoFdoBlob(Uint8Array.of(0xff))).toThrow(DeviceCredentialError);
  });
});
