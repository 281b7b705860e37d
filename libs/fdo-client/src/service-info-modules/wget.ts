import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { asBytes, asText, type CborValue } from '@ztp/protocol';
import { type DeviceServiceInfoModule, type ModuleEventSink, type Respond } from './device-module';
import { type DeviceSandbox } from './sandbox';

export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface WgetModuleOptions {
  fetch?: FetchFunction;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Largest file accepted. Default 16 MiB. */
  maxBytes?: number;
}

/**
 * fdo.wget on the device: `name` and optional `sha-384` first; `url` makes the device fetch the file
 * itself over HTTP(S), outside the FDO tunnel, check it and store it in its folder, then answer
 * `done` with the length or `error` with the reason.
 */
export class WgetModule implements DeviceServiceInfoModule {
  readonly name = 'fdo.wget';
  private fileName = '';
  private sha384: Uint8Array | null = null;

  constructor(
    private readonly sandbox: DeviceSandbox,
    private readonly events: ModuleEventSink,
    private readonly options: WgetModuleOptions = {},
  ) {}

  async receive(message: string, body: CborValue, respond: Respond): Promise<void> {
    switch (message) {
      case 'name':
        this.fileName = asText(body, 'fdo.wget:name');
        return;
      case 'sha-384':
        this.sha384 = asBytes(body, 'fdo.wget:sha-384');
        return;
      case 'url': {
        const url = asText(body, 'fdo.wget:url');
        try {
          const length = await this.fetchInto(url);
          respond('done', length);
          this.events({
            module: this.name,
            kind: 'fetched',
            detail: `${url} -> ${this.fileName} (${length} bytes)`,
          });
        } catch (err) {
          const reason = (err as Error).message;
          respond('error', reason);
          this.events({ module: this.name, kind: 'refused', detail: `${url}: ${reason}` });
        } finally {
          this.fileName = '';
          this.sha384 = null;
        }
        return;
      }
      default:
        return;
    }
  }

  private async fetchInto(url: string): Promise<number> {
    if (!/^https?:\/\//i.test(url)) throw new Error('only http and https URLs are fetched');
    const path = this.sandbox.resolve(this.fileName || new URL(url).pathname.split('/').pop() || 'download');
    const fetchFn = this.options.fetch ?? ((u: string, init: RequestInit) => globalThis.fetch(u, init));
    const response = await fetchFn(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const content = new Uint8Array(await response.arrayBuffer());
    if (content.length > (this.options.maxBytes ?? 16 * 1024 * 1024)) throw new Error('file too large');
    const digest = createHash('sha384').update(content).digest();
    if (this.sha384 && (this.sha384.length !== digest.length || !timingSafeEqual(this.sha384, digest)))
      throw new Error('SHA-384 mismatch');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.part`, content, { mode: 0o600 });
    renameSync(`${path}.part`, path);
    return content.length;
  }
}
