import { SztpPayloadError } from './errors';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Request bodies arrive as bytes or text; bytes must be valid UTF-8 (RFC 8259, XML default). */
export function bodyText(body: string | Uint8Array): string {
  if (typeof body === 'string') return body;
  try {
    return UTF8.decode(body);
  } catch {
    throw new SztpPayloadError('malformed-message', '', 'body is not valid UTF-8');
  }
}
