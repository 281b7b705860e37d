import { CommandModule, type CommandModuleOptions } from './command';
import { CsrModule, type CsrModuleOptions } from './csr';
import { type DeviceServiceInfoModule, type ModuleEventSink } from './device-module';
import { DownloadModule } from './download';
import { DeviceSandbox } from './sandbox';
import { UploadModule } from './upload';
import { WgetModule, type WgetModuleOptions } from './wget';

export interface StandardModulesOptions {
  /** The device folder: downloads land here, uploads come from here, commands run only from here. */
  folder: string;
  events?: ModuleEventSink;
  command?: CommandModuleOptions;
  csr?: CsrModuleOptions;
  wget?: WgetModuleOptions;
}

/** fdo.download, fdo.upload, fdo.command, fdo.wget and fdo.csr, all confined to one folder. */
export function standardDeviceModules(options: StandardModulesOptions): DeviceServiceInfoModule[] {
  const sandbox = new DeviceSandbox(options.folder);
  const events = options.events ?? (() => undefined);
  return [
    new DownloadModule(sandbox, events),
    new UploadModule(sandbox, events),
    new CommandModule(sandbox, events, options.command),
    new WgetModule(sandbox, events, options.wget),
    new CsrModule(sandbox, events, options.csr),
  ];
}
