import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { asBytes, asInt, asText, concatBytes, type CborValue } from '@ztp/protocol';
import { type DeviceServiceInfoModule, type ModuleEventSink, type Respond } from './device-module';
import { type DeviceSandbox, SandboxEscapeError } from './sandbox';

/**
 * fdo.download on the device: name, length and optional sha-384 first, then data chunks; once the
 * announced length has arrived the file is checked and written into the device folder, and the
 * owner hears `done` with the length (or -1). Files are written mode 0700 so the owner may run a
 * script it sent with fdo.command.
 */
export class DownloadModule implements DeviceServiceInfoModule {
  readonly name = 'fdo.download';
  private fileName = '';
  private length = -1;
  private sha384: Uint8Array | null = null;
  private chunks: Uint8Array[] = [];
  private received = 0;

  constructor(
    private readonly sandbox: DeviceSandbox,
    private readonly events: ModuleEventSink,
  ) {}

  async receive(message: string, body: CborValue, respond: Respond): Promise<void> {
    switch (message) {
      case 'name':
        this.reset();
        this.fileName = asText(body, 'fdo.download:name');
        return;
      case 'length':
        this.length = asInt(body, 'fdo.download:length');
        return;
      case 'sha-384':
        this.sha384 = asBytes(body, 'fdo.download:sha-384');
        return;
      case 'data': {
        const chunk = asBytes(body, 'fdo.download:data');
        this.chunks.push(chunk);
        this.received += chunk.length;
        if (this.length >= 0 && this.received >= this.length) respond('done', this.finish());
        return;
      }
      default:
        return;
    }
  }

  private finish(): number {
    const content = concatBytes(this.chunks);
    const name = this.fileName;
    try {
      if (content.length !== this.length)
        return this.refuse(name, `${content.length} bytes for ${this.length}`);
      const digest = createHash('sha384').update(content).digest();
      if (this.sha384 && (this.sha384.length !== digest.length || !timingSafeEqual(this.sha384, digest)))
        return this.refuse(name, 'SHA-384 mismatch');
      const path = this.sandbox.resolve(name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.part`, content, { mode: 0o700 });
      renameSync(`${path}.part`, path);
      this.events({ module: this.name, kind: 'downloaded', detail: `${name} (${content.length} bytes)` });
      return content.length;
    } catch (err) {
      if (err instanceof SandboxEscapeError) return this.refuse(name, err.message);
      return this.refuse(name, (err as Error).message);
    } finally {
      this.reset();
    }
  }

  private refuse(name: string, why: string): number {
    this.events({ module: this.name, kind: 'refused', detail: `${name}: ${why}` });
    return -1;
  }

  private reset(): void {
    this.fileName = '';
    this.length = -1;
    this.sha384 = null;
    this.chunks = [];
    this.received = 0;
  }
}
