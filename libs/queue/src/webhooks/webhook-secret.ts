import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A new endpoint signing secret: `whsec_` and 32 random bytes in base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The key that seals webhook secrets at rest, derived from the key-custody master key (base64). */
export function webhookSecretKey(masterKeyBase64: string): Buffer {
  const derived = hkdfSync(
    'sha256',
    Buffer.from(masterKeyBase64, 'base64'),
    Buffer.alloc(0),
    'ztp webhook secrets v1',
    32,
  );
  return Buffer.from(derived);
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM: iv || ciphertext || tag, bound to the endpoint id (so rows cannot be swapped). */
export function sealWebhookSecret(key: Buffer, endpointId: string, secret: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(endpointId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export class WebhookSecretError extends Error {
  override readonly name = 'WebhookSecretError';
}

export function unsealWebhookSecret(key: Buffer, endpointId: string, sealed: Uint8Array): string {
  if (sealed.length < IV_BYTES + TAG_BYTES)
    throw new WebhookSecretError('sealed webhook secret is truncated');
  const bytes = Buffer.from(sealed);
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(endpointId));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (cause) {
    throw new WebhookSecretError('the webhook secret does not open with this master key', { cause });
  }
}
