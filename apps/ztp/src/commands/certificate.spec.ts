import { describe, expect, it } from 'vitest';
import { CliFailure, type CliIo } from '../io';
import { revokeCertificates } from './certificate';

function bufferIo(): CliIo & { out: string } {
  const io = {
    out: '',
    stdout: (data: string | Uint8Array) => void (io.out += String(data)),
    stderr: () => undefined,
    readFile: () => new Uint8Array(),
    writeFile: () => undefined,
  };
  return io;
}

describe('ztp certificate revoke', () => {
  it('posts the reason to the serial or device route with the API key, and prints the answer', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchImpl = async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ revoked: [] }), { status: 200 });
    };
    const io = bufferIo();
    await revokeCertificates(
      io,
      '0A:1B',
      { url: 'http://vs/', reason: 'keyCompromise', apiKey: 'k' },
      fetchImpl,
    );
    await revokeCertificates(
      io,
      undefined,
      { url: 'http://vs', device: 'g', reason: 'superseded' },
      fetchImpl,
      {
        ZTP_API_KEY: 'env-key',
      },
    );
    expect(calls.map((c) => c.url)).toEqual([
      'http://vs/v1/onboarding/certificates/0A%3A1B/revoke',
      'http://vs/v1/onboarding/devices/g/certificates/revoke',
    ]);
    expect(calls[0]!.init.body).toBe('{"reason":"keyCompromise"}');
    expect((calls[1]!.init.headers as Record<string, string>)['Authorization']).toBe('Bearer env-key');
    expect(io.out).toContain('"revoked"');
  });

  it('explains refusals and bad usage', async () => {
    const refusing = async () =>
      new Response(JSON.stringify({ title: 'Conflict', detail: 'certificate 0a was revoked at ...' }), {
        status: 409,
      });
    await expect(
      revokeCertificates(
        bufferIo(),
        '0a',
        { url: 'http://vs', reason: 'unspecified', apiKey: 'k' },
        refusing,
      ),
    ).rejects.toThrow('revocation refused (409): certificate 0a was revoked at ...');
    await expect(
      revokeCertificates(bufferIo(), '0a', {
        url: 'http://vs',
        device: 'd',
        reason: 'unspecified',
        apiKey: 'k',
      }),
    ).rejects.toBeInstanceOf(CliFailure);
    await expect(
      revokeCertificates(bufferIo(), '0a', { url: 'http://vs', reason: 'unspecified' }, refusing, {}),
    ).rejects.toThrow('an API key is needed');
  });
});
