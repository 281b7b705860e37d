import { gzipSync } from 'node:zlib';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { voucherToPem } from '@ztp/protocol';
import { manufacture } from '../voucher-builder.testing';
import { parseMultipart, MultipartError, multipartBoundary } from './multipart';
import { readVoucherUpload, UploadError } from './voucher-upload';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const [a, b, c] = [manufacture(key), manufacture(key), manufacture(key)];
const MAX = 64 * 1024 * 1024;
const bytesOf = (upload: ReturnType<typeof readVoucherUpload>) =>
  upload.map((item) => Buffer.from(item.bytes!).toString('hex'));
const hex = (voucher: typeof a) => Buffer.from(voucher.bytes).toString('hex');

describe('voucher uploads', () => {
  it('reads concatenated PEM, skipping other blocks (the interop format appends the owner key)', () => {
    const text = `${voucherToPem(a)}\n-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n${voucherToPem(b)}`;
    const upload = readVoucherUpload(Buffer.from(text), 'application/x-pem-file', undefined, MAX);
    expect(bytesOf(upload)).toEqual([hex(a), hex(b)]);
    expect(upload.map((item) => item.index)).toEqual([0, 1]);
  });

  it('reads one or several CBOR vouchers, and detects CBOR or PEM for application/x-fdo-voucher', () => {
    const sequence = Buffer.concat([a.bytes, b.bytes, c.bytes]);
    expect(bytesOf(readVoucherUpload(sequence, 'application/cbor-seq', undefined, MAX))).toEqual([
      hex(a),
      hex(b),
      hex(c),
    ]);
    expect(bytesOf(readVoucherUpload(Buffer.from(a.bytes), 'application/cbor', undefined, MAX))).toEqual([
      hex(a),
    ]);
    expect(bytesOf(readVoucherUpload(sequence, 'application/x-fdo-voucher', undefined, MAX))).toHaveLength(3);
    expect(
      bytesOf(readVoucherUpload(Buffer.from(voucherToPem(c)), 'application/x-fdo-voucher', undefined, MAX)),
    ).toEqual([hex(c)]);
  });

  it('names the broken item and stops a CBOR sequence there', () => {
    const upload = readVoucherUpload(
      Buffer.concat([a.bytes, Buffer.from([0xff, 0x00])]),
      'application/cbor',
      undefined,
      MAX,
    );
    expect(upload[0]!.bytes).toBeDefined();
    expect(upload[1]).toMatchObject({
      index: 1,
      problem: expect.stringContaining('not a CBOR item at byte'),
    });
    const pem = readVoucherUpload(
      Buffer.from(
        `${voucherToPem(a)}-----BEGIN OWNERSHIP VOUCHER-----\n%%%%\n-----END OWNERSHIP VOUCHER-----\n`,
      ),
      'text/plain',
      undefined,
      MAX,
    );
    expect(pem[1]).toMatchObject({ index: 1, problem: 'the PEM block is not valid base64' });
  });

  it('inflates gzip within the limit', () => {
    const zipped = gzipSync(Buffer.from(voucherToPem(a)));
    expect(bytesOf(readVoucherUpload(zipped, 'application/x-pem-file', 'gzip', MAX))).toEqual([hex(a)]);
    expect(() => readVoucherUpload(zipped, 'application/x-pem-file', 'gzip', 100)).toThrow(UploadError);
    expect(() => readVoucherUpload(Buffer.from('nope'), 'application/x-pem-file', 'gzip', MAX)).toThrow(
      UploadError,
    );
    expect(() => readVoucherUpload(zipped, 'application/x-pem-file', 'br', MAX)).toThrow(
      /unsupported Content-Encoding/,
    );
  });

  it('refuses unknown types and uploads without a voucher', () => {
    expect(() => readVoucherUpload(Buffer.from('{}'), 'application/json', undefined, MAX)).toThrow(
      expect.objectContaining({ status: 415 }),
    );
    expect(() => readVoucherUpload(Buffer.from('hello'), 'text/plain', undefined, MAX)).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });

  it('reads every file part of multipart/form-data, binary untouched', () => {
    const boundary = 'XyZ';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="serial"\r\n\r\n\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="voucher"; filename="a.fdoov"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.from(a.bytes),
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="voucher"; filename="bc.pem"\r\n\r\n`,
      ),
      Buffer.from(voucherToPem(b) + voucherToPem(c)),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const upload = readVoucherUpload(body, `multipart/form-data; boundary=${boundary}`, undefined, MAX);
    expect(bytesOf(upload)).toEqual([hex(a), hex(b), hex(c)]);
    expect(() =>
      readVoucherUpload(
        body.subarray(0, body.length - 10),
        `multipart/form-data; boundary=${boundary}`,
        undefined,
        MAX,
      ),
    ).toThrow(UploadError);
  });
});

describe('multipart framing', () => {
  it('reads the boundary, quoted or not', () => {
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('multipart/form-data;boundary=abc')).toBe('abc');
    expect(() => multipartBoundary('multipart/form-data')).toThrow(MultipartError);
  });

  it('returns names, file names and types of parts', () => {
    const parts = parseMultipart(
      Buffer.from(
        '--b\r\nContent-Disposition: form-data; name="v"; filename="x.pem"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--',
      ),
      'b',
    );
    expect(parts).toEqual([
      { name: 'v', filename: 'x.pem', contentType: 'text/plain', data: Buffer.from('hi') },
    ]);
    expect(() => parseMultipart(Buffer.from('--b\r\nno-colon\r\n\r\nx\r\n--b--'), 'b')).toThrow(
      MultipartError,
    );
    expect(() => parseMultipart(Buffer.from('nothing here'), 'b')).toThrow(MultipartError);
  });
});
