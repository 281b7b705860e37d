import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CborValue, encode } from '@ztp/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandModule } from './command';
import { type ModuleEvent } from './device-module';
import { DownloadModule } from './download';
import { DeviceSandbox, SandboxEscapeError } from './sandbox';
import { UploadModule } from './upload';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function setup() {
  const folder = mkdtempSync(join(tmpdir(), 'ztp-sandbox-'));
  folders.push(folder);
  const events: ModuleEvent[] = [];
  const replies: [string, CborValue][] = [];
  return {
    folder,
    sandbox: new DeviceSandbox(folder),
    events,
    sink: (event: ModuleEvent) => events.push(event),
    replies,
    respond: (message: string, body: CborValue) => replies.push([message, body]),
  };
}

describe('DeviceSandbox', () => {
  it('keeps names inside the folder, through symbolic links too', () => {
    const { sandbox, folder } = setup();
    expect(sandbox.resolve('a/b.txt')).toBe(join(sandbox.root, 'a/b.txt'));
    expect(() => sandbox.resolve('../x')).toThrow(SandboxEscapeError);
    expect(() => sandbox.resolve('/etc/passwd')).toThrow(SandboxEscapeError);
    symlinkSync('/etc', join(folder, 'link'));
    expect(() => sandbox.resolve('link/passwd')).toThrow(SandboxEscapeError);
  });
});

describe('device FSIMs', () => {
  it('fdo.download writes a checked file, and answers -1 for a bad checksum or an escaping name', async () => {
    const { sandbox, sink, respond, replies, folder } = setup();
    const download = new DownloadModule(sandbox, sink);
    const content = Buffer.from('hello');
    const send = async (name: string, sha: Uint8Array) => {
      await download.receive('name', name, respond);
      await download.receive('length', content.length, respond);
      await download.receive('sha-384', sha, respond);
      await download.receive('data', new Uint8Array(content), respond);
    };
    await send('ok.txt', createHash('sha384').update(content).digest());
    await send('bad.txt', new Uint8Array(48));
    await send('../escape.txt', createHash('sha384').update(content).digest());
    expect(replies).toEqual([
      ['done', 5],
      ['done', -1],
      ['done', -1],
    ]);
    expect(readFileSync(join(folder, 'ok.txt'), 'utf8')).toBe('hello');
    expect(existsSync(join(folder, 'bad.txt'))).toBe(false);
  });

  it('fdo.command refuses anything but an executable inside the folder, and runs without a shell', async () => {
    const { sandbox, sink, respond, replies, folder, events } = setup();
    const command = new CommandModule(sandbox, sink);
    const run = async (cmd: string, args: string[] = []) => {
      await command.receive('command', cmd, respond);
      await command.receive('args', encode(args), respond);
      await command.receive('return_stdout', true, respond);
      await command.receive('execute', null, respond);
    };
    await run('/bin/sh', ['-c', 'touch pwned']);
    await run('sh');
    writeFileSync(join(folder, 'echo.sh'), '#!/bin/sh\necho "$1"\n', { mode: 0o755 });
    await run('echo.sh', ['$(touch pwned); x']);
    expect(replies).toEqual([
      ['exitcode', 126],
      ['exitcode', 126],
      ['stdout', new Uint8Array(Buffer.from('$(touch pwned); x\n'))],
      ['exitcode', 0],
    ]);
    expect(existsSync(join(folder, 'pwned'))).toBe(false);
    expect(events.filter((event) => event.kind === 'refused')).toHaveLength(2);
  });

  it('fdo.upload sends length, chunks and the checksum, or -1 for a file it may not read', async () => {
    const { sandbox, sink, respond, replies, folder } = setup();
    const upload = new UploadModule(sandbox, sink);
    writeFileSync(join(folder, 'log.txt'), Buffer.alloc(2000, 1));
    await upload.receive('need-sha', true, respond);
    await upload.receive('name', 'log.txt', respond);
    await upload.receive('name', '../../etc/hostname', respond);
    expect(replies.map(([message]) => message)).toEqual(['length', 'data', 'data', 'sha-384', 'length']);
    expect(replies.at(-1)).toEqual(['length', -1]);
  });
});
