import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeErrorMessage, ErrorCode, MessageType } from '@ztp/protocol';
import { testCertificate } from '@ztp/persistence';
import { freePort, Target } from './harness';

const MiB = 1024 * 1024;
/** Chunks streamed before giving up: a listener that reads this far does not stop at its limit. */
const STREAM_LIMIT = 64 * MiB;

interface Streamed {
  /** Bytes of body written before the server closed the connection (or the limit was reached). */
  sent: number;
  /** Everything the server answered, head and body. */
  answer: Buffer;
  closedByServer: boolean;
}

/**
 * Streams a chunked body of 1 MiB chunks (never allocating more than one) until the server closes
 * the connection or STREAM_LIMIT is reached, as the 4 GiB attack did.
 */
function streamChunked(url: string, path: string, headers: Record<string, string>): Promise<Streamed> {
  const { hostname, port, protocol } = new URL(url);
  const chunk = Buffer.alloc(MiB, 0x41);
  const frame = Buffer.concat([Buffer.from(`${MiB.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  return new Promise((resolve) => {
    const socket =
      protocol === 'https:'
        ? connectTls({ host: hostname, port: Number(port), rejectUnauthorized: false })
        : connect(Number(port), hostname);
    const answer: Buffer[] = [];
    let sent = 0;
    let done = false;
    let answered = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ sent, answer: Buffer.concat(answer), closedByServer });
    };
    // Like a sane client, stop sending once the answer starts (the server is not reading any more;
    // sending on would only race its close against our reading of the answer).
    socket.on('data', (data: Buffer) => {
      answer.push(data);
      answered = true;
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on(protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      const head = [
        `POST ${path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Transfer-Encoding: chunked',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      const pump = () => {
        while (!done && !answered && sent < STREAM_LIMIT) {
          sent += MiB;
          if (!socket.write(frame)) return void socket.once('drain', pump);
        }
        if (sent >= STREAM_LIMIT) setTimeout(() => finish(false), 2_000);
        else if (answered) setTimeout(() => finish(false), 5_000);
      };
      pump();
    });
  });
}

function split(answer: Buffer): { status: number; headers: string; body: Buffer } {
  const end = answer.indexOf('\r\n\r\n');
  const head = answer.subarray(0, end).toString('latin1');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    headers: head,
    body: answer.subarray(end + 4),
  };
}

function unchunk(body: Buffer, headers: string): Buffer {
  if (!/transfer-encoding: chunked/i.test(headers)) return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const line = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, line).toString(), 16);
    if (!size) break;
    parts.push(body.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

describe(`every listener stops reading at its body limit (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-adversarial-listeners-'));
  let target: Target;
  const tlsPorts = { rendezvous: 0, onboarding: 0 };

  beforeAll(async () => {
    // The SZTP HTTPS listeners (IDevID client certificates) run too, on their own ports.
    const server = await testCertificate({ subject: 'CN=127.0.0.1', ipAddresses: ['127.0.0.1'] });
    writeFileSync(join(dataDir, 'sztp.pem'), server.pem);
    writeFileSync(join(dataDir, 'sztp.key'), server.keyPem);
    tlsPorts.rendezvous = await freePort();
    tlsPorts.onboarding = await freePort();
    target = await Target.start(dataDir, {
      SZTP_TLS_CERT_FILE: join(dataDir, 'sztp.pem'),
      SZTP_TLS_KEY_FILE: join(dataDir, 'sztp.key'),
      RENDEZVOUS_SZTP_TLS_PORT: String(tlsPorts.rendezvous),
      OWNER_ONBOARDING_SZTP_TLS_PORT: String(tlsPorts.onboarding),
    });
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const fdo: [string, keyof Target['urls'], number][] = [
    ['DI on the voucher service', 'voucher', MessageType.DIAppStart],
    ['TO1 on the rendezvous server', 'rendezvous', MessageType.TO1HelloRV],
    ['TO0 on the rendezvous server', 'rendezvous', MessageType.TO0OwnerSign],
    ['TO2 on owner onboarding', 'onboarding', MessageType.TO2HelloDevice],
  ];
  it.each(fdo)(
    'FDO (%s): a chunked body over 64 KiB is answered 255/100 and the connection closed',
    async (_what, app, type) => {
      const streamed = await streamChunked(target.urls[app], `/fdo/101/msg/${type}`, {
        'Content-Type': 'application/cbor',
      });
      expect(streamed.closedByServer).toBe(true);
      expect(streamed.sent).toBeLessThan(STREAM_LIMIT);
      const { status, headers, body } = split(streamed.answer);
      expect(status).toBe(200);
      expect(headers).toMatch(/message-type: 255/i);
      expect(headers).toMatch(/connection: close/i);
      const error = decodeErrorMessage(new Uint8Array(unchunk(body, headers)));
      expect(error.code).toBe(ErrorCode.MessageBodyError);
      expect(await target.alive()).toBe(true);
    },
  );

  it.each([
    ['voucher service', 'voucher', '/v1/tenants'],
    ['rendezvous admin', 'rendezvous', '/v1/rendezvous/policy/entries'],
    ['owner onboarding', 'onboarding', '/v1/anything'],
  ] as const)(
    'REST (%s): a chunked JSON body over MAX_BODY_BYTES is a 413 problem, connection closed',
    async (_what, app, path) => {
      const streamed = await streamChunked(target.urls[app], path, { 'Content-Type': 'application/json' });
      expect(streamed.closedByServer).toBe(true);
      expect(streamed.sent).toBeLessThan(STREAM_LIMIT);
      const { status, headers } = split(streamed.answer);
      expect(status).toBe(413);
      expect(headers).toMatch(/content-type: application\/problem\+json/i);
      expect(await target.alive()).toBe(true);
    },
  );

  it.each([
    ['redirect server (rendezvous)', 'rendezvous'],
    ['bootstrap server (owner onboarding)', 'onboarding'],
  ] as const)(
    'SZTP RESTCONF (%s, HTTP and HTTPS listeners): a chunked body over the limit is a 413 too-big RESTCONF error, connection closed',
    async (_what, app) => {
      for (const [url, contentType] of [
        [target.urls[app], 'application/yang-data+json'],
        [target.urls[app], 'application/json'],
        [`https://127.0.0.1:${tlsPorts[app]}`, 'application/yang-data+json'],
      ] as const) {
        const streamed = await streamChunked(
          url,
          '/restconf/operations/ietf-sztp-bootstrap-server:get-bootstrapping-data',
          { 'Content-Type': contentType, Accept: 'application/yang-data+json' },
        );
        expect(streamed.closedByServer).toBe(true);
        expect(streamed.sent).toBeLessThan(STREAM_LIMIT);
        const { status, headers, body } = split(streamed.answer);
        expect(status).toBe(413);
        expect(headers).toMatch(/content-type: application\/yang-data\+json/i);
        expect(unchunk(body, headers).toString()).toMatch(/"error-tag":\s*"too-big"/);
      }
      expect(await target.alive()).toBe(true);
    },
  );

  it('wrote no error-level log line under any of it', () => {
    expect(target.errorLines()).toEqual([]);
  });
});
