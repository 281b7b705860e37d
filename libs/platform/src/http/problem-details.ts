import { HttpException } from '@nestjs/common';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** What a handler says about a problem; the filter adds status, instance and request id. */
export interface ProblemDescription {
  /** A URI naming the kind of problem; "about:blank" when the status code says it all. */
  type: string;
  title: string;
  detail?: string;
  /** Extension members (RFC 7807 section 3.2); they never replace the standard members. */
  extensions?: Record<string, unknown>;
}

/** RFC 7807 problem details as sent, plus the request id of the failed request. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The request path. */
  instance?: string;
  requestId?: string;
  [extension: string]: unknown;
}

/**
 * Throw from a REST handler to answer with a specific problem, e.g.
 * `throw new ProblemException(409, { type: 'https://ztp.dev/problems/voucher-transferred',
 * title: 'Voucher already transferred', detail: '...' })`. Other HttpExceptions become
 * "about:blank" problems.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly description: ProblemDescription,
  ) {
    super(description.detail ?? description.title, status);
  }
}
