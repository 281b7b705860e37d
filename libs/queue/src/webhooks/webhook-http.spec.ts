import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  guardedWebhookHttp,
  type WebhookRequest,
  type WebhookResolver,
  WebhookTargetRefused,
} from './webhook-http';
import { WebhookTargetPolicy } from './webhook-target-policy';

const closed = new WebhookTargetPolicy({ allowPrivate: false, allowedCidrs: [] });
/** Closed, but the test receiver on 127.0.0.1 is allowed (as an internal receiver would be). */
const receiverAllowed = new WebhookTargetPolicy({ allowPrivate: false, allowedCidrs: ['127.0.0.1/32'] });

function post(body = '{"n":1}'): WebhookRequest {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5000),
  };
}

/** A resolver answering from a table, recording each name it was asked (".invalid" never resolves in DNS). */
function tableResolver(table: Record<string, string[]>): WebhookResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolver, { asked });
}

describe('guardedWebhookHttp: webhook delivery behind the SSRF guard', () => {
  let receiver: Server;
  let port: number;
  let received: { url: string; headers: IncomingHttpHeaders; body: string }[];
  let answer = 204;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ url: req.url ?? '', headers: req.headers, body });
        res.statusCode = answer;
        if (answer === 302) res.setHeader('Location', `http://127.0.0.1:${port}/elsewhere`);
        res.end('ignored');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => receiver.close(resolve)));
  beforeEach(() => {
    received = [];
    answer = 204;
  });

  it('refuses, without connecting, a name that resolves to a private address', async () => {
    const resolver = tableResolver({ 'hooks.invalid': ['127.0.0.1'] });
    const send = guardedWebhookHttp(closed, resolver);
    const attempt = send(`http://hooks.invalid:${port}/hook`, post());
    await expect(attempt).rejects.toBeInstanceOf(WebhookTargetRefused);
    await expect(attempt).rejects.toThrow('refused: hooks.invalid resolves to a loopback address');
    expect(resolver.asked).toEqual(['hooks.invalid']);
    expect(received).toEqual([]);
  });

  it('refuses a name when any one of its addresses is refused (public first, metadata second)', async () => {
    const resolver = tableResolver({ 'mixed.invalid': ['93.184.215.14', '::ffff:169.254.169.254'] });
    await expect(guardedWebhookHttp(closed, resolver)('https://mixed.invalid/hook', post())).rejects.toThrow(
      'refused: mixed.invalid resolves to a link-local address (cloud metadata lives there) (IPv4-mapped)',
    );
  });

  it('refuses IP literals, credentials and other schemes before resolving anything', async () => {
    const resolver = tableResolver({});
    const send = guardedWebhookHttp(closed, resolver);
    await expect(send(`http://127.0.0.1:${port}/hook`, post())).rejects.toThrow(
      'refused: the webhook URL must not point at a loopback address',
    );
    await expect(send('http://[fd00::1]/hook', post())).rejects.toThrow('unique local');
    await expect(send('https://u:p@hooks.invalid/', post())).rejects.toThrow('must not contain credentials');
    await expect(send('file:///etc/passwd', post())).rejects.toThrow('must be an http or https URL');
    expect(resolver.asked).toEqual([]);
    expect(received).toEqual([]);
  });

  it('refuses a name without addresses and passes on resolver failures', async () => {
    const resolver = tableResolver({ 'empty.invalid': [] });
    const send = guardedWebhookHttp(closed, resolver);
    await expect(send('https://empty.invalid/', post())).rejects.toThrow('empty.invalid has no address');
    await expect(send('https://unknown.invalid/', post())).rejects.toThrow('ENOTFOUND unknown.invalid');
  });

  it('connects to the vetted address, sending the original Host, path and body, resolving once', async () => {
    const resolver = tableResolver({ 'hooks.invalid': ['127.0.0.1'] });
    const result = await guardedWebhookHttp(receiverAllowed, resolver)(
      `http://hooks.invalid:${port}/hook?tenant=a`,
      post('{"signed":true}'),
    );
    expect(result).toEqual({ status: 204 });
    expect(resolver.asked).toEqual(['hooks.invalid']);
    expect(received).toEqual([
      {
        url: '/hook?tenant=a',
        headers: expect.objectContaining({
          host: `hooks.invalid:${port}`,
          'content-type': 'application/json',
          'content-length': '15',
        }),
        body: '{"signed":true}',
      },
    ]);
  });

  it('does not follow redirects: a 3xx is the answer', async () => {
    answer = 302;
    const result = await guardedWebhookHttp(receiverAllowed, tableResolver({}))(
      `http://127.0.0.1:${port}/hook`,
      post(),
    );
    expect(result).toEqual({ status: 302 });
    expect(received.map((r) => r.url)).toEqual(['/hook']);
  });

  it('gives up when the attempt times out while resolving', async () => {
    const hanging: WebhookResolver = () => new Promise(() => undefined);
    await expect(
      guardedWebhookHttp(closed, hanging)('https://slow.invalid/', {
        ...post(),
        signal: AbortSignal.timeout(50),
      }),
    ).rejects.toThrow(/timeout|aborted/i);
  });

  it('over https, names the URL host in SNI while connecting to the vetted address', async () => {
    x509.cryptoProvider.set(webcrypto as never);
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=hooks.invalid',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'hooks.invalid' }])],
    });
    const serverNames: string[] = [];
    const tlsReceiver = createHttpsServer(
      {
        cert: certificate.toString('pem'),
        key: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }),
        SNICallback: (name, done) => {
          serverNames.push(name);
          done(null);
        },
      },
      (_req, res) => res.end(),
    );
    await new Promise<void>((resolve) => tlsReceiver.listen(0, '127.0.0.1', resolve));
    try {
      const tlsPort = (tlsReceiver.address() as { port: number }).port;
      const resolver = tableResolver({ 'hooks.invalid': ['127.0.0.1'] });
      // The certificate is not from a trusted CA, so the attempt fails after the handshake began.
      await expect(
        guardedWebhookHttp(receiverAllowed, resolver)(`https://hooks.invalid:${tlsPort}/hook`, post()),
      ).rejects.toThrow(/self-signed/);
      expect(serverNames).toEqual(['hooks.invalid']);
    } finally {
      await new Promise((resolve) => tlsReceiver.close(resolve));
    }
  });
});
