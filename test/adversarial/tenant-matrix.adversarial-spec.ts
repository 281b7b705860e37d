import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_ROLES } from '@ztp/auth';
import { pool, sample, send, Target } from './harness';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

interface Route {
  file: 'voucher-service' | 'rendezvous';
  method: string;
  path: string;
  body?: string;
}

function routes(): Route[] {
  const all: Route[] = [];
  for (const file of ['voucher-service', 'rendezvous'] as const) {
    const document = JSON.parse(readFileSync(join(REPO_ROOT, 'openapi', `${file}.json`), 'utf8')) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> } }>
      >;
    };
    for (const [path, operations] of Object.entries(document.paths)) {
      // The device-facing protocol endpoints (FDO messages, SZTP RESTCONF) take no API key and name no
      // tenant's resource: their `{msgType}` is a message number, answered over HTTP 200 even when
      // refused. The fuzz and listener files attack them.
      if (path.startsWith('/fdo/') || path.startsWith('/restconf/') || path.startsWith('/.well-known/'))
        continue;
      for (const [method, operation] of Object.entries(operations)) {
        const schema = operation.requestBody?.content?.['application/json']?.schema;
        all.push({
          file,
          method: method.toUpperCase(),
          path,
          ...(schema ? { body: JSON.stringify(sample(schema)) } : {}),
        });
      }
    }
  }
  return all;
}

/**
 * Every route of the OpenAPI documents, called with every tenant role of tenant A (one API key per
 * role, and tenant:admin) and with tenant B's ids in the path: nothing of B's may come back, and
 * nothing of B's may change. A 2xx for a path naming B's resource, or any 2xx body that carries one
 * of B's ids, is a leak.
 */
describe(`cross-tenant route matrix from openapi/*.json (${process.env['DATABASE_URL'] ? 'DATABASE_URL' : 'embedded PostgreSQL'})`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ztp-adversarial-matrix-'));
  let target: Target;
  const aKeys: Record<string, string> = {};
  const b: Record<string, string> = {};
  let bAdmin: string;

  async function call(credential: string, method: string, path: string, body?: unknown) {
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
    const tenants: Record<string, { id: string; admin: string }> = {};
    for (const name of ['a', 'b']) {
      const tenant = await call(target.operatorKey, 'POST', '/v1/tenants', {
        kind: 'owner',
        name: `matrix-${name}`,
        slug: `matrix-${name}`,
      });
      expect(tenant.status).toBe(201);
      const admin = await call(target.operatorKey, 'POST', `/v1/tenants/${tenant.body.id}/api-keys`, {
        name: 'admin',
        roles: ['tenant:admin'],
      });
      tenants[name] = { id: tenant.body.id, admin: admin.body.key };
    }
    for (const role of TENANT_ROLES) {
      const key = await call(target.operatorKey, 'POST', `/v1/tenants/${tenants['a']!.id}/api-keys`, {
        name: role,
        roles: [role],
      });
      expect(key.status).toBe(201);
      aKeys[role] = key.body.key;
    }
    // B's resources whose ids A tries: its tenant, an API key, an owner key, a webhook endpoint.
    b['tenant'] = tenants['b']!.id;
    bAdmin = tenants['b']!.admin;
    const bKey = await call(target.operatorKey, 'POST', `/v1/tenants/${b['tenant']}/api-keys`, {
      name: 'other',
      roles: ['vouchers:read'],
    });
    b['apiKey'] = bKey.body.apiKey.id;
    const ownerKey = await call(tenants['b']!.admin, 'POST', '/v1/owner-keys', { name: 'b-key' });
    expect(ownerKey.status).toBe(201);
    b['ownerKey'] = ownerKey.body.id;
    const webhook = await call(tenants['b']!.admin, 'POST', '/v1/webhooks', {
      url: 'https://hooks.example.com/b',
      eventTypes: ['voucher.received'],
    });
    expect(webhook.status).toBe(201);
    b['webhook'] = webhook.body.endpoint.id;
    for (const [what, id] of Object.entries(b)) expect(id, what).toMatch(/^[0-9a-f-]{36}$/);
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every route, every role of tenant A, tenant B ids in the path: no 2xx about B, no B id in any body, no 5xx', async () => {
    const leaks: string[] = [];
    const calls: { credential: string; role: string; route: Route; path: string; bId: string }[] = [];
    for (const route of routes()) {
      const ids = route.path.includes('{') ? Object.values(b) : [''];
      for (const id of ids) {
        const path = route.path.replace('{tenantId}', b['tenant']!).replace(/\{[^}]+\}/g, id || b['tenant']!);
        for (const role of TENANT_ROLES) calls.push({ credential: aKeys[role]!, role, route, path, bId: id });
      }
    }
    const bIds = Object.values(b);
    await pool(calls.length, 8, async (i) => {
      const { credential, role, route, path, bId } = calls[i]!;
      const base = route.file === 'rendezvous' ? target.urls.rendezvous : target.urls.voucher;
      const answer = await send(
        `${base}${path}`,
        route.method,
        {
          Authorization: `Bearer ${credential}`,
          ...(route.body ? { 'Content-Type': 'application/json' } : {}),
        },
        route.body,
      );
      const what = `${role} ${route.method} ${path}`;
      if (answer.status >= 500) return void leaks.push(`${what}: HTTP ${answer.status}`);
      if (answer.status < 200 || answer.status >= 300) return;
      if (bId !== '' || route.path.includes('{tenantId}'))
        return void leaks.push(`${what}: HTTP ${answer.status} for a path naming tenant B's resource`);
      const text = answer.body.toString();
      const found = bIds.filter((id) => text.includes(id));
      if (found.length) leaks.push(`${what}: HTTP ${answer.status} carries tenant B's ${found.join(', ')}`);
    });
    expect(calls.length).toBeGreaterThan(1_000);
    expect(leaks).toEqual([]);
    // B's resources are untouched (A's DELETEs and PATCHes with B's ids changed nothing).
    expect((await call(bAdmin, 'GET', `/v1/owner-keys/${b['ownerKey']}`)).status).toBe(200);
    const webhook = await call(bAdmin, 'GET', `/v1/webhooks/${b['webhook']}`);
    expect(webhook.body).toMatchObject({ url: 'https://hooks.example.com/b', enabled: true });
    expect(target.errorLines()).toEqual([]);
  });
});
