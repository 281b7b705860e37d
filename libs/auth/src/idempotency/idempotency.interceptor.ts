import { createHash } from 'node:crypto';
import {
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ProblemException } from '@ztp/platform';
import { canonicalJson } from '@ztp/persistence';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { type RequestWithPrincipal } from '../nest/auth.guard';
import { IdempotencyStore } from './idempotency-store';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAY_HEADER = 'Idempotent-Replayed';

const KEY = /^[\x21-\x7e]{1,255}$/;

interface IdempotentRequest extends RequestWithPrincipal {
  method: string;
  originalUrl?: string;
  url: string;
  body?: unknown;
}

interface IdempotentResponse {
  statusCode: number;
  status(code: number): unknown;
  setHeader(name: string, value: string): void;
}

const problem = (status: number, slug: string, title: string, detail: string) =>
  new ProblemException(status, { type: `https://ztp.dev/problems/${slug}`, title, detail });

/**
 * `Idempotency-Key` handling for a mutating route (runs after the auth guard). The first request
 * with a key runs and its successful response is stored; a repeat from the same principal scope
 * with the same method, URL and body gets that response again (header `Idempotent-Replayed: true`)
 * and has no second effect. The same key with another request is 422; while the first is still
 * running, 409. A failed request leaves no record, so it may be retried with its key. Requests
 * without the header are not deduplicated.
 *
 * The body is fingerprinted as received: raw bytes (a Buffer body, e.g. a voucher upload read by an
 * earlier interceptor) or the canonical JSON of a parsed body.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly store: IdempotencyStore) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<IdempotentRequest>();
    const raw = request.headers[IDEMPOTENCY_KEY_HEADER];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (key === undefined) return next.handle();
    if (!KEY.test(key))
      throw problem(
        400,
        'invalid-idempotency-key',
        'Invalid Idempotency-Key',
        'use 1 to 255 visible ASCII characters',
      );
    const principal = request.principal;
    const scope = principal?.kind === 'tenant' ? principal.tenantId : 'operator';
    const response = context.switchToHttp().getResponse<IdempotentResponse>();
    // Nest sets the route's status (HttpCode, or 201 for POST) before interceptors run.
    const status = response.statusCode;
    return from(this.run(scope, key, fingerprint(request), status, response, next));
  }

  private async run(
    scope: string,
    key: string,
    print: string,
    status: number,
    response: IdempotentResponse,
    next: CallHandler,
  ): Promise<unknown> {
    const claim = await this.store.claim(scope, key, print);
    switch (claim.kind) {
      case 'mismatch':
        throw problem(
          422,
          'idempotency-key-reused',
          'Idempotency-Key reused',
          'this Idempotency-Key was used for a different request (method, path or body)',
        );
      case 'in-progress':
        throw problem(
          409,
          'idempotency-in-progress',
          'Request in progress',
          'a request with this Idempotency-Key is still running; retry later',
        );
      case 'unreadable':
        throw problem(
          409,
          'idempotency-outcome-unreadable',
          'Request already performed',
          'a request with this Idempotency-Key was performed, but its stored outcome can no longer be read; use a new key only if you mean a new request',
        );
      case 'replay':
        response.status(claim.status);
        response.setHeader(IDEMPOTENT_REPLAY_HEADER, 'true');
        return claim.body;
      case 'run':
        break;
    }
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (err) {
      await this.store.release(scope, key);
      throw err;
    }
    await this.store.complete(scope, key, status, body);
    return body;
  }
}

function fingerprint(request: IdempotentRequest): string {
  const hash = createHash('sha256').update(`${request.method} ${request.originalUrl ?? request.url}\n`);
  const body = request.body;
  if (Buffer.isBuffer(body)) hash.update('bytes\n').update(body);
  else if (body !== undefined) hash.update('json\n').update(canonicalJson(body));
  return hash.digest('hex');
}

/** Documents the header; pair with `@UseInterceptors(IdempotencyInterceptor)` (see Idempotent). */
export const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes the call safe to retry: a repeat with the same key, path and body returns the first response ' +
      '(header Idempotent-Replayed: true) without a second effect; the same key with another request is 422. ' +
      'Kept 24 hours.',
  });

/** Makes a mutating route idempotent under the `Idempotency-Key` header. */
export const Idempotent = () => applyDecorators(UseInterceptors(IdempotencyInterceptor), ApiIdempotencyKey());
