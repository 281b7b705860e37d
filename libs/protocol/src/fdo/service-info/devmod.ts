import { asArray, asBool, asBytes, asText, CborError, encode, type CborValue } from '../../cbor';
import { ErrorCode } from '../constants';
import { FdoMessageError } from '../messages/errors';
import { readUintMax } from '../messages/fields';
import { chunkServiceInfo } from './chunker';
import {
  DEFAULT_MAX_SERVICE_INFO_SIZE,
  serviceInfoKey,
  type ServiceInfo,
  type ServiceInfoKv,
} from './service-info';
import { cborHeadSize, kvSizeFor } from './size';

/**
 * devmod, the module every device sends first in TO2 (FDO 1.1 section 3.9; go-fdo
 * serviceinfo/devmod.go). nummodules and the module list are derived from `modules`.
 */
export interface Devmod {
  os: string;
  arch: string;
  version: string;
  device: string;
  /** File-name list separator, e.g. ";". */
  sep: string;
  bin: string;
  /** Serial number: text, or bytes as go-fdo sends it. */
  sn?: string | Uint8Array;
  pathsep?: string;
  nl?: string;
  tmp?: string;
  dir?: string;
  progenv?: string;
  mudurl?: string;
  /** Every module the device supports, including "devmod". */
  modules: string[];
}

export const DEVMOD = 'devmod';

const REQUIRED_TEXT = ['os', 'arch', 'version', 'device', 'sep', 'bin'] as const;
const OPTIONAL_TEXT = ['pathsep', 'nl', 'tmp', 'dir', 'progenv', 'mudurl'] as const;

function kv(message: string, body: CborValue): ServiceInfoKv {
  return { key: serviceInfoKey(DEVMOD, message), value: encode(body) };
}

export interface DevmodChunkOptions {
  /** The owner's maxDeviceServiceInfoSz (default 1300). */
  maxSize?: number;
  /** Cap on names per devmod:modules message, e.g. for owners that parse small chunks only. */
  maxModulesPerChunk?: number;
}

/** Descriptor keys in go-fdo's order, so a device built on this sends the same bytes go-fdo does. */
const DESCRIPTOR_ORDER = [
  'os',
  'arch',
  'version',
  'device',
  'sn',
  'pathsep',
  'sep',
  'nl',
  'tmp',
  'dir',
  'progenv',
  'bin',
  'mudurl',
] as const;

/**
 * The device's devmod messages, chunked for sending: active, the descriptive keys and nummodules,
 * then, starting a fresh message as go-fdo does, devmod:modules as `[start, count, name...]` chunks,
 * each as long as fits one ServiceInfo.
 */
export function devmodServiceInfo(devmod: Devmod, options: DevmodChunkOptions = {}): ServiceInfo[] {
  const maxSize = options.maxSize ?? DEFAULT_MAX_SERVICE_INFO_SIZE;
  const descriptors: ServiceInfoKv[] = [kv('active', true)];
  for (const field of DESCRIPTOR_ORDER) {
    const value = devmod[field];
    if (value !== undefined) descriptors.push(kv(field, value));
  }
  descriptors.push(kv('nummodules', devmod.modules.length));
  const modules = modulesChunks(devmod.modules, maxSize, options.maxModulesPerChunk ?? Infinity);
  return [
    ...chunkServiceInfo(descriptors, { maxSize, splitValues: false }),
    ...chunkServiceInfo(modules, { maxSize, splitValues: false }),
  ];
}

function modulesChunks(modules: string[], maxSize: number, maxPerChunk: number): ServiceInfoKv[] {
  const key = serviceInfoKey(DEVMOD, 'modules');
  const fits = (body: CborValue[]) => kvSizeFor(key, encode(body).length) + cborHeadSize(1) <= maxSize;
  const chunks: ServiceInfoKv[] = [];
  let start = 0;
  while (start < modules.length) {
    const names = [modules[start]!];
    if (!fits([start, 1, ...names]))
      throw new FdoMessageError(
        ErrorCode.InternalServerError,
        `devmod module name "${names[0]}" does not fit a ${maxSize}-byte ServiceInfo`,
      );
    while (start + names.length < modules.length && names.length < maxPerChunk) {
      const next = modules[start + names.length]!;
      if (!fits([start, names.length + 1, ...names, next])) break;
      names.push(next);
    }
    chunks.push(kv('modules', [start, names.length, ...names]));
    start += names.length;
  }
  return chunks;
}

