import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  sealWebhookSecret,
  unsealWebhookSecret,
  WebhookSecretError,
  webhookSecretKey,
} from './webhook-secret';
import { verifyWebhookSignature, webhookSignature } from './webhook-signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"id":"e1"}';

  it('is v1= HMAC-SHA256 over "<timestamp>.<body>" (documented scheme)', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(webhookSignature(secret, 1_700_000_000, body)).toBe(`v1=${expected}`);
  });

  it('verifies within the tolerance only, for the exact body and secret', () => {
    const now = new Date(1_700_000_000_000);
    const headers = { timestamp: '1700000000', signature: webhookSignature(secret, 1_700_000_000, body) };
    expect(verifyWebhookSignature(secret, headers, body, { now })).toBe(true);
    expect(verifyWebhookSignature(secret, headers, `${body} `, { now })).toBe(false);
    expect(verifyWebhookSignature('whsec_other', headers, body, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, headers, body, { now: new Date(now.getTime() + 301_000) })).toBe(
      false,
    );
    expect(verifyWebhookSignature(secret, { ...headers, timestamp: 'x' }, body, { now })).toBe(false);
  });
});

describe('webhook secrets at rest', () => {
  it('seal under a key derived from the master key, bound to the endpoint id', () => {
    const key = webhookSecretKey(randomBytes(32).toString('base64'));
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const sealed = sealWebhookSecret(key, 'endpoint-1', secret);
    expect(sealed.includes(Buffer.from(secret))).toBe(false);
    expect(unsealWebhookSecret(key, 'endpoint-1', sealed)).toBe(secret);
    expect(() => unsealWebhookSecret(key, 'endpoint-2', sealed)).toThrow(WebhookSecretError);
    const otherKey = webhookSecretKey(randomBytes(32).toString('base64'));
    expect(() => unsealWebhookSecret(otherKey, 'endpoint-1', sealed)).toThrow(WebhookSecretError);
    expect(() => unsealWebhookSecret(key, 'endpoint-1', sealed.subarray(0, 10))).toThrow(WebhookSecretError);
  });
});
