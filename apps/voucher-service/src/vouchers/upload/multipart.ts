/** One part of a multipart/form-data body. */
export interface MultipartPart {
  name: string | undefined;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data; boundary=...` content type. */
export function multipartBoundary(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new MultipartError('multipart/form-data without a boundary');
  return boundary;
}

/**
 * Splits a multipart/form-data body (RFC 7578) into its parts, bytes untouched (vouchers may be
 * binary CBOR). Strict about the framing: a body without a closing boundary is an error.
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.concat([CRLF, delimiter]);
  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError('the body has no multipart boundary');
  const parts: MultipartPart[] = [];
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString() === '--') return parts;
    if (!body.subarray(position, position + 2).equals(CRLF))
      throw new MultipartError('malformed multipart boundary line');
    position += 2;
    const headerEnd = body.indexOf(HEADER_END, position);
    if (headerEnd < 0) throw new MultipartError(`part ${parts.length} has no header end`);
    const headers = parseHeaders(body.subarray(position, headerEnd).toString('latin1'));
    const next = body.indexOf(nextDelimiter, headerEnd + 4);
    if (next < 0) throw new MultipartError(`part ${parts.length} is not closed by a boundary`);
    const disposition = headers.get('content-disposition') ?? '';
    parts.push({
      name: parameter(disposition, 'name'),
      filename: parameter(disposition, 'filename'),
      contentType: headers.get('content-type'),
      data: body.subarray(headerEnd + 4, next),
    });
    position = next + 2;
  }
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`malformed part header: ${line.slice(0, 80)}`);
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function parameter(header: string, name: string): string | undefined {
  const quoted = new RegExp(`;\\s*${name}="([^"]*)"`, 'i').exec(header);
  return (quoted ?? new RegExp(`;\\s*${name}=([^;\\s]+)`, 'i').exec(header))?.[1];
}
