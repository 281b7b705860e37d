import { describe, expect, it } from 'vitest';
import { type CliIo } from '../io';
import { runCli } from '../program';
import { callLifecycle } from './device-lifecycle';

function bufferIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (data) => out.push(String(data)),
    stderr: (text) => err.push(text),
    readFile: () => new Uint8Array(),
    writeFile: () => undefined,
  };
}

describe('ztp device lifecycle commands', () => {
  it('refuses a non-GUID and a missing API key before any request', async () => {
    const io = bufferIo();
    expect(await runCli(['device', 'decommission', 'not-a-guid', '--api-key', 'k'], io)).toBe(1);
    expect(io.err.join('')).toMatch(/not a GUID/);
    const saved = process.env['ZTP_API_KEY'];
    delete process.env['ZTP_API_KEY'];
    try {
      expect(await runCli(['device', 'rearm', 'a'.repeat(32)], io)).toBe(1);
      expect(io.err.join('')).toMatch(/--api-key or set ZTP_API_KEY/);
    } finally {
      if (saved !== undefined) process.env['ZTP_API_KEY'] = saved;
    }
    expect(await runCli(['device', 'reonboarding', 'a'.repeat(32), 'sometimes', '--api-key', 'k'], io)).toBe(
      1,
    );
    expect(io.err.join('')).toMatch(/policy must be/);
  });

  it('sends the call with the key and prints the view; a problem becomes its detail', async () => {
    const io = bufferIo();
    const seen: { url: string; init: RequestInit }[] = [];
    const view = await callLifecycle(
      io,
      { method: 'POST', path: '/v1/devices/abc/disable' },
      { url: 'http://vs.example/', apiKey: 'ztp_k' },
      {},
      async (url, init) => {
        seen.push({ url, init });
        return new Response(JSON.stringify({ lifecycle: 'disabled' }), { status: 200 });
      },
    );
    expect(view).toEqual({ lifecycle: 'disabled' });
    expect(seen[0]!.url).toBe('http://vs.example/v1/devices/abc/disable');
    expect((seen[0]!.init.headers as Record<string, string>)['Authorization']).toBe('Bearer ztp_k');
    await expect(
      callLifecycle(io, { method: 'POST', path: '/x' }, { apiKey: 'k' }, {}, async () =>
        Response.json({ title: 'Not allowed in this state', detail: 'the device is owned' }, { status: 409 }),
      ),
    ).rejects.toThrow(/409 Not allowed in this state: the device is owned/);
  });
});
