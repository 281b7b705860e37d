import { join } from 'node:path';
import { FdoHttpSession, runDeviceInitialize, writeDeviceCredentialFile } from '@ztp/fdo-client';
import { stationHeaders } from '../device-options';
import { type DeviceFlow } from './flow';

/** DI only: the device is initialised and its voucher lands with the manufacturer. */
export const diFlow: DeviceFlow = {
  name: 'di',
  description: 'FDO DI against the voucher service',
  async run(device, context) {
    const credential = await runDeviceInitialize({
      session: new FdoHttpSession({
        baseUrl: context.diUrl,
        fetch: context.fetch,
        headers: stationHeaders(context.stationKey),
      }),
      serialNumber: device.serialNumber,
      deviceInfo: context.deviceInfo,
      keySpec: context.deviceKey.keySpec,
      kexSuite: context.deviceKey.kexSuite,
      cipherSuite: context.deviceKey.cipherSuite,
    });
    if (context.outDir)
      writeDeviceCredentialFile(join(context.outDir, `${device.serialNumber}.json`), credential);
    return { guid: credential.guid };
  },
};
