import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { type CliIo } from '../io';
import { registerFleetCommands } from './fleet';

function harness(answer: { status: number; body: unknown }) {
  const out: string[] = [];
  const requests: { url: string; auth: string | null }[] = [];
  const io: CliIo = {
    stdout: (data) => out.push(String(data)),
    stderr: () => undefined,
    readFile: () => new Uint8Array(),
    writeFile: () => undefined,
  };
  const program = new Command('ztp').exitOverride();
  registerFleetCommands(program, io, async (url, init) => {
    requests.push({ url, auth: new Headers(init.headers).get('authorization') });
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  });
  return { program, out, requests };
}

const PAGE = {
  items: [
    {
      id: 'd1',
      protocol: 'fdo',
      guid: 'ab'.repeat(16),
      serialNumber: 'SN-1',
      lifecycle: 'owned',
      lastResult: 'failed',
      lastEvent: { type: 'to1.failed', errorCode: 6, reason: 'no rendezvous registration' },
    },
  ],
  nextCursor: null,
};

describe('ztp device list / events', () => {
  it('lists failed devices as a table, with the filters as query parameters', async () => {
    const { program, out, requests } = harness({ status: 200, body: PAGE });
    await program.parseAsync(
      ['device', 'list', '--result', 'failed', '--error-code', '6', '--api-key', 'k', '--url', 'http://vs'],
      {
        from: 'user',
      },
    );
    expect(requests).toEqual([{ url: 'http://vs/v1/devices?result=failed&errorCode=6', auth: 'Bearer k' }]);
    const text = out.join('');
    expect(text).toMatch(/^ID\s+PROTOCOL\s+GUID/);
    expect(text).toContain('to1.failed');
    expect(text).toContain('no rendezvous registration');
  });

  it('prints the API answer with --output json, and refuses other formats', async () => {
    const { program, out } = harness({ status: 200, body: PAGE });
    await program.parseAsync(['device', 'events', 'd1', '-o', 'json', '--api-key', 'k'], { from: 'user' });
    expect(JSON.parse(out.join(''))).toEqual(PAGE);
    const other = harness({ status: 200, body: PAGE });
    await expect(
      other.program.parseAsync(['device', 'list', '-o', 'xml', '--api-key', 'k'], { from: 'user' }),
    ).rejects.toThrow(/json or table/);
  });

  it('says what the server refused', async () => {
    const { program } = harness({ status: 404, body: { detail: 'No device x' } });
    await expect(
      program.parseAsync(['device', 'events', 'x', '--api-key', 'k'], { from: 'user' }),
    ).rejects.toThrow(/404 No device x/);
  });
});
