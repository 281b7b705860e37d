import { encode, serviceInfoKv, type ServiceInfoKv } from '@ztp/protocol';

/**
 * The owner's messages for the standard FSIMs (fido-alliance/fdo-sim fsim-repository), in the
 * order go-fdo's device modules need them: a module acts on its last message (download on data,
 * wget on url, command on execute, upload on name), so everything it depends on comes first.
 */
export const Fsim = {
  download: 'fdo.download',
  wget: 'fdo.wget',
  command: 'fdo.command',
  upload: 'fdo.upload',
  csr: 'fdo.csr',
} as const;
export type FsimName = (typeof Fsim)[keyof typeof Fsim];

/** Largest fdo.download:data / fdo.upload:data chunk the FSIMs allow. */
export const FSIM_DATA_CHUNK = 1014;

export function downloadHeader(name: string, length: number, sha384: Uint8Array): ServiceInfoKv[] {
  return [
    serviceInfoKv(Fsim.download, 'active', true),
    serviceInfoKv(Fsim.download, 'name', name),
    serviceInfoKv(Fsim.download, 'length', length),
    serviceInfoKv(Fsim.download, 'sha-384', sha384),
  ];
}

/** The file content as fdo.download:data messages (one empty chunk for an empty file). */
export function downloadData(content: Uint8Array, chunkSize = FSIM_DATA_CHUNK): ServiceInfoKv[] {
  const kvs: ServiceInfoKv[] = [];
  for (let offset = 0; offset < content.length || offset === 0; offset += chunkSize) {
    kvs.push(serviceInfoKv(Fsim.download, 'data', content.subarray(offset, offset + chunkSize)));
    if (content.length === 0) break;
  }
  return kvs;
}

export function wgetMessages(url: string, name: string, sha384: Uint8Array | null): ServiceInfoKv[] {
  return [
    serviceInfoKv(Fsim.wget, 'active', true),
    serviceInfoKv(Fsim.wget, 'name', name),
    ...(sha384 ? [serviceInfoKv(Fsim.wget, 'sha-384', sha384)] : []),
    serviceInfoKv(Fsim.wget, 'url', url),
  ];
}

export interface CommandSpec {
  command: string;
  args: string[];
  mayFail: boolean;
  returnStdout: boolean;
  returnStderr: boolean;
}

/** `args` travels as a byte string wrapping a CBOR array of text (go-fdo cbor.Bstr[[]string]). */
export function commandMessages(spec: CommandSpec): ServiceInfoKv[] {
  return [
    serviceInfoKv(Fsim.command, 'active', true),
    serviceInfoKv(Fsim.command, 'command', spec.command),
    serviceInfoKv(Fsim.command, 'args', encode(spec.args)),
    serviceInfoKv(Fsim.command, 'may_fail', spec.mayFail),
    serviceInfoKv(Fsim.command, 'return_stdout', spec.returnStdout),
    serviceInfoKv(Fsim.command, 'return_stderr', spec.returnStderr),
    serviceInfoKv(Fsim.command, 'execute', null),
  ];
}

export function uploadMessages(name: string, needSha: boolean): ServiceInfoKv[] {
  return [
    serviceInfoKv(Fsim.upload, 'active', true),
    serviceInfoKv(Fsim.upload, 'need-sha', needSha),
    serviceInfoKv(Fsim.upload, 'name', name),
  ];
}

export function csrActivate(): ServiceInfoKv[] {
  return [serviceInfoKv(Fsim.csr, 'active', true)];
}
