import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const documentOf = (app: string) =>
  JSON.parse(readFileSync(new URL(`../../../../openapi/${app}.json`, import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { description?: string }>>;
  };

describe('OpenAPI documents describe the device-facing endpoints', () => {
  it.each([
    ['voucher-service', /10 AppStart/, false],
    ['rendezvous', /20 Hello .* 30 HelloRV/, true],
    ['owner-onboarding', /60 HelloDevice .* 70 Done/, true],
  ])('%s: FDO messages, and SZTP where it serves it', (app, messages, sztp) => {
    const { paths } = documentOf(app);
    expect(paths['/fdo/101/msg/{msgType}']?.['post']?.description).toMatch(messages);
    expect(paths['/restconf/operations/{operation}'] !== undefined).toBe(sztp);
    expect(paths['/.well-known/host-meta'] !== undefined).toBe(sztp);
    expect(paths['/']).toBeDefined();
  });
});
