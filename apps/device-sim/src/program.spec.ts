import { describe, expect, it } from 'vitest';
import { type Fetch } from '@ztp/fdo-client';
import { encodeErrorMessage, ErrorCode, MessageType, newErrorMessage } from '@ztp/protocol';
import { type SimIo } from './io';
import { runDeviceSim } from './program';

function bufferIo(interactive = false): SimIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    interactive,
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

/** A DI server that refuses every DI.AppStart the way ours refuses an unknown station. */
const refusingServer: Fetch = async (url) => {
  expect(url).toMatch(/\/fdo\/101\/msg\/10$/);
  const body = encodeErrorMessage(newErrorMessage(ErrorCode.InvalidJwtToken, 10, 'DI refused: no station'));
  return new Response(body, { status: 200, headers: { 'message-type': String(MessageType.Error) } });
};

describe('device-sim CLI', () => {
  it('lists the commands of the registry', async () => {
    const io = bufferIo();
    expect(await runDeviceSim(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/\bdi\b/);
    expect(io.out).toMatch(/\brun\b/);
  });

  it('lists the key types, key exchanges and ciphers, and the device folder rule, in --help', async () => {
    const io = bufferIo();
    expect(await runDeviceSim(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/key types \(--key-type\): +p256, p384, rsa2048, rsa3072/);
    expect(io.out).toMatch(/key exchanges \(--kex\): .*ECDH256.*ASYMKEX3072/);
    expect(io.out).toMatch(/TO2 ciphers \(--cipher\): .*A128GCM/);
    expect(io.out).toContain('Device folder:');
  });

  it('di: reports the FDO error and exits 1', async () => {
    const io = bufferIo();
    expect(await runDeviceSim(['di', '--credential', '/nonexistent/x.json'], io, refusingServer)).toBe(1);
    expect(io.err).toBe('device-sim: FDO 1: DI refused: no station\n');
  });

  it('run: one JSON line per device and a summary with failures by error when not on a terminal', async () => {
    const io = bufferIo();
    expect(await runDeviceSim(['run', '--count', '3', '--concurrency', '2'], io, refusingServer)).toBe(1);
    const lines = io.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => line['event'] === 'device')).toHaveLength(3);
    expect(lines.at(-1)).toMatchObject({
      event: 'summary',
      devices: 3,
      succeeded: 0,
      failed: 3,
      failures: [{ error: 'FDO 1: DI refused: no station', count: 3 }],
      latencyMs: null,
    });
    expect(io.err).toBe('device-sim: 3 of 3 devices failed\n');
  });

  it('run: a progress bar on stderr and a readable summary on a terminal', async () => {
    const io = bufferIo(true);
    await runDeviceSim(['run', '--count', '2'], io, refusingServer);
    expect(io.err).toContain('2/2');
    expect(io.out).toContain('0/2 devices succeeded, 2 failed');
  });

  it('refuses bad flags before touching the network', async () => {
    const io = bufferIo();
    expect(await runDeviceSim(['run', '--count', '0'], io, refusingServer)).not.toBe(0);
    expect(await runDeviceSim(['run', '--count', '1', '--flow', 'nope'], io, refusingServer)).not.toBe(0);
    expect(await runDeviceSim(['di', '--cipher', 'ROT13'], io, refusingServer)).toBe(1);
    expect(io.err).toContain('unknown --cipher ROT13');
  });
});
