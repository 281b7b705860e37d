import { CborError, decode } from '@ztp/protocol';
import { describe, expect, it } from 'vitest';
import {
  commandMessages,
  downloadData,
  downloadHeader,
  FSIM_DATA_CHUNK,
  wgetMessages,
} from './fsim-messages';
import { decodeOwnerProgram, encodeOwnerProgram, type OwnerProgram } from './owner-program';

describe('owner program codec', () => {
  it('round-trips every step kind', () => {
    const program: OwnerProgram = {
      steps: [
        {
          module: 'fdo.csr',
          description: 'c',
          kvs: [],
          fileId: null,
          await: { kind: 'csr', validityDays: 30 },
        },
        {
          module: 'fdo.download',
          description: 'd',
          kvs: downloadHeader('f', 3, new Uint8Array(48)),
          fileId: 'file-1',
          await: { kind: 'download', length: 3 },
        },
        { module: 'fdo.wget', description: 'w', kvs: [], fileId: null, await: { kind: 'wget' } },
        {
          module: 'fdo.command',
          description: 'x',
          kvs: [],
          fileId: null,
          await: { kind: 'command', mayFail: true },
        },
        {
          module: 'fdo.upload',
          description: 'u',
          kvs: [],
          fileId: null,
          await: { kind: 'upload', name: 'log', needSha: false },
        },
      ],
    };
    expect(decodeOwnerProgram(encodeOwnerProgram(program))).toEqual(program);
  });

  it('refuses an unknown format', () => {
    expect(() => decodeOwnerProgram(new Uint8Array([0x82, 0x02, 0x80]))).toThrow(CborError);
  });
});

describe('FSIM messages', () => {
  it('chunks download data at 1014 bytes and sends one empty chunk for an empty file', () => {
    const kvs = downloadData(new Uint8Array(2 * FSIM_DATA_CHUNK + 5));
    expect(kvs.map((kv) => (decode(kv.value) as Uint8Array).length)).toEqual([1014, 1014, 5]);
    expect(downloadData(new Uint8Array(0)).map((kv) => decode(kv.value))).toEqual([new Uint8Array(0)]);
  });

  it('sends fdo.command:args as a byte string wrapping a CBOR array, and execute last', () => {
    const kvs = commandMessages({
      command: 'date',
      args: ['+%s'],
      mayFail: false,
      returnStdout: true,
      returnStderr: true,
    });
    const args = kvs.find((kv) => kv.key === 'fdo.command:args')!;
    // Same bytes as go-fdo's capture: h'4581632b2573'.
    expect(Buffer.from(args.value).toString('hex')).toBe('4581632b2573');
    expect(kvs.at(-1)!.key).toBe('fdo.command:execute');
  });

  it('sends the wget url after the name and the checksum', () => {
    expect(wgetMessages('http://x/y', 'y', new Uint8Array(48)).map((kv) => kv.key)).toEqual([
      'fdo.wget:active',
      'fdo.wget:name',
      'fdo.wget:sha-384',
      'fdo.wget:url',
    ]);
  });
});
