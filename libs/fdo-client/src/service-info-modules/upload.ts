import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { asBool, asText, type CborValue } from '@ztp/protocol';
import { type DeviceServiceInfoModule, type ModuleEventSink, type Respond } from './device-module';
import { type DeviceSandbox } from './sandbox';

const CHUNK = 1014;

/**
 * fdo.upload on the device: `need-sha` first, then `name` starts the upload of that file from the
 * device folder: `length`, `data` chunks of up to 1014 bytes, and `sha-384` when asked. A file the
 * device cannot (or may not) read is answered with length -1.
 */
export class UploadModule implements DeviceServiceInfoModule {
  readonly name = 'fdo.upload';
  private needSha = false;

  constructor(
    private readonly sandbox: DeviceSandbox,
    private readonly events: ModuleEventSink,
  ) {}

  async receive(message: string, body: CborValue, respond: Respond): Promise<void> {
    if (message === 'need-sha') {
      this.needSha = asBool(body, 'fdo.upload:need-sha');
      return;
    }
    if (message !== 'name') return;
    const name = asText(body, 'fdo.upload:name');
    let content: Buffer;
    try {
      content = readFileSync(this.sandbox.resolve(name));
    } catch (err) {
      this.events({ module: this.name, kind: 'refused', detail: `${name}: ${(err as Error).message}` });
      respond('length', -1);
      return;
    }
    respond('length', content.length);
    for (let offset = 0; offset < content.length; offset += CHUNK)
      respond('data', new Uint8Array(content.subarray(offset, offset + CHUNK)));
    if (this.needSha) respond('sha-384', new Uint8Array(createHash('sha384').update(content).digest()));
    this.events({ module: this.name, kind: 'uploaded', detail: `${name} (${content.length} bytes)` });
    this.needSha = false;
  }
}
