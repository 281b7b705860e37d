import { type IncomingMessage } from 'node:http';
import { ProblemException } from '@ztp/platform';

type BodyRequest = IncomingMessage & { body?: unknown };

/** The raw request body (e.g. application/octet-stream, which no body parser reads), up to `limit` bytes. */
export function readRawBody(request: BodyRequest, limit: number): Promise<Buffer> {
  if (Buffer.isBuffer(request.body)) return Promise.resolve(request.body);
  if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading (not resume to the end): the 413 goes out and the connection is closed.
        request.removeAllListeners('data');
        request.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function tooLarge(limit: number): ProblemException {
  return new ProblemException(413, {
    type: 'https://ztp.dev/problems/body-too-large',
    title: 'Body too large',
    detail: `the body exceeds ${limit} bytes (MAX_BODY_BYTES)`,
  });
}
