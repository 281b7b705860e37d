import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCertificate } from '@ztp/persistence';
import { decodeErrorMessage, encode, MessageType, sztp } from '@ztp/protocol';
import { mutateBytes, mutateText, pool, sample, seededRandom, send, Target, tierSeed } from './harness';

const FDO_PER_TYPE = Number(process.env['ADVERSARIAL_FDO_PER_TYPE'] ?? 5_000);
const PER_BODY = Number(process.env['ADVERSARIAL_PER_BODY'] ?? 2_000);
const CONCURRENCY = 16;
const SEED = tierSeed();
const REPO_ROOT = new URL('../../', import.meta.url).pathname;

const guid = () => new Uint8Array(randomBytes(16));
const bstr = (n: number) => new Uint8Array(randomBytes(n));
const sign1 = () => [bstr(4), new Map([[1, -7]]), bstr(32), bstr(64)];

/** Plausible starting points per message type (shapes of the spec's messages); mutation does the rest. */
const FDO_CORPUS: Record<number, () => unknown[]> = {
  [MessageType.DIAppStart]: () => [[bstr(60)], [encode([1, 'serial', 'model', bstr(91)])]],
  [MessageType.DISetHMAC]: () => [[[6, bstr(32)]], [[5, bstr(48)]]],
  [MessageType.TO0Hello]: () => [[], [0]],
  [MessageType.TO0OwnerSign]: () => [
    [encode([[101, [bstr(64)], guid(), 'dev', [1, 1, bstr(65)]], bstr(16)]), encode(sign1())],
  ],
  [MessageType.TO1HelloRV]: () => [
    [guid(), [-7, new Uint8Array(0)]],
    [guid(), [-37, bstr(16)]],
  ],
  [MessageType.TO1ProveToRV]: () => [sign1()],
  [MessageType.TO2HelloDevice]: () => [[65_535, guid(), bstr(16), 'ECDH256', 1, [-7, new Uint8Array(0)]]],
  [MessageType.TO2GetOVNextEntry]: () => [[0], [255]],
  [MessageType.TO2ProveDevice]: () => [sign1()],
  [MessageType.TO2DeviceServiceInfoReady]: () => [[null, 1300], [[16, bstr(16)]]],
  [MessageType.TO2DeviceServiceInfo]: () => [[false, [['devmod:active', encode(true)]]]],
  [MessageType.TO2Done]: () => [[bstr(16)]],
};
const FDO_APP: Record<number, keyof Target['urls']> = {
  [MessageType.DIAppStart]: 'voucher',
  [MessageType.DISetHMAC]: 'voucher',
  [MessageType.TO0Hello]: 'rendezvous',
  [MessageType.TO0OwnerSign]: 'rendezvous',
  [MessageType.TO1HelloRV]: 'rendezvous',
  [MessageType.TO1ProveToRV]: 'rendezvous',
};

interface Failure {
  input: number;
  what: string;
}

function failureReport(name: string, failures: Failure[]): string {
  return `${name}: ${failures.length} failures; replay with ADVERSARIAL_SEED=${SEED} (first: ${JSON.stringify(failures.slice(0, 5))})`;
}

