import { gunzipSync } from 'node:zlib';
import { decodePrefix, looksLikeCbor, VOUCHER_PEM_LABEL } from '@ztp/protocol';
import { multipartBoundary, MultipartError, parseMultipart } from './multipart';

/** One voucher of an upload, by its position in it (what errors name). */
export interface UploadedVoucher {
  index: number;
  /** Raw CBOR, or undefined when the item could not even be cut out (see `problem`). */
  bytes?: Uint8Array;
  problem?: string;
}

/** Why a whole upload could not be read (not one voucher's fault). */
export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

export const VOUCHER_UPLOAD_TYPES = [
  'application/x-pem-file',
  'application/x-fdo-voucher',
  'text/plain',
  'application/cbor',
  'application/cbor-seq',
  'application/octet-stream',
  'multipart/form-data',
] as const;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/**
 * Cuts an upload into vouchers, in order:
 * - PEM text (`-----BEGIN OWNERSHIP VOUCHER-----` blocks; other blocks, such as the owner private
 *   key of the FIDO interop format, are ignored);
 * - CBOR: one voucher or several concatenated (application/cbor, application/cbor-seq);
 * - application/x-fdo-voucher and application/octet-stream: either of the above, detected;
 * - multipart/form-data: every part with content, each read as above.
 * `Content-Encoding: gzip` bodies are inflated first, within `maxBytes`.
 */
export function readVoucherUpload(
  body: Buffer,
  contentType: string,
  contentEncoding: string | undefined,
  maxBytes: number,
): UploadedVoucher[] {
  const data = inflate(body, contentEncoding, maxBytes);
  const type = mediaType(contentType);
  const vouchers: UploadedVoucher[] = [];
  switch (type) {
    case 'multipart/form-data':
      for (const part of multipartParts(data, contentType))
        if (part.data.length > 0) readDetected(vouchers, part.data, mediaType(part.contentType));
      break;
    case 'application/x-pem-file':
    case 'text/plain':
      readPem(vouchers, data.toString('utf8'));
      break;
    case 'application/cbor':
    case 'application/cbor-seq':
      readCborSequence(vouchers, data);
      break;
    case 'application/x-fdo-voucher':
    case 'application/octet-stream':
      readDetected(vouchers, data, undefined);
      break;
    default:
      throw new UploadError(415, `send vouchers as one of ${VOUCHER_UPLOAD_TYPES.join(', ')}`);
  }
  if (vouchers.length === 0) throw new UploadError(400, 'the upload contains no ownership voucher');
  return vouchers;
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]!.trim().toLowerCase();
}

function multipartParts(data: Buffer, contentType: string) {
  try {
    return parseMultipart(data, multipartBoundary(contentType));
  } catch (err) {
    if (err instanceof MultipartError) throw new UploadError(400, err.message);
    throw err;
  }
}

function inflate(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Buffer {
  const encoding = contentEncoding?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new UploadError(415, `unsupported Content-Encoding ${encoding} (use gzip)`);
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new UploadError(413, `the inflated upload exceeds ${maxBytes} bytes`);
    throw new UploadError(400, 'the body is not valid gzip');
  }
}

/** A part or body that may be PEM or CBOR: CBOR when declared so or when it starts like a voucher. */
function readDetected(vouchers: UploadedVoucher[], data: Buffer, type: string | undefined): void {
  const declaredCbor = type === 'application/cbor' || type === 'application/cbor-seq';
  const declaredPem = type === 'application/x-pem-file' || type === 'text/plain';
  if (declaredCbor || (!declaredPem && looksLikeCbor(data))) readCborSequence(vouchers, data);
  else readPem(vouchers, data.toString('utf8'));
}

function readPem(vouchers: UploadedVoucher[], text: string): void {
  for (const match of text.matchAll(PEM_BLOCK)) {
    const [, label, body, endLabel] = match as unknown as [string, string, string, string];
    if (label !== VOUCHER_PEM_LABEL && endLabel !== VOUCHER_PEM_LABEL) continue;
    const index = vouchers.length;
    const base64 = body.replace(/\s+/g, '');
    if (label !== endLabel)
      vouchers.push({ index, problem: `PEM block BEGIN ${label} ends with END ${endLabel}` });
    else if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64))
      vouchers.push({ index, problem: 'the PEM block is not valid base64' });
    else vouchers.push({ index, bytes: new Uint8Array(Buffer.from(base64, 'base64')) });
  }
}

/** Concatenated CBOR items (RFC 8742); a broken item ends the sequence (nothing after it can be found). */
function readCborSequence(vouchers: UploadedVoucher[], data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    const index = vouchers.length;
    try {
      const { length } = decodePrefix(data.subarray(offset));
      vouchers.push({ index, bytes: data.subarray(offset, offset + length) });
      offset += length;
    } catch (err) {
      vouchers.push({ index, problem: `not a CBOR item at byte ${offset}: ${(err as Error).message}` });
      return;
    }
  }
}
