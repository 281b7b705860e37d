import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode, decodeDiAppStart, deviceMfgInfoFromCbor, PkType } from '@ztp/protocol';
import { runDeviceInitialize } from './di';
import { FdoHttpSession } from './http-transport';

/** The key type a device claims in DI.AppStart's DeviceMfgInfo (the run stops after message 10). */
async function claimedKeyType(
  privateKey: KeyObject,
  rsaPkType?: 'RSAPKCS' | 'RSA2048RESTR',
): Promise<number> {
  let sent: Uint8Array | undefined;
  const session = new FdoHttpSession({
    baseUrl: 'http://di.test',
    fetch: (_url, init) => {
      sent = new Uint8Array(init.body as Uint8Array);
      return Promise.reject(new Error('stop after DI.AppStart'));
    },
  });
  await expect(
    runDeviceInitialize({ session, serialNumber: 'SN-1', deviceInfo: 'test', privateKey, rsaPkType }),
  ).rejects.toThrow();
  const { deviceMfgInfo } = decodeDiAppStart(sent!);
  return deviceMfgInfoFromCbor(decode(deviceMfgInfo!)).keyType;
}

describe('DI DeviceMfgInfo key type', () => {
  const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  it('claims RSA2048RESTR for a 2048-bit RSA device, as go-fdo devices do, and RSAPKCS when told', async () => {
    expect(await claimedKeyType(rsa2048)).toBe(PkType.RSA2048RESTR);
    expect(await claimedKeyType(rsa2048, 'RSAPKCS')).toBe(PkType.RSAPKCS);
  });

  it('claims RSAPKCS for a 3072-bit RSA device and the curve for EC devices', async () => {
    expect(await claimedKeyType(generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey)).toBe(
      PkType.RSAPKCS,
    );
    expect(await claimedKeyType(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)).toBe(
      PkType.SECP384R1,
    );
  });
});