/**
 * Collects devmod messages as they arrive (possibly over several DeviceServiceInfo rounds) into a
 * Devmod. Wrongly typed values are CborErrors; inconsistent module chunks and missing required keys
 * are FdoMessageErrors (MessageBodyError).
 */
export class DevmodCollector {
  private readonly fields = new Map<string, string | Uint8Array | number | boolean>();
  private moduleNames: (string | undefined)[] = [];
  private numModules: number | undefined;

  /** Takes one devmod message body (the `message` part of "devmod:message"). */
  add(message: string, body: CborValue): void {
    const what = `devmod:${message}`;
    switch (message) {
      case 'active':
        if (!asBool(body, what))
          throw new FdoMessageError(ErrorCode.MessageBodyError, `${what} must be true`);
        this.fields.set(message, true);
        return;
      case 'nummodules':
        this.setNumModules(readUintMax(body, 0xffff, what));
        return;
      case 'modules':
        this.addModules(body, what);
        return;
      case 'sn':
        this.fields.set(message, body instanceof Uint8Array ? asBytes(body, what) : asText(body, what));
        return;
      default:
        if (
          (REQUIRED_TEXT as readonly string[]).includes(message) ||
          (OPTIONAL_TEXT as readonly string[]).includes(message)
        )
          this.fields.set(message, asText(body, what));
      // Other devmod keys (future or vendor additions) are ignored, as go-fdo does.
    }
  }

  private setNumModules(n: number): void {
    if (this.moduleNames.length > n)
      throw new FdoMessageError(
        ErrorCode.MessageBodyError,
        `devmod:nummodules ${n} is below the modules listed`,
      );
    this.numModules = n;
    this.moduleNames.length = n;
  }

  private addModules(body: CborValue, what: string): void {
    const chunk = asArray(body, what);
    if (chunk.length < 2)
      throw new CborError('unexpected-type', `${what}: expected [start, count, names...]`);
    const start = readUintMax(chunk[0], 0xffff, `${what}.start`);
    const count = readUintMax(chunk[1], 0xffff, `${what}.count`);
    const names = chunk.slice(2).map((name, i) => asText(name, `${what}[${i + 2}]`));
    if (names.length !== count)
      throw new FdoMessageError(
        ErrorCode.MessageBodyError,
        `${what}: count ${count} but ${names.length} names`,
      );
    const limit = this.numModules ?? 0xffff;
    if (start + count > limit)
      throw new FdoMessageError(
        ErrorCode.MessageBodyError,
        `${what}: modules ${start}..${start + count - 1} beyond ${limit}`,
      );
    names.forEach((name, i) => {
      if (this.moduleNames[start + i] !== undefined)
        throw new FdoMessageError(ErrorCode.MessageBodyError, `${what}: module ${start + i} sent twice`);
      this.moduleNames[start + i] = name;
    });
  }

  /** True once every required key and every announced module name has arrived. */
  get complete(): boolean {
    return this.missing().length === 0;
  }

  /** What is still missing, for diagnostics. */
  missing(): string[] {
    const missing: string[] = ['active', ...REQUIRED_TEXT].filter((field) => !this.fields.has(field));
    if (this.numModules === undefined) missing.push('nummodules');
    else if (Array.from({ length: this.numModules }, (_, i) => this.moduleNames[i]).includes(undefined))
      missing.push('modules');
    return missing;
  }

  /** The collected record; throws FdoMessageError naming what is missing. */
  result(): Devmod {
    const missing = this.missing();
    if (missing.length > 0)
      throw new FdoMessageError(
        ErrorCode.MessageBodyError,
        `devmod incomplete: missing ${missing.join(', ')}`,
      );
    const text = (field: string) => this.fields.get(field) as string;
    const devmod: Devmod = {
      os: text('os'),
      arch: text('arch'),
      version: text('version'),
      device: text('device'),
      sep: text('sep'),
      bin: text('bin'),
      modules: this.moduleNames.slice(0, this.numModules) as string[],
    };
    if (this.fields.has('sn')) devmod.sn = this.fields.get('sn') as string | Uint8Array;
    for (const field of OPTIONAL_TEXT) if (this.fields.has(field)) devmod[field] = text(field);
    return devmod;
  }
}
