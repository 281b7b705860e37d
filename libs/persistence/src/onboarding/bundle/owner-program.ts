import {
  asArray,
  asBool,
  asBytes,
  asText,
  asUint,
  CborError,
  decode,
  encode,
  type CborValue,
  type ServiceInfoKv,
} from '@ztp/protocol';

/**
 * The owner's side of a TO2 ServiceInfo exchange for one device, as rendered into a bundle: steps
 * run one after the other, each sending its module's messages and then waiting for the device's
 * answer (`await`). A download's file bytes are not copied into every bundle: the step names the
 * config_file and its data messages are produced when it is delivered.
 */
export type StepAwait =
  /** fdo.download:done with the file length. */
  | { kind: 'download'; length: number }
  /** fdo.wget:done, or fdo.wget:error. */
  | { kind: 'wget' }
  /** fdo.command:exitcode (stdout/stderr collected meanwhile). */
  | { kind: 'command'; mayFail: boolean }
  /** fdo.upload:length, :data..., then :sha-384 when asked for. */
  | { kind: 'upload'; name: string; needSha: boolean }
  /** fdo.csr requests from the device until a certificate has been issued. */
  | { kind: 'csr'; validityDays: number };

export interface ProgramStep {
  /** FSIM name, e.g. "fdo.download". */
  module: string;
  /** For people: "download /etc/app.conf (120 bytes)". */
  description: string;
  /** The step's messages in order (for a download, those before the data). */
  kvs: ServiceInfoKv[];
  /** fdo.download: the config_file whose content follows as fdo.download:data. */
  fileId: string | null;
  await: StepAwait;
}

export interface OwnerProgram {
  steps: ProgramStep[];
}

const FORMAT_VERSION = 1;

export function encodeOwnerProgram(program: OwnerProgram): Uint8Array {
  return encode([
    FORMAT_VERSION,
    program.steps.map((step) => [
      step.module,
      step.description,
      step.kvs.map((kv) => [kv.key, kv.value]),
      step.fileId,
      awaitToCbor(step.await),
    ]),
  ]);
}

export function decodeOwnerProgram(bytes: Uint8Array): OwnerProgram {
  const [version, steps] = asArray(decode(bytes), 'owner program', 2);
  if (asUint(version, 'owner program version') !== FORMAT_VERSION)
    throw new CborError('unexpected-type', 'owner program: unknown format version');
  return {
    steps: asArray(steps, 'owner program steps').map((value, i) => {
      const what = `owner program step ${i}`;
      const [module, description, kvs, fileId, wait] = asArray(value, what, 5);
      return {
        module: asText(module, `${what}.module`),
        description: asText(description, `${what}.description`),
        kvs: asArray(kvs, `${what}.kvs`).map((kv, k) => {
          const [key, val] = asArray(kv, `${what}.kvs[${k}]`, 2);
          return { key: asText(key, `${what}.key`), value: asBytes(val, `${what}.value`) };
        }),
        fileId: fileId === null ? null : asText(fileId, `${what}.fileId`),
        await: awaitFromCbor(wait, `${what}.await`),
      };
    }),
  };
}

function awaitToCbor(wait: StepAwait): CborValue {
  switch (wait.kind) {
    case 'download':
      return [wait.kind, wait.length];
    case 'wget':
      return [wait.kind];
    case 'command':
      return [wait.kind, wait.mayFail];
    case 'upload':
      return [wait.kind, wait.name, wait.needSha];
    case 'csr':
      return [wait.kind, wait.validityDays];
  }
}

function awaitFromCbor(value: CborValue, what: string): StepAwait {
  const items = asArray(value, what);
  const kind = asText(items[0], `${what}.kind`);
  switch (kind) {
    case 'download':
      return { kind, length: asUint(items[1], `${what}.length`) };
    case 'wget':
      return { kind };
    case 'command':
      return { kind, mayFail: asBool(items[1], `${what}.mayFail`) };
    case 'upload':
      return { kind, name: asText(items[1], `${what}.name`), needSha: asBool(items[2], `${what}.needSha`) };
    case 'csr':
      return { kind, validityDays: asUint(items[1], `${what}.validityDays`) };
    default:
      throw new CborError('unexpected-type', `${what}: unknown step kind ${kind}`);
  }
}
