import { CryptoError } from './errors';

/** One `-----BEGIN label-----` ... `-----END label-----` block, base64 decoded. */
export interface PemBlock {
  readonly label: string;
  readonly bytes: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/**
 * Every PEM block in text, in order. Tolerates CRLF, blank lines, indentation and text between
 * blocks; a block whose END label differs or whose body is not base64 is CryptoError('malformed-pem').
 */
export function parsePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = match as unknown as [string, string, string, string];
    if (label !== endLabel)
      throw new CryptoError('malformed-pem', `PEM block BEGIN ${label} ends with END ${endLabel}`);
    const base64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1)
      throw new CryptoError('malformed-pem', `PEM block ${label} is not valid base64`);
    blocks.push({ label, bytes: new Uint8Array(Buffer.from(base64, 'base64')) });
  }
  return blocks;
}

/** Writes bytes as a PEM block with 64-character lines and a trailing newline. */
export function toPem(label: string, bytes: Uint8Array): string {
  const lines =
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.map((line) => `${line}\n`).join('')}-----END ${label}-----\n`;
}
