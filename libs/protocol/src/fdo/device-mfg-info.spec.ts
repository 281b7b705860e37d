// @peculiar/x509 resolves algorithms through tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import { cryptoProvider, Pkcs10CertificateRequest } from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CborError, encode, type CborValue } from '../cbor';
import { PkEnc, PkType } from './constants';
import { decodeDeviceMfgInfo, encodeDeviceMfgInfo } from './device-mfg-info';
import { decodeDiAppStart } from './messages';
import { CAPTURE_FOLDERS, captureBodies } from './messages/captures.testing';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
cryptoProvider.set(webcrypto as never);

describe('DeviceMfgInfo', () => {
  it.each(CAPTURE_FOLDERS.map((f) => [f] as const))(
    '%s: go-fdo sends exactly [keyType, keyEncoding, serial, deviceInfo, CSR]',
    async (folder) => {
      const appStart = decodeDiAppStart(captureBodies(folder).find((c) => c.type === 10)!.bytes);
      const info = decodeDeviceMfgInfo(appStart.deviceMfgInfo!);
      expect(info.keyType).toBe(PkType.SECP384R1);
      expect(info.keyEncoding).toBe(PkEnc.X509);
      expect(info.serialNumber).toMatch(/^\d+$/);
      expect(info.deviceInfo).toBe('gotest');
      expect(Object.keys(info).sort()).toEqual([
        'certInfo',
        'deviceInfo',
        'keyEncoding',
        'keyType',
        'serialNumber',
      ]);
      const csr = new Pkcs10CertificateRequest(info.certInfo as Uint8Array);
      expect(csr.subject).toBe('CN=device.go-fdo');
      expect(await csr.verify()).toBe(true);
      expect(hex(encodeDeviceMfgInfo(info))).toBe(hex(appStart.deviceMfgInfo!));
    },
  );

  it('reads the C SDK form with OnDie items appended and re-emits them in place', () => {
    const bytes = encode([
      10,
      1,
      'SN-1',
      'model',
      new Uint8Array([0x30]),
      new Uint8Array([1]),
      new Uint8Array([2]),
      new Uint8Array([3]),
    ]);
    const info = decodeDeviceMfgInfo(bytes);
    expect(info.onDieCertChain).toEqual(new Uint8Array([1]));
    expect(info.testSigMaroePrefix).toEqual(new Uint8Array([3]));
    expect(hex(encodeDeviceMfgInfo(info))).toBe(hex(bytes));
  });

  it("accepts PRI's map form of CertInfo", () => {
    const bytes = encode([1, 0, 'abc', 'DemoDevice', new Map<CborValue, CborValue>([['k', 1]])]);
    expect(hex(encodeDeviceMfgInfo(decodeDeviceMfgInfo(bytes)))).toBe(hex(bytes));
  });

  it.each([
    ['four fields', [11, 1, 'a', 'b'], /expected 5\.\.8 items/],
    ['a numeric serial', [11, 1, 5, 'b', new Uint8Array(1)], /serialNumber: expected a text string/],
    ['a text CSR', [11, 1, 'a', 'b', 'csr'], /certInfo: expected a byte string/],
    ['a bad optional item', [11, 1, 'a', 'b', new Uint8Array(1), 'x'], /onDieCertChain/],
  ])('rejects %s', (_name, value, message) => {
    expect(() => decodeDeviceMfgInfo(encode(value as CborValue))).toThrow(CborError);
    expect(() => decodeDeviceMfgInfo(encode(value as CborValue))).toThrow(message);
  });

  it('refuses to encode a later optional item without the earlier ones', () => {
    expect(() =>
      encodeDeviceMfgInfo({
        keyType: 10,
        keyEncoding: 1,
        serialNumber: 'a',
        deviceInfo: 'b',
        certInfo: new Uint8Array(1),
        testSignature: new Uint8Array(1),
      }),
    ).toThrow(/onDieCertChain/);
  });
});
