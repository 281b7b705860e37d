import { encodeErrorMessage, ErrorCode, newErrorMessage } from '@ztp/protocol';
import { describe, expect, it } from 'vitest';
import { FdoErrorReply, FdoHttpSession, FdoTransportError, type Fetch } from './http-transport';

function reply(type: number, body: Uint8Array, headers: Record<string, string> = {}, status = 200) {
  return new Response(body, { status, headers: { 'message-type': String(type), ...headers } });
}

describe('FdoHttpSession', () => {
  it('posts CBOR to /fdo/101/msg/N and echoes the bearer token from the first reply', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const fetch: Fetch = async (url, init) => {
      seen.push({ url, headers: init.headers as Record<string, string> });
      return reply(seen.length === 1 ? 21 : 23, Uint8Array.of(0x80), { authorization: 'Bearer tok-1' });
    };
    const session = new FdoHttpSession({ baseUrl: 'http://rv.example:8040/', fetch });
    expect((await session.send(20, Uint8Array.of(0x80), 21)).type).toBe(21);
    await session.send(22, Uint8Array.of(0x80), 23);
    expect(seen[0]!.url).toBe('http://rv.example:8040/fdo/101/msg/20');
    expect(seen[0]!.headers['content-type']).toBe('application/cbor');
    expect(seen[0]!.headers['authorization']).toBeUndefined();
    expect(seen[1]!.headers['authorization']).toBe('Bearer tok-1');
  });

  it('turns a 255 reply into FdoErrorReply with the code', async () => {
    const body = encodeErrorMessage(newErrorMessage(ErrorCode.ResourceNotFound, 30, 'not found'));
    const session = new FdoHttpSession({ baseUrl: 'http://x', fetch: async () => reply(255, body) });
    const attempt = session.send(30, Uint8Array.of(0x80));
    await expect(attempt).rejects.toBeInstanceOf(FdoErrorReply);
    await expect(attempt).rejects.toMatchObject({ code: ErrorCode.ResourceNotFound });
  });

  it('refuses an unexpected reply type and a non-FDO HTTP error', async () => {
    const wrongType = new FdoHttpSession({
      baseUrl: 'http://x',
      fetch: async () => reply(33, Uint8Array.of(0x80)),
    });
    await expect(wrongType.send(30, Uint8Array.of(0x80), 31)).rejects.toBeInstanceOf(FdoTransportError);
    const http500 = new FdoHttpSession({
      baseUrl: 'http://x',
      fetch: async () => new Response('oops', { status: 500 }),
    });
    await expect(http500.send(30, Uint8Array.of(0x80))).rejects.toThrow(/HTTP 500/);
  });
});