describe(`seeded mutation fuzz against npm start (seed ${SEED}; ${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-adversarial-fuzz-'));
  let target: Target;
  const keys: Record<string, string> = {};
  const tenantIds: Record<string, string> = {};

  async function rest(credential: string, method: string, path: string, body?: unknown) {
    const answer = await send(
      `${target.urls.voucher}${path}`,
      method,
      {
        Authorization: `Bearer ${credential}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body === undefined ? undefined : JSON.stringify(body),
    );
    return {
      status: answer.status,
      body: answer.body.length ? JSON.parse(answer.body.toString()) : undefined,
    };
  }

  beforeAll(async () => {
    target = await Target.start(dataDir, { LOG_LEVEL: 'error' });
    for (const kind of ['manufacturer', 'owner'] as const) {
      const slug = `fuzz-${kind}`;
      const tenant = await rest(target.operatorKey, 'POST', '/v1/tenants', { kind, name: slug, slug });
      expect(tenant.status).toBe(201);
      tenantIds[kind] = tenant.body.id;
      const key = await rest(target.operatorKey, 'POST', `/v1/tenants/${tenant.body.id}/api-keys`, {
        name: 'admin',
        roles: ['tenant:admin'],
      });
      keys[kind] = key.body.key;
    }
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(Object.keys(FDO_CORPUS).map(Number))(
    `FDO message type %i: ${FDO_PER_TYPE} mutated messages, every one an FDO answer (HTTP 200), no 5xx`,
    async (type) => {
      const random = seededRandom(SEED ^ type);
      const corpus = FDO_CORPUS[type]!().map((value) => encode(value as Parameters<typeof encode>[0]));
      const url = `${target.urls[FDO_APP[type] ?? 'onboarding']}/fdo/101/msg/${type}`;
      const failures: Failure[] = [];
      const inputs = Array.from({ length: FDO_PER_TYPE }, () =>
        mutateBytes(corpus[Math.floor(random() * corpus.length)]!, random),
      );
      await pool(FDO_PER_TYPE, CONCURRENCY, async (i) => {
        const headers: Record<string, string> = { 'Content-Type': 'application/cbor' };
        if (i % 3 === 0)
          headers['Authorization'] = `Bearer ${Buffer.from(inputs[i]!.slice(0, 24)).toString('base64url')}`;
        const answer = await send(url, 'POST', headers, inputs[i]);
        if (answer.status !== 200) return void failures.push({ input: i, what: `HTTP ${answer.status}` });
        if (answer.headers['message-type'] === '255') {
          try {
            decodeErrorMessage(new Uint8Array(answer.body));
          } catch {
            failures.push({ input: i, what: 'an undecodable error message' });
          }
        }
      });
      expect(failures, failureReport(`FDO ${type}`, failures)).toEqual([]);
      expect(await target.alive()).toBe(true);
    },
  );

  it(`SZTP: ${PER_BODY} mutated bodies per operation and encoding on both servers, every refusal a RESTCONF error, no 5xx`, async () => {
    const ca = await testCertificate({ subject: 'CN=Fuzz Device CA', ca: true });
    const type = await rest(keys['manufacturer']!, 'POST', '/v1/sztp/device-types', {
      name: 'fuzz',
      trustAnchors: ca.pem,
      activationCodeFallback: true,
      outputProfile: 'lab',
    });
    expect(type.status).toBe(201);
    const device = await rest(keys['manufacturer']!, 'POST', '/v1/sztp/devices', {
      deviceTypeId: type.body.id,
      serialNumber: 'FUZZ-1',
      activationCode: 'fuzz-activation-code',
    });
    expect(device.status).toBe(201);
    const basic = `Basic ${Buffer.from('FUZZ-1:fuzz-activation-code').toString('base64')}`;
    const bodies: [string, sztp.Encoding, string][] = [];
    for (const encoding of ['json', 'xml'] as const) {
      bodies.push([
        'get-bootstrapping-data',
        encoding,
        sztp.serializeGetBootstrappingDataInput({ signedDataPreferred: true, nonce: bstr(16) }, encoding),
      ]);
      bodies.push([
        'report-progress',
        encoding,
        sztp.serializeReportProgressInput(
          { progressType: 'bootstrap-initiated', message: 'hello' },
          encoding,
        ),
      ]);
    }
    const failures: Failure[] = [];
    for (const app of ['rendezvous', 'onboarding'] as const) {
      for (const [operation, encoding, base] of bodies) {
        const random = seededRandom(SEED ^ (operation.length * 31 + encoding.length + app.length * 7));
        const mediaType = sztp.mediaTypeFor(encoding);
        const url = `${target.urls[app]}/restconf/operations/ietf-sztp-bootstrap-server:${operation}`;
        await pool(PER_BODY, CONCURRENCY, async (i) => {
          const body = mutateText(base, random);
          const contentType = i % 5 === 0 && encoding === 'json' ? 'application/json' : mediaType;
          const answer = await send(
            url,
            'POST',
            { 'Content-Type': contentType, Accept: mediaType, Authorization: basic },
            body,
          );
          const what = `${app} ${operation} ${encoding} #${i}`;
          if (answer.status >= 500)
            return void failures.push({ input: i, what: `${what}: HTTP ${answer.status}` });
          if (answer.status >= 400) {
            try {
              sztp.parseRestconfErrors(answer.body.toString(), encoding);
            } catch {
              failures.push({
                input: i,
                what: `${what}: HTTP ${answer.status} is no RESTCONF error document`,
              });
            }
          }
        });
      }
    }
    expect(failures, failureReport('SZTP', failures)).toEqual([]);
    expect(await target.alive()).toBe(true);
  });

  it(`REST: ${PER_BODY} mutated JSON bodies per route that takes one (from openapi/*.json), no 5xx, problems only`, async () => {
    const failures: Failure[] = [];
    for (const file of ['voucher-service', 'rendezvous'] as const) {
      const document = JSON.parse(readFileSync(join(REPO_ROOT, 'openapi', `${file}.json`), 'utf8')) as {
        paths: Record<
          string,
          Record<string, { requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> } }>
        >;
      };
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          const schema = operation.requestBody?.content?.['application/json']?.schema;
          if (schema === undefined) continue;
          const credential = /^\/v1\/(tenants|operator|rendezvous)/.test(path)
            ? target.operatorKey
            : path.startsWith('/v1/manufacturers')
              ? keys['manufacturer']!
              : keys['owner']!;
          const concrete = path
            .replace(
              '{tenantId}',
              path.startsWith('/v1/manufacturers') ? tenantIds['manufacturer']! : tenantIds['owner']!,
            )
            .replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
          const base = JSON.stringify(sample(schema));
          const random = seededRandom(SEED ^ (path.length * 131 + method.length));
          const url = `${file === 'rendezvous' ? target.urls.rendezvous : target.urls.voucher}${concrete}`;
          await pool(PER_BODY, CONCURRENCY, async (i) => {
            const body = i === 0 ? base : mutateText(base, random);
            const answer = await send(
              url,
              method.toUpperCase(),
              { 'Content-Type': 'application/json', Authorization: `Bearer ${credential}` },
              body,
            );
            const what = `${method.toUpperCase()} ${path} #${i}`;
            if (answer.status >= 500)
              return void failures.push({ input: i, what: `${what}: HTTP ${answer.status}` });
            if (
              answer.status >= 400 &&
              !/application\/problem\+json/.test(String(answer.headers['content-type']))
            )
              failures.push({ input: i, what: `${what}: HTTP ${answer.status} without a problem` });
          });
        }
      }
    }
    expect(failures, failureReport('REST', failures)).toEqual([]);
    expect(await target.alive()).toBe(true);
  });

  it('wrote no error-level log line, and the process never exited', async () => {
    expect(await target.alive()).toBe(true);
    expect(target.errorLines(), `replay with ADVERSARIAL_SEED=${SEED}`).toEqual([]);
  });
});
