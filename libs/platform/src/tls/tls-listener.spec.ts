import 'reflect-metadata';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyObject, webcrypto } from 'node:crypto';
import { Controller, Get, Global, Module, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import * as x509 from '@peculiar/x509';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CONFIG } from '../tokens';
import { clientCertificateOf } from './client-certificate';
import { TlsListener, TlsListenerModule } from './tls-listener';

x509.cryptoProvider.set(webcrypto as never);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

interface Issued {
  pem: string;
  keyPem: string;
  der: Uint8Array;
  keys: webcrypto.CryptoKeyPair;
  cert: x509.X509Certificate;
}

async function issue(subject: string, issuer?: Issued, ip?: string): Promise<Issued> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Math.floor(Math.random() * 1e9).toString(16),
    subject,
    issuer: issuer?.cert.subject ?? subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey as never,
    signingKey: (issuer?.keys.privateKey ?? keys.privateKey) as never,
    extensions: [
      new x509.BasicConstraintsExtension(!issuer, undefined, true),
      ...(ip ? [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: ip }])] : []),
    ],
  });
  return {
    pem: `${cert.toString('pem')}\n`,
    keyPem: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string,
    der: new Uint8Array(cert.rawData),
    keys,
    cert,
  };
}

@Controller()
class EchoController {
  @Get('restconf/who')
  who(@Req() req: Parameters<typeof clientCertificateOf>[0]) {
    const presented = clientCertificateOf(req, { trustedProxies: ['127.0.0.1'], header: 'x-client-cert' });
    return {
      encrypted: Boolean(req.socket.encrypted),
      leaf: presented ? Buffer.from(presented.leaf).toString('base64') : null,
      chain: presented?.chain.length ?? 0,
    };
  }

  @Get('other')
  other() {
    return { other: true };
  }
}

describe('TlsListenerModule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ztp-tls-'));
  let app: NestExpressApplication;
  let port: number;
  let ca: Issued;
  let server: Issued;
  let clientCa: Issued;
  let client: Issued;

  beforeAll(async () => {
    ca = await issue('CN=Test Server CA');
    server = await issue('CN=localhost', ca, '127.0.0.1');
    clientCa = await issue('CN=Device CA');
    client = await issue('2.5.4.5=SN-1', clientCa);
    writeFileSync(join(dir, 'server.pem'), server.pem + ca.pem);
    writeFileSync(join(dir, 'server.key'), server.keyPem);

    @Global()
    @Module({ providers: [{ provide: APP_CONFIG, useValue: {} }], exports: [APP_CONFIG] })
    class ConfigModule {}

    @Module({
      imports: [
        ConfigModule,
        TlsListenerModule.register({
          name: 'test listener',
          settings: () => ({
            port: 0,
            host: '127.0.0.1',
            certificateFile: join(dir, 'server.pem'),
            privateKeyFile: join(dir, 'server.key'),
            pathPrefixes: ['/restconf'],
          }),
        }),
      ],
      controllers: [EchoController],
    })
    class TestModule {}

    app = await NestFactory.create<NestExpressApplication>(TestModule, {
      logger: false,
      abortOnError: false,
    });
    await app.init();
    port = app.get(TlsListener).address()!.port;
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function get(path: string, options: { cert?: string; key?: string } = {}) {
    return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path, ca: ca.pem, ...options, agent: false },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('serves the app over HTTPS and hands it the client certificate and chain as presented', async () => {
    const res = await get('/restconf/who', { cert: client.pem + clientCa.pem, key: client.keyPem });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ encrypted: true, leaf: Buffer.from(client.der).toString('base64'), chain: 1 });
  });

  it('accepts clients without a certificate or with one nobody trusts (the app decides)', async () => {
    expect((await get('/restconf/who')).body).toEqual({ encrypted: true, leaf: null, chain: 0 });
    const stranger = await issue('CN=stranger');
    const res = await get('/restconf/who', { cert: stranger.pem, key: stranger.keyPem });
    expect(res.body).toMatchObject({ leaf: Buffer.from(stranger.der).toString('base64') });
  });

  it('answers 404 outside its path prefixes', async () => {
    const res = await get('/other');
    expect(res).toEqual({
      status: 404,
      body: { type: 'about:blank', title: 'Not Found', status: 404, instance: '/other' },
    });
  });

  it('never believes the forwarded header over TLS, only from a trusted proxy over plain HTTP', async () => {
    const forwarded = encodeURIComponent(client.pem);
    const viaProxy = await request(app.getHttpServer()).get('/restconf/who').set('X-Client-Cert', forwarded);
    expect(viaProxy.body).toEqual({
      encrypted: false,
      leaf: Buffer.from(client.der).toString('base64'),
      chain: 0,
    });
  });

  it('stops listening when the app closes', async () => {
    const listener = app.get(TlsListener);
    await app.close();
    expect(listener.address()).toBeUndefined();
    await expect(get('/restconf/who')).rejects.toThrow();
  });
});
