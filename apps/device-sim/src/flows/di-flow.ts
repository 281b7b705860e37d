import { join } from 'node:path';
import {
  type DeviceCredential,
  FdoHttpSession,
  runDeviceInitialize,
  writeDeviceCredentialFile,
} from '@ztp/fdo-client';
import { stationHeaders } from '../device-options';
import { type DeviceFlow, type FlowContext, type FlowDevice } from './flow';

/** DI for one device of a run, with the run's station, key type and suites. */
export function initializeDevice(device: FlowDevice, context: FlowContext): Promise<DeviceCredential> {
  return runDeviceInitialize({
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
    rsaPkType: context.deviceKey.rsaPkType,
  });
}

/** DI only: the device is initialised and its voucher lands with the manufacturer. */
export const diFlow: DeviceFlow = {
  name: 'di',
  description: 'FDO DI against the voucher service',
  async run(device, context) {
    const credential = await initializeDevice(device, context);
    if (context.outDir)
      writeDeviceCredentialFile(join(context.outDir, `${device.serialNumber}.json`), credential);
    return { guid: credential.guid };
  },
};
