import { type ServerResponse } from 'node:http';

/** Answers with a non-JSON body (PEM, CBOR) from a handler that took `@Res()`. */
export function send(
  res: ServerResponse,
  contentType: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(typeof body === 'string' ? body : Buffer.from(body));
}
