import { PkiError } from '../errors';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** DER to PEM with 64-character lines and a final newline. */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Every PEM block with this label, in order. Text outside blocks (openssl's comments) is ignored. */
export function pemToDerAll(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (const match of pem.matchAll(BLOCK)) {
    if (match[1] !== label) continue;
    const base64 = match[2]!.replace(/\r?\n/g, '');
    if (!BASE64.test(base64) || base64.length === 0) {
      throw new PkiError('malformed-pem', `a ${label} PEM block holds invalid base64`);
    }
    blocks.push(new Uint8Array(Buffer.from(base64, 'base64')));
  }
  return blocks;
}

/** The single PEM block with this label; `malformed-pem` when there is none or more than one. */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Uint8Array {
  const blocks = pemToDerAll(pem, label);
  if (blocks.length !== 1) {
    throw new PkiError('malformed-pem', `expected one ${label} PEM block, found ${blocks.length}`);
  }
  return blocks[0]!;
}

/** A chain (leaf first) as concatenated PEM certificates, the form TLS servers and openssl read. */
export function chainToPem(chain: readonly Uint8Array[]): string {
  return chain.map((der) => derToPem(der)).join('');
}
