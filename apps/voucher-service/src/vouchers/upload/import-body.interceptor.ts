import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { type AppConfig } from '@ztp/config';
import { APP_CONFIG, ProblemException } from '@ztp/platform';
import { from, type Observable, switchMap } from 'rxjs';
import { type IncomingMessage } from 'node:http';

type UploadRequest = IncomingMessage & { body?: unknown };

/**
 * Reads a voucher upload into `request.body` as a Buffer, up to VOUCHER_IMPORT_MAX_BYTES (the
 * app-wide body parsers stop at MAX_BODY_BYTES, too small for bulk imports, and skip these content
 * types). Runs after authentication, so anonymous clients cannot make it buffer anything. A body
 * already parsed as raw bytes (application/cbor) is kept.
 */
@Injectable()
export class ImportBodyInterceptor implements NestInterceptor {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<UploadRequest>();
    if (Buffer.isBuffer(request.body) || request.readableEnded) return next.handle();
    return from(readBody(request, this.config.ledger.importMaxBytes)).pipe(
      switchMap((body) => {
        request.body = body;
        return next.handle();
      }),
    );
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
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
    type: 'https://ztp.dev/problems/upload-too-large',
    title: 'Upload too large',
    detail: `the upload exceeds VOUCHER_IMPORT_MAX_BYTES (${limit} bytes); split it into several requests`,
  });
}
